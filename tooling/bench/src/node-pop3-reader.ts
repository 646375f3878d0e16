/**
 * node-pop3 0.11 as a contender. It has no AUTH command, so the XOAUTH2 exchange goes through its
 * generic `command()`; RETR is lock-step and returns a string (dot-stuffing kept, final CRLF cut, as
 * its README documents: "resolve to {String} of mail stream").
 * Its errors may hold the AUTH line with the token: callers must never print them.
 */
import Pop3Command from 'node-pop3';
import type { RawPop3Options } from './raw-pop3.js';

/** A RETR that does not finish in this time is counted as stalled (node-pop3 looks for the terminator only at a chunk's end). */
const STALL_MS = 3_000;

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

/** A logged-in node-pop3 client that downloads messages one at a time (it has no pipelining). */
export class NodePop3Reader {
  #client: Pop3Command;
  readonly #options: RawPop3Options;

  private constructor(client: Pop3Command, options: RawPop3Options) {
    this.#client = client;
    this.#options = options;
  }

  static async open(options: RawPop3Options): Promise<NodePop3Reader> {
    return new NodePop3Reader(await login(options), options);
  }

  /**
   * RETR 1..count in lock-step; `onMessage` gets each body as node-pop3 returns it (a string). A RETR
   * that stalls costs a new connection (counted in the time) and is left out. Returns the stalls.
   */
  async download(count: number, onMessage: (number: number, body: string) => void): Promise<number> {
    let stalled = 0;
    for (let n = 1; n <= count; n++) {
      const body = await within(this.#client.RETR(n), STALL_MS).catch(() => STALLED);
      if (typeof body !== 'string') {
        stalled++;
        this.#client.QUIT().catch(() => {});
        this.#client = await login(this.#options);
        continue;
      }
      onMessage(n, body);
    }
    return stalled;
  }

  async quit(): Promise<void> {
    await within(this.#client.QUIT(), 1_000).catch(() => {});
  }
}

/**
 * node-pop3's documented contract for RETR is the response "of mail stream" as a string: the lines
 * as sent (dot-stuffing kept), the terminator's CRLF dropped. This undoes exactly that (one leading
 * dot per line, the final CRLF back), so that a body kept to the contract hashes as the message.
 */
export function messageFromContract(body: string): Buffer {
  return Buffer.from(`${body.replace(/(^|\r\n)\./g, '$1')}\r\n`, 'utf8');
}
