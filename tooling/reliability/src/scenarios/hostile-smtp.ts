/** Hostile SMTP servers: an endless EHLO reply, an endless line, garbage, slow-loris, a cut reply. */
import type { Scenario } from '../scenario.js';
import { cutAfter, floodAfter, garbage, hostileMailScenario, lines } from '../support/hostile-mail.js';
import { filler, type HostileConnection } from '../support/hostile-server.js';

const GREETING = '220 hostile.example ESMTP ready\r\n';
const greet = (connection: HostileConnection) => connection.send(GREETING);

/** Replies to EHLO with `reply`, and `250 OK` to anything else. */
function smtpScript(ehlo: (connection: HostileConnection) => void) {
  return (line: string, connection: HostileConnection) => {
    const command = (line.split(' ')[0] ?? '').toUpperCase();
    if (command === 'EHLO') ehlo(connection);
    else connection.send('250 OK\r\n');
  };
}

const error = { class: 'ConnectionError' } as const;

export const scenarios: readonly Scenario[] = [
  hostileMailScenario({
    id: 'endless-ehlo',
    title: 'SMTP: endless EHLO reply',
    injected: 'plain SMTP (STARTTLS required): EHLO is answered with `250-` lines forever, before STARTTLS',
    protocol: 'smtp',
    operation: 'open',
    error,
    onConnect: greet,
    onLine: smtpScript(floodAfter('', lines('250-X-HOSTILE-EXTENSION\r\n'))),
  }),
  hostileMailScenario({
    id: 'endless-line',
    title: 'SMTP: a greeting line that never ends',
    injected: 'plain SMTP: `220 ` followed by bytes without CRLF, as fast as read',
    protocol: 'smtp',
    operation: 'open',
    error,
    onConnect: floodAfter('220 ', filler(64 * 1024, 'X')),
  }),
  hostileMailScenario({
    id: 'garbage',
    title: 'SMTP: garbage instead of a greeting',
    injected: 'SMTPS: 64 KB of random bytes instead of a greeting, the connection kept open',
    protocol: 'smtps',
    operation: 'open',
    error,
    onConnect: (c) => c.send(garbage(65_536)),
  }),
  hostileMailScenario({
    id: 'slow-loris',
    title: 'SMTP: slow-loris greeting',
    injected: 'SMTPS: the greeting arrives one byte every 500 ms (mail.smtps.connectiontimeout=5000)',
    protocol: 'smtps',
    operation: 'open',
    error,
    onConnect: (c) => void c.dribble(GREETING.repeat(20), 500),
  }),
  hostileMailScenario({
    id: 'cut-mid-reply',
    title: 'SMTP: connection cut mid-reply',
    injected: 'SMTPS: the EHLO reply stops mid-line and the connection is reset',
    protocol: 'smtps',
    operation: 'open',
    error,
    onConnect: greet,
    onLine: smtpScript(cutAfter('250-hostile.example\r\n250-AUTH XOA')),
  }),
];
