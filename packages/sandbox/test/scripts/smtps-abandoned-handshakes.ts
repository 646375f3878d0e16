/**
 * Run as a child process by smtp-shutdown.integration.test.ts, because the failure it guards
 * against is a segfault that would take the test runner down: a TCP client connects to the SMTP
 * server's implicit-TLS port and never completes a handshake — still connected when close() runs,
 * gone before it, or gone after half a ClientHello. Prints `survived` and exits 0 when the process
 * lives through every round.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createMailStore } from '../../src/mail-store.js';
import { startSmtpServer } from '../../src/smtp/index.js';
import { createSandboxTls } from '../../src/tls.js';
import { fakeVerifier } from '../pop3-smtp-fixtures.js';

type Client = 'stays' | 'leaves' | 'sends-half-a-hello';
const ROUNDS: readonly Client[] = ['stays', 'stays', 'leaves', 'sends-half-a-hello', 'stays', 'leaves'];

const tls = await createSandboxTls();
const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

for (const client of ROUNDS) {
  const server = await startSmtpServer({
    store: createMailStore(),
    auth: fakeVerifier({}),
    tls: { key: tls.key, cert: tls.cert },
  });
  const socket: Socket = connect({ host: '127.0.0.1', port: server.tlsPort });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  if (client === 'leaves') socket.destroy();
  if (client === 'sends-half-a-hello') socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
  if (client !== 'stays') await pause();
  await server.close();
  await closed;
  // Freed TLS state is touched on a later turn of the event loop, if at all.
  await pause();
}
process.stdout.write('survived\n');
