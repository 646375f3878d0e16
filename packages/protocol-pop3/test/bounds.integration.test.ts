/**
 * Hostile servers that never stop talking: every reply the client holds in memory is bounded by
 * `maxResponseBytes` (a message by `maxMessageBytes`), and so is every line, a message body's
 * included. Each server floods 64 MiB unless the client hangs up first, then ends the reply, so a
 * client without the bound would succeed instead of failing (no timer decides anything here).
 */
import { once } from 'node:events';
import { type Flooded, flood } from '@kalisto/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPop3, type Pop3ConnectOptions } from '../src/index.js';
import {
  capaReply,
  type FakeConnection,
  type FakeServer,
  type FakeServerOptions,
  fakeServerHarness,
  plainOptions,
} from './fake-server.js';

const GREETING = '+OK POP3 ready\r\n';
const LIMIT = 64 * 1024;
/** The most one socket read hands the parser: the bound may be crossed by at most this much. */
const CHUNK = 64 * 1024;
const FLOOD_BYTES = 64 * 1024 * 1024;

const { serve, connect, cleanup } = fakeServerHarness();
afterEach(cleanup);

const plain = (server: FakeServer, extra: Partial<Pop3ConnectOptions> = {}) =>
  plainOptions(server, { maxResponseBytes: LIMIT, ...extra });

/** Lines of a listing, `size` bytes in all. */
function listingLines(size: number): Buffer {
  const line = '1 4096\r\n';
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size), 'latin1');
}

/**
 * A server that answers CAPA with `capabilities` (or floods it) and floods the reply to `verb`
 * with `filler` after `+OK`; `flooded` resolves with what it sent.
 */
function flooding(verb: string, filler: Buffer, capabilities: string[] = ['SASL XOAUTH2']) {
  let sent: (value: Flooded) => void = () => undefined;
  const flooded = new Promise<Flooded>((resolve) => {
    sent = resolve;
  });
  const options: FakeServerOptions = {
    greeting: GREETING,
    onLine: (line: string, connection: FakeConnection) => {
      if (line === verb) {
        connection.send('+OK\r\n');
        void flood(connection.socket, filler, FLOOD_BYTES, { end: '\r\n.\r\n' }).then(sent);
      } else if (line === 'CAPA') connection.send(capaReply(...capabilities));
      else if (line === 'AUTH XOAUTH2') connection.send('+ \r\n');
      else if (line === 'QUIT') connection.send('+OK bye\r\n');
      else connection.send('+OK\r\n');
    },
  };
  return { options, flooded };
}

async function closedByClient(server: FakeServer): Promise<void> {
  const socket = server.connections[0]?.socket;
  if (socket && !socket.destroyed) await once(socket, 'close');
}

