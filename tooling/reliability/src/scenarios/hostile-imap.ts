/** Hostile IMAP servers: floods before login, a huge literal, an endless LIST, a cut, slow-loris, garbage. */
import type { Scenario } from '../scenario.js';
import { cutAfter, floodAfter, garbage, hostileMailScenario, lines } from '../support/hostile-mail.js';
import { filler, type HostileConnection } from '../support/hostile-server.js';

type Reply = (tag: string, connection: HostileConnection) => void;

const GREETING = '* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] hostile ready\r\n';
const greet = (connection: HostileConnection) => connection.send(GREETING);

/** Answers like a server that accepts any token; `overrides` replace the reply to a command. */
function imapScript(overrides: Readonly<Record<string, Reply>> = {}) {
  return (line: string, connection: HostileConnection) => {
    const [tag = '*', verb = ''] = line.split(' ');
    const command = verb.toUpperCase();
    // imapflow's own `LIST "" ""` during connect is answered normally; the application's list is not.
    const override = command === 'LIST' && !line.includes('"*"') ? undefined : overrides[command];
    if (override) return override(tag, connection);
    if (command === 'CAPABILITY') connection.send('* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR\r\n');
    if (command === 'NAMESPACE') connection.send('* NAMESPACE (("" "/")) NIL NIL\r\n');
    if (command === 'LOGOUT') connection.send('* BYE\r\n');
    connection.send(`${tag} OK done\r\n`);
  };
}

const opening = { class: 'ConnectionError' } as const;
const listing = { class: 'ConnectionError', asCause: true } as const;

export const scenarios: readonly Scenario[] = [
  hostileMailScenario({
    id: 'endless-capability',
    title: 'IMAP: endless CAPABILITY before login',
    injected:
      'plain IMAP (STARTTLS port): the greeting `* OK [CAPABILITY …` never ends (no CRLF, sent as fast as read)',
    protocol: 'imap',
    operation: 'open',
    error: opening,
    onConnect: floodAfter('* OK [CAPABILITY IMAP4rev1 ', filler(64 * 1024, 'X')),
  }),
  hostileMailScenario({
    id: 'huge-literal',
    title: 'IMAP: a {999999999} literal before login',
    injected: 'plain IMAP: CAPABILITY is answered `* CAPABILITY {999999999}` and an endless literal',
    protocol: 'imap',
    operation: 'open',
    error: opening,
    onConnect: (connection) => connection.send('* OK hostile ready\r\n'),
    onLine: imapScript({
      CAPABILITY: (_tag, connection) =>
        floodAfter('* CAPABILITY {999999999}\r\n', filler(64 * 1024))(connection),
    }),
  }),
  hostileMailScenario({
    id: 'endless-list',
    title: 'IMAP: endless LIST after login',
    injected: "IMAPS, login accepted: the application's LIST is answered with `* LIST` lines forever",
    protocol: 'imaps',
    operation: 'imap-list',
    error: listing,
    onConnect: greet,
    onLine: imapScript({
      LIST: (_tag, connection) =>
        floodAfter('', lines('* LIST (\\HasNoChildren) "/" "Folder"\r\n'))(connection),
    }),
  }),
  hostileMailScenario({
    id: 'cut-mid-response',
    title: 'IMAP: connection cut mid-response',
    injected: 'IMAPS, login accepted: the LIST reply stops mid-line and the connection is reset',
    protocol: 'imaps',
    operation: 'imap-list',
    error: listing,
    onConnect: greet,
    onLine: imapScript({
      LIST: (_tag, connection) =>
        cutAfter('* LIST (\\HasNoChildren) "/" "Folder"\r\n* LIST (\\HasNoChildren) "/" "INB')(connection),
    }),
  }),
  hostileMailScenario({
    id: 'slow-loris',
    title: 'IMAP: slow-loris greeting',
    injected: 'IMAPS: the greeting arrives one byte every 500 ms (mail.imaps.connectiontimeout=5000)',
    protocol: 'imaps',
    operation: 'open',
    error: opening,
    onConnect: (connection) => void connection.dribble(GREETING.repeat(20), 500),
  }),
  hostileMailScenario({
    id: 'garbage',
    title: 'IMAP: garbage instead of a greeting',
    injected: 'IMAPS: 64 KB of random bytes instead of a greeting, the connection kept open',
    protocol: 'imaps',
    operation: 'open',
    error: opening,
    onConnect: (connection) => connection.send(garbage(65_536)),
  }),
];
