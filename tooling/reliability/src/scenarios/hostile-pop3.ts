/** Hostile POP3 servers: endless CAPA before STLS, endless LIST/UIDL, endless line, slow-loris, truncation, garbage. */
import type { Scenario } from '../scenario.js';
import { cutAfter, floodAfter, garbage, hostileMailScenario, lines } from '../support/hostile-mail.js';
import { filler, type HostileConnection } from '../support/hostile-server.js';

type Reply = (connection: HostileConnection) => void;

const GREETING = '+OK hostile POP3 ready\r\n';
const greet = (connection: HostileConnection) => connection.send(GREETING);

/** Answers like a server that accepts any token; `overrides` replace the reply to a command. */
function pop3Script(overrides: Readonly<Record<string, Reply>> = {}) {
  const authenticating = new WeakSet<HostileConnection>();
  return (line: string, connection: HostileConnection) => {
    if (authenticating.delete(connection)) return connection.send('+OK authenticated\r\n');
    const command = (line.split(' ')[0] ?? '').toUpperCase();
    const override = overrides[command];
    if (override) return override(connection);
    if (command === 'CAPA') return connection.send('+OK\r\nSASL XOAUTH2\r\nUIDL\r\n.\r\n');
    if (command === 'AUTH') {
      authenticating.add(connection);
      return connection.send('+ \r\n');
    }
    if (command === 'STAT') return connection.send('+OK 1 120\r\n');
    connection.send('+OK\r\n');
  };
}

const error = { class: 'ConnectionError' } as const;
const MESSAGE = 'From: a@contoso.example\r\nSubject: cut\r\n\r\n';

export const scenarios: readonly Scenario[] = [
  hostileMailScenario({
    id: 'endless-capa',
    title: 'POP3: endless CAPA before STLS',
    injected:
      'plain POP3 (STLS required): CAPA is answered `+OK` and capability lines forever, in clear text',
    protocol: 'pop3',
    operation: 'open',
    error,
    onConnect: greet,
    onLine: pop3Script({ CAPA: floodAfter('+OK\r\n', lines('X-HOSTILE-CAPABILITY\r\n')) }),
  }),
  hostileMailScenario({
    id: 'endless-list',
    title: 'POP3: endless LIST',
    injected: 'POP3S, login accepted: LIST is answered `+OK` and scan lines forever',
    protocol: 'pop3s',
    operation: 'pop3-list',
    error,
    onConnect: greet,
    onLine: pop3Script({ LIST: floodAfter('+OK\r\n', lines('1 120\r\n')) }),
  }),
  hostileMailScenario({
    id: 'endless-uidl',
    title: 'POP3: endless UIDL',
    injected: 'POP3S, login accepted: UIDL is answered `+OK` and unique-id lines forever',
    protocol: 'pop3s',
    operation: 'pop3-uidl',
    error,
    onConnect: greet,
    onLine: pop3Script({
      UIDL: floodAfter('+OK\r\n', lines('1 AAAAAAAAAAAAAAAAAAAAAAAA\r\n')),
    }),
  }),
  hostileMailScenario({
    id: 'endless-line',
    title: 'POP3: a greeting line that never ends',
    injected: 'POP3S: `+OK ` followed by bytes without CRLF, as fast as read',
    protocol: 'pop3s',
    operation: 'open',
    error,
    onConnect: floodAfter('+OK ', filler(64 * 1024, 'X')),
  }),
  hostileMailScenario({
    id: 'slow-loris',
    title: 'POP3: slow-loris greeting',
    injected: 'POP3S: the greeting arrives one byte every 500 ms (mail.pop3s.connectiontimeout=5000)',
    protocol: 'pop3s',
    operation: 'open',
    error,
    onConnect: (c) => void c.dribble(GREETING.repeat(20), 500),
  }),
  hostileMailScenario({
    id: 'truncated-retr',
    title: 'POP3: RETR cut mid-message',
    injected: 'POP3S, login accepted: RETR sends `+OK` and half a message, then resets the connection',
    protocol: 'pop3s',
    operation: 'pop3-retr',
    error,
    onConnect: greet,
    onLine: pop3Script({
      RETR: cutAfter(`+OK\r\n${MESSAGE}half a bo`),
    }),
  }),
  hostileMailScenario({
    id: 'garbage',
    title: 'POP3: garbage instead of a greeting',
    injected: 'POP3S: 64 KB of random bytes instead of a greeting, the connection kept open',
    protocol: 'pop3s',
    operation: 'open',
    error,
    onConnect: (c) => c.send(garbage(65_536)),
  }),
];
