/**
 * node-pop3 0.11 as a contender. It has no AUTH command, so the XOAUTH2 exchange goes through its
 * generic `command()`; RETR is lock-step and returns a string (dot-stuffing kept, final CRLF cut).
 * Its errors may hold the AUTH line with the token: callers must never print them.
 */
import Pop3Command from 'node-pop3';
import type { RawPop3Options } from './raw-pop3.js';

/** A RETR that does not finish in this time is counted as stalled (node-pop3 looks for the terminator only at a chunk's end). */
const STALL_MS = 3_000;

export interface NodePop3Pass {
  ms: number;
  retrieved: number;
  stalled: number;
  bodies: Map<number, Buffer>;
}

async function login(options: RawPop3Options): Promise<Pop3Command> {
  // An IP address is no TLS server name (RFC 6066); node-pop3 would send the host as one.
  const tlsOptions = { ca: [options.ca], servername: undefined };
  const client = new Pop3Command({
    host: options.host,
    port: options.port,
    tls: true,
    user: options.user,
    password: 'unused',
    tlsOptions,
  });
  await client.connect();
  await client.command('AUTH', 'XOAUTH2');
  await client.command(
    Buffer.from(`user=${options.user}\x01auth=Bearer ${options.accessToken}\x01\x01`).toString('base64'),
  );
  // Logged in: stop RETR from sending USER/PASS first.
  (client as unknown as { _PASSInfo: string })._PASSInfo = 'authenticated';
  return client;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof STALLED> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<typeof STALLED>((resolve) => {
      timer = setTimeout(() => resolve(STALLED), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
const STALLED = Symbol('stalled');

/** Retrieves messages 1..count one at a time; a stalled RETR costs a new connection. Bodies as UTF-8 bytes. */
export async function nodePop3Pass(options: RawPop3Options, count: number): Promise<NodePop3Pass> {
  const bodies = new Map<number, Buffer>();
  let stalled = 0;
  const start = process.hrtime.bigint();
  let client = await login(options);
  for (let n = 1; n <= count; n++) {
    const body = await within(client.RETR(n), STALL_MS).catch(() => STALLED);
    if (typeof body !== 'string') {
      stalled++;
      client.QUIT().catch(() => {});
      client = await login(options);
      continue;
    }
    bodies.set(n, Buffer.from(body, 'utf8'));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await within(client.QUIT(), 1_000).catch(() => {});
  return { ms, retrieved: bodies.size, stalled, bodies };
}
