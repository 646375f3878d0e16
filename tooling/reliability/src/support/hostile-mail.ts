/** One hostile mail server scenario: a scripted server, a Kalisto client in its own process, the judgement. */
import type { MailOperation } from '../client/mail-action.js';
import { Findings, type Scenario } from '../scenario.js';
import { runClient } from './client-process.js';
import { type HostileConnection, startHostileServer } from './hostile-server.js';
import { type ExpectedError, judgeClientFailure } from './judge.js';
import { clientSecrets, mailProperties, scenarioSandbox } from './sandbox.js';

/** How long the client may take before it counts as hanging, ms. */
const CLIENT_DEADLINE_MS = 30_000;

export interface HostileMailCase {
  id: string;
  title: string;
  injected: string;
  /** `imap`, `imaps`, `pop3`, … : the plain ones connect with STARTTLS required, the others with TLS. */
  protocol: string;
  operation: MailOperation;
  /** What the client must fail with. */
  error: ExpectedError;
  onConnect(connection: HostileConnection): void;
  onLine?(line: string, connection: HostileConnection): void;
}

const IMPLICIT_TLS = new Set(['imaps', 'pop3s', 'smtps']);

export function hostileMailScenario(c: HostileMailCase): Scenario {
  const call = c.error.asCause ? `\`${c.operation}\`` : 'opening the client';
  return {
    id: c.id,
    title: c.title,
    injected: c.injected,
    expected: `${call} fails with a Kalisto ${c.error.class}${c.error.asCause ? ' (or one as its cause)' : ''} before the client's 30 s deadline; client RSS < 64 MB over baseline; no secret in the error`,
    deadlineMs: 60_000,
    async run(context) {
      const sandbox = await scenarioSandbox(context, { mail: false });
      const tls = IMPLICIT_TLS.has(c.protocol);
      const server = await startHostileServer(context, {
        ...(tls ? { tls: { key: sandbox.tls.key, cert: sandbox.tls.cert } } : {}),
        onConnect: c.onConnect,
        ...(c.onLine ? { onLine: c.onLine } : {}),
      });
      const properties = mailProperties(sandbox, c.protocol, { port: server.port, tls });
      const input = {
        properties,
        protocol: c.protocol,
        operation: c.operation,
        secrets: clientSecrets(sandbox),
      };
      const run = await runClient(context, 'mail', input, { deadlineMs: CLIENT_DEADLINE_MS });
      const findings = new Findings();
      judgeClientFailure(findings, run, c.error);
      // Closed first, so that every flood has ended and counted what it wrote.
      await server.close();
      findings.figure(`server sent ${(server.bytesSent() / 1024 / 1024).toFixed(1)} MB`);
      return findings.outcome();
    },
  };
}

/** Sends `head`, then `chunk` over and over, as fast as the client reads. */
export function floodAfter(head: string, chunk: Buffer): (connection: HostileConnection) => void {
  return (connection) => connection.flood(chunk, head);
}

/** Sends `text`, then resets the connection. */
export function cutAfter(text: string): (connection: HostileConnection) => void {
  return (connection) => {
    connection.send(text);
    setTimeout(() => connection.cut(), 50);
  };
}

/** `size` bytes of random garbage. */
export function garbage(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, () => Math.floor(Math.random() * 256)));
}

/** A chunk of `count` copies of `line` (reused by a flood: nothing is allocated per write). */
export function lines(line: string, count = 2_000): Buffer {
  return Buffer.from(line.repeat(count));
}
