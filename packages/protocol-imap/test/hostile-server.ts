/**
 * A scripted IMAP server on 127.0.0.1 for the hostile-server tests: a plain-text greeting, CAPABILITY
 * (XOAUTH2, SASL-IR), every AUTHENTICATE accepted, the delimiter query (`LIST "" ""`) answered and
 * `OK` to anything else, unless a script for the command says otherwise. `floodAndClose()` scripts an
 * endless reply.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { flood } from '@kalisto/test-support';

/** What a command script gets: the connection, the command's tag, and its arguments. */
export interface ImapCommand {
  socket: Socket;
  tag: string;
  args: string;
}

export interface HostileImapServerOptions {
  /** The first line the server sends (CRLF added); default an `* OK` without capabilities. */
  greeting?: string;
  /**
   * Scripts by upper-case command name (`CAPABILITY`, `LIST`, `FETCH` also for `UID FETCH`, …). A script owns the answer: it
   * writes (or floods) what it likes. Commands without one get the defaults above.
   */
  commands?: Record<string, (command: ImapCommand) => void | Promise<void>>;
  /** Instead of the greeting: run this on each new connection (a greeting flood, say). */
  onConnect?: (socket: Socket) => void | Promise<void>;
}

export interface HostileImapServer {
  port: number;
  /** Every command line the server received, tag included (AUTHENTICATE payloads cut off). */
  received: string[];
  /** Bytes the server handed to its sockets so far. */
  bytesWritten(): number;
  /** Resolves when a connection the server accepted has closed (the client or the server ended it). */
  connectionClosed(): Promise<void>;
  close(): Promise<void>;
}

export async function startHostileImapServer(
  options: HostileImapServerOptions = {},
): Promise<HostileImapServer> {
  const sockets = new Set<Socket>();
  const accepted: Socket[] = [];
  const received: string[] = [];
  let closed: () => void = () => {};
  const closedOnce = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    accepted.push(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      closed();
    });
    if (options.onConnect) void options.onConnect(socket);
    else socket.write(`${options.greeting ?? '* OK IMAP4rev1 hostile test server ready'}\r\n`);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const [tag = '', first = '', ...words] = line.split(' ');
        // `UID FETCH` and `UID SEARCH` run the FETCH and SEARCH scripts.
        const uid = first.toUpperCase() === 'UID' && words.length > 0;
        const command = (uid ? (words[0] as string) : first).toUpperCase();
        const rest = uid ? words.slice(1) : words;
        received.push(command === 'AUTHENTICATE' ? `${tag} AUTHENTICATE ${rest[0] ?? ''}` : line);
        const args = rest.join(' ');
        // ImapFlow asks for the hierarchy delimiter after login; scripts get the real listings.
        const delimiterQuery = command === 'LIST' && args === '"" ""';
        const script = delimiterQuery ? undefined : options.commands?.[command];
        if (script) void script({ socket, tag, args });
        else if (delimiterQuery) socket.write(`* LIST (\\Noselect) "/" ""\r\n${tag} OK LIST completed\r\n`);
        else if (command === 'CAPABILITY')
          socket.write(`* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR\r\n${tag} OK CAPABILITY completed\r\n`);
        else if (command === 'LOGOUT') socket.end(`* BYE bye\r\n${tag} OK LOGOUT completed\r\n`);
        else socket.write(`${tag} OK ${command} completed\r\n`);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    received,
    bytesWritten: () => accepted.reduce((sum, socket) => sum + socket.bytesWritten, 0),
    connectionClosed: () => closedOnce,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A command script that floods (see `flood` in @kalisto/test-support) and then drops the connection. */
export function floodAndClose(
  head: string,
  piece: string | Buffer,
  total: number,
): (command: { socket: Socket }) => Promise<void> {
  return async ({ socket }) => {
    await flood(socket, piece, total, { head });
    socket.destroy();
  };
}