describe('maxResponseBytes: replies held in memory', () => {
  it('an endless CAPA before STLS, in plaintext, fails with POP3_RESPONSE_TOO_LARGE and closes the connection', async () => {
    const { options, flooded } = flooding('CAPA', Buffer.from('X-PADDING '.repeat(1638).concat('\r\n')));
    const server = await serve(options);
    // No allowInsecureAuth: the client would go on to STLS, had the CAPA reply ended.
    const failure = connectPop3(plain(server, { allowInsecureAuth: false }));
    await expect(failure).rejects.toMatchObject({
      name: 'ConnectionError',
      code: 'POP3_RESPONSE_TOO_LARGE',
      transient: false,
      protocol: 'pop3',
    });
    await expect(failure).rejects.toThrow(/mail\.pop3\.maxResponseBytes/);
    await expect(failure).rejects.toThrow(/in reply to CAPA/);
    expect(await flooded).toMatchObject({ stoppedByClient: true });
    await closedByClient(server);
    expect(server.connections[0]?.lines).toEqual(['CAPA']);
  });

  it('a CAPA reply of exactly maxResponseBytes is taken, one byte more is refused', async () => {
    const body = (size: number) => {
      const pad = `X-PAD ${'p'.repeat(size - 'X-PAD \r\nTOP\r\n'.length)}\r\nTOP\r\n`;
      return `+OK\r\n${pad}.\r\n`;
    };
    let size = LIMIT;
    const server = await serve({
      greeting: GREETING,
      onLine: (line, connection) => {
        if (line === 'CAPA') connection.send(body(size));
        else connection.send('+OK\r\n');
      },
    });
    const client = await connect(plain(server));
    expect(client.capabilities.has('TOP')).toBe(true);
    size = LIMIT + 1;
    await expect(connectPop3(plain(server))).rejects.toMatchObject({ code: 'POP3_RESPONSE_TOO_LARGE' });
  });

  it.each(['LIST', 'UIDL', 'TOP 1 0'])(
    'an endless %s after login fails with POP3_RESPONSE_TOO_LARGE',
    async (verb) => {
      const { options, flooded } = flooding(verb, listingLines(16 * 1024));
      const server = await serve(options);
      const client = await connect(plain(server));
      await client.authenticate({ user: 'adele@contoso.example', accessToken: 'not-a-real-token' });
      const command = verb === 'LIST' ? client.list() : verb === 'UIDL' ? client.uidl() : client.top(1, 0);
      const error = await command.then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error).toMatchObject({ name: 'ConnectionError', code: 'POP3_RESPONSE_TOO_LARGE' });
      expect(error?.message).toContain(`in reply to ${verb.split(' ')[0]}`);
      expect(error?.message).toContain(`larger than ${LIMIT} bytes`);
      expect(await flooded).toMatchObject({ stoppedByClient: true });
      expect(client.closed).toBe(true);
      await expect(client.noop()).rejects.toMatchObject({ code: 'POP3_RESPONSE_TOO_LARGE' });
    },
  );

  it('an endless greeting line (no CRLF ever) is refused at the line bound', async () => {
    let sent: Promise<Flooded> | undefined;
    const server = await serve({
      onConnect: (connection) => {
        sent = flood(connection.socket, Buffer.alloc(16 * 1024, 0x2b), FLOOD_BYTES, { end: '\r\n' });
      },
    });
    const failure = connectPop3(plain(server));
    await expect(failure).rejects.toMatchObject({ code: 'POP3_RESPONSE_TOO_LARGE', transient: false });
    await expect(failure).rejects.toThrow(/longer than 8192 bytes \(the maxLineLength option/);
    expect(await sent).toMatchObject({ stoppedByClient: true });
  });

  it('a status line is bounded by maxResponseBytes too, when that is the smaller bound', async () => {
    const server = await serve({
      onConnect: (connection) => {
        void flood(connection.socket, Buffer.alloc(1024, 0x2b), FLOOD_BYTES, { end: '\r\n' });
      },
    });
    const failure = connectPop3(plain(server, { maxResponseBytes: 2048 }));
    await expect(failure).rejects.toMatchObject({ code: 'POP3_RESPONSE_TOO_LARGE' });
    await expect(failure).rejects.toThrow(/larger than 2048 bytes \(mail\.pop3\.maxResponseBytes\)/);
  });
});

describe('message bodies', () => {
  it('an endless single line inside a streamed RETR body fails the stream at the bound', async () => {
    const { options, flooded } = flooding('RETR 1', Buffer.alloc(16 * 1024, 0x78));
    const server = await serve(options);
    const client = await connect(plain(server));
    let received = 0;
    const reading = (async () => {
      for await (const chunk of client.retr(1)) received += (chunk as Buffer).length;
    })();
    await expect(reading).rejects.toMatchObject({ code: 'POP3_RESPONSE_TOO_LARGE' });
    await expect(reading).rejects.toThrow(/in reply to RETR/);
    expect(received).toBeGreaterThan(LIMIT - CHUNK);
    expect(received).toBeLessThanOrEqual(LIMIT + CHUNK);
    expect(await flooded).toMatchObject({ stoppedByClient: true });
  });

  it('a streamed RETR body is not bounded by maxResponseBytes: 8 MiB of ordinary lines arrive whole', async () => {
    const lines = listingLines(8 * 1024 * 1024);
    const server = await serve({
      greeting: GREETING,
      onLine: (line, connection) => {
        if (line === 'CAPA') connection.send(capaReply('UIDL'));
        else if (line === 'RETR 1') {
          connection.socket.write('+OK\r\n');
          connection.socket.write(lines);
          connection.socket.write('.\r\n');
        } else connection.send('+OK\r\n');
      },
    });
    const client = await connect(plain(server));
    const pieces: Buffer[] = [];
    for await (const chunk of client.retr(1)) pieces.push(chunk as Buffer);
    expect(Buffer.concat(pieces).equals(lines)).toBe(true);
  });

  it('retrBuffer holds at most maxMessageBytes: a larger message is POP3_MESSAGE_TOO_LARGE', async () => {
    const { options, flooded } = flooding('RETR 1', listingLines(16 * 1024));
    const server = await serve(options);
    const client = await connect(plain(server, { maxMessageBytes: 1024 * 1024 }));
    // Only the outcome is compared: a client without the bound would resolve with 64 MiB.
    const error = await client.retrBuffer(1).then(
      (data) => ({ resolvedWith: data.length }),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({
      name: 'ConnectionError',
      code: 'POP3_MESSAGE_TOO_LARGE',
      transient: false,
    });
    expect((error as Error).message).toMatch(
      /larger than 1048576 bytes, more than is held in memory \(the maxMessageBytes option\)/,
    );
    expect((error as Error).message).toContain('retr()');
    expect(await flooded).toMatchObject({ stoppedByClient: true });
  });
});
