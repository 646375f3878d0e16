import { once } from 'node:events';
import { createSandboxTls, type SandboxTls } from '@kalisto/sandbox';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3 } from '../src/index.js';
import { capaReply, type FakeServerOptions, fakeServerHarness, plainOptions } from './fake-server.js';

const GREETING = '+OK POP3 ready\r\n';
// A JWT-shaped stand-in: long enough that a leak would be unmistakable.
const TOKEN = `eyJhbGciOiJub25lIn0.${Buffer.from('{"aud":"https://outlook.office.com"}').toString('base64url')}.${'s'.repeat(86)}`;

let tls: SandboxTls;
const { serve, connect, cleanup } = fakeServerHarness();
const plain = plainOptions;

beforeAll(async () => {
  tls = await createSandboxTls();
});
afterEach(cleanup);

/** Answers CAPA with `capabilities` and everything else through `reply`. */
function scripted(capabilities: string[], reply: (line: string) => string | undefined): FakeServerOptions {
  return {
    greeting: GREETING,
    onLine: (line, connection) => {
      if (line === 'CAPA') connection.send(capaReply(...capabilities));
      else if (line === 'QUIT') connection.send('+OK bye\r\n');
      else if (line === 'RSET') connection.send('+OK\r\n');
      else {
        const answer = reply(line);
        if (answer !== undefined) connection.send(answer);
      }
    },
  };
}

describe('timeouts', () => {
  it('a server that accepts and says nothing fails the connect with POP3_TIMEOUT', async () => {
    const server = await serve({});
    const failure = connectPop3(plain(server, { connectionTimeoutMs: 150 }));
    await expect(failure).rejects.toMatchObject({
      name: 'ConnectionError',
      code: 'POP3_TIMEOUT',
      transient: true,
    });
    await expect(failure).rejects.toThrow(/connectiontimeout/);
    const [connection] = server.connections;
    if (connection && !connection.socket.destroyed) await once(connection.socket, 'close');
  });

  it('a reply that never comes fails the command with POP3_TIMEOUT, and the client closes', async () => {
    const server = await serve(scripted(['UIDL'], () => undefined));
    const client = await connect(plain(server, { timeoutMs: 150 }));
    await expect(client.stat()).rejects.toMatchObject({ code: 'POP3_TIMEOUT', transient: true });
    await expect(client.stat()).rejects.toThrow(/STAT/);
    expect(client.closed).toBe(true);
  });
});

describe('cancellation', () => {
  it('an AbortSignal ends a connect that is waiting for the greeting', async () => {
    const server = await serve({});
    const controller = new AbortController();
    const failure = connectPop3(plain(server, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    await expect(failure).rejects.toMatchObject({ code: 'POP3_ABORTED' });
    await expect(connectPop3(plain(server, { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      code: 'POP3_ABORTED',
    });
  });
});

describe('malformed servers', () => {
  it('a greeting that is not POP3 is a POP3_PROTOCOL_ERROR', async () => {
    const server = await serve({ greeting: 'HTTP/1.1 400 Bad Request\r\n\r\n' });
    await expect(connectPop3(plain(server))).rejects.toMatchObject({
      name: 'ConnectionError',
      code: 'POP3_PROTOCOL_ERROR',
      transient: false,
    });
  });

  it('an endless line is refused at the bound, not buffered forever', async () => {
    const server = await serve({ greeting: 'x'.repeat(100_000) });
    await expect(connectPop3(plain(server, { maxLineLength: 1024 }))).rejects.toMatchObject({
      code: 'POP3_RESPONSE_TOO_LARGE',
    });
  });

  it('garbage mid-session fails that command and every later one', async () => {
    const server = await serve(scripted([], () => '* OK [CAPABILITY IMAP4rev1] ready\r\n'));
    const client = await connect(plain(server));
    await expect(client.stat()).rejects.toMatchObject({ code: 'POP3_PROTOCOL_ERROR' });
    await expect(client.noop()).rejects.toMatchObject({ code: 'POP3_PROTOCOL_ERROR' });
  });

  it('a connection closed mid-reply fails every pending command, transient', async () => {
    const server = await serve(
      scripted(['PIPELINING'], (line) => {
        if (line !== 'RETR 1') return undefined;
        const connection = server.connections[0];
        connection?.send('+OK 100 octets\r\nSubject: half a mess');
        setImmediate(() => connection?.socket.destroy());
        return undefined;
      }),
    );
    const client = await connect(plain(server));
    const results = await Promise.allSettled([client.retrBuffer(1), client.retrBuffer(2), client.noop()]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'POP3_CONNECTION_CLOSED', transient: true },
      });
    }
  });
});

describe('pipelining', () => {
  it('with PIPELINING, a window of RETR commands is sent before any reply', async () => {
    let waiting: string[] = [];
    const server = await serve(
      scripted(['PIPELINING'], (line) => {
        waiting.push(line);
        // Nothing is answered until the whole window has arrived: lock-step would stall here.
        if (waiting.length < 4) return undefined;
        const replies = waiting.map((l) => `+OK\r\nbody of ${l}\r\n..dot\r\n.\r\n`).join('');
        waiting = [];
        return replies;
      }),
    );
    const client = await connect(plain(server, { timeoutMs: 5_000 }));
    const got: string[] = [];
    for await (const message of client.retrMany([1, 2, 3, 4, 5, 6, 7, 8], { window: 4 })) {
      got.push(message.data.toString('latin1'));
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `body of RETR ${n}\r\n.dot\r\n`));
  });

  it('without PIPELINING, each command waits for the previous reply', async () => {
    let busy = false;
    let overlaps = 0;
    const server = await serve(
      scripted([], (line) => {
        if (busy) overlaps += 1;
        busy = true;
        setTimeout(() => {
          busy = false;
          server.connections[0]?.send(`+OK\r\n${line}\r\n.\r\n`);
        }, 2);
        return undefined;
      }),
    );
    const client = await connect(plain(server));
    expect(client.pipelining).toBe(false);
    const numbers: number[] = [];
    for await (const message of client.retrMany([1, 2, 3, 4, 5])) numbers.push(message.number);
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
    expect(overlaps).toBe(0);
  });
});

describe('closing', () => {
  it('close() before login sends only QUIT; after it, commands fail with POP3_CLIENT_CLOSED', async () => {
    const server = await serve(scripted(['PIPELINING'], () => '+OK\r\n'));
    const client = await connectPop3(plain(server));
    await client.close();
    await client.close();
    expect(server.connections[0]?.lines).toEqual(['CAPA', 'QUIT']);
    await expect(client.noop()).rejects.toMatchObject({ code: 'POP3_CLIENT_CLOSED', transient: false });
  });
});

describe('transport security', () => {
  it('a plain server without STLS gets no token: POP3_TLS_REQUIRED', async () => {
    const server = await serve(scripted(['SASL XOAUTH2', 'USER'], () => '-ERR no\r\n'));
    await expect(connectPop3({ host: '127.0.0.1', port: server.port, secure: false })).rejects.toMatchObject({
      code: 'POP3_TLS_REQUIRED',
    });
    expect(server.connections[0]?.lines.some((l) => l.startsWith('AUTH'))).toBe(false);
  });

  it('a server refusing STLS is POP3_STARTTLS_REFUSED, naming the TLS settings, not message numbers', async () => {
    const server = await serve(scripted(['STLS', 'SASL XOAUTH2'], () => '-ERR [SYS/PERM] STLS disabled\r\n'));
    const failure = connectPop3({ host: '127.0.0.1', port: server.port, secure: false });
    await expect(failure).rejects.toMatchObject({
      name: 'Pop3ReplyError',
      code: 'POP3_STARTTLS_REFUSED',
      command: 'STLS',
      serverText: '-ERR [SYS/PERM] STLS disabled',
      transient: false,
    });
    const error = (await failure.catch((e: unknown) => e)) as Error & { hint: string };
    expect(error.message).toContain('refused STLS');
    for (const property of ['mail.pop3.starttls.enable', 'mail.pop3.ssl.enable', 'mail.pop3.port']) {
      expect(error.message).toContain(property);
      expect(error.hint).toContain(property);
    }
    expect(`${error.message} ${error.hint}`).not.toMatch(/message number/);
    expect(server.connections[0]?.lines).toEqual(['CAPA', 'STLS']);
  });

  it('verifies the certificate: unknown CA and wrong name fail with POP3_TLS_FAILED', async () => {
    const server = await serve({ greeting: GREETING, tls, onLine: scripted([], () => '+OK\r\n').onLine });
    const secure = { host: '127.0.0.1', port: server.port, secure: true } as const;
    await expect(connectPop3(secure)).rejects.toMatchObject({ code: 'POP3_TLS_FAILED', transient: false });
    await expect(
      connectPop3({ ...secure, ca: tls.ca, servername: 'mail.other.example' }),
    ).rejects.toMatchObject({
      code: 'POP3_TLS_FAILED',
    });
    const client = await connect({ ...secure, ca: tls.ca });
    expect(client.secure).toBe(true);
    expect(client.greeting).toBe('POP3 ready');
  });

  it('checkServerIdentity: false skips only the name check, never the chain', async () => {
    const server = await serve({ greeting: GREETING, tls, onLine: scripted([], () => '+OK\r\n').onLine });
    const loose = { host: '127.0.0.1', port: server.port, secure: true, checkServerIdentity: false } as const;
    await expect(connectPop3(loose)).rejects.toMatchObject({ code: 'POP3_TLS_FAILED' });
    const client = await connect({ ...loose, ca: tls.ca, servername: 'mail.other.example' });
    expect(client.secure).toBe(true);
  });
});

describe('SASL on the wire', () => {
  async function tlsServer(capabilities: string[], reply: (line: string) => string | undefined) {
    const options = scripted(capabilities, reply);
    const server = await serve({ ...options, tls });
    return { server, options: { host: '127.0.0.1', port: server.port, secure: true, ca: tls.ca } };
  }

  it('XOAUTH2 goes on two lines: AUTH XOAUTH2, then the payload after +', async () => {
    const { server, options } = await tlsServer(['SASL XOAUTH2'], (line) =>
      line === 'AUTH XOAUTH2' ? '+ \r\n' : '+OK User successfully authenticated.\r\n',
    );
    const client = await connect(options);
    await client.authenticate({ user: 'adele@contoso.example', accessToken: TOKEN });
    const lines = server.connections[0]?.lines ?? [];
    expect(lines.slice(1, 3)).toEqual([
      'AUTH XOAUTH2',
      Buffer.from(`user=adele@contoso.example\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64'),
    ]);
  });

  it('the one-line form is used only where the server advertises SASL-IR and the line fits 255 octets', async () => {
    const { server, options } = await tlsServer(['SASL XOAUTH2', 'SASL-IR'], () => '+OK authenticated\r\n');
    const client = await connect(options);
    await client.authenticate({ user: 'a@b.example', accessToken: 'short-token' });
    const payload = Buffer.from('user=a@b.example\x01auth=Bearer short-token\x01\x01').toString('base64');
    expect(server.connections[0]?.lines.slice(1)).toEqual([`AUTH XOAUTH2 ${payload}`]);
  });

  it('an OAUTHBEARER error challenge is acknowledged; the error carries the scope, never the token', async () => {
    const scope = 'https://outlook.office.com/POP.AccessAsUser.All';
    const challenge = Buffer.from(JSON.stringify({ status: '401', schemes: 'bearer', scope })).toString(
      'base64',
    );
    let step = 0;
    const { server, options } = await tlsServer(['SASL XOAUTH2 OAUTHBEARER'], () => {
      step += 1;
      if (step === 1) return '+ \r\n';
      if (step === 2) return `+ ${challenge}\r\n`;
      return '-ERR [AUTH] Authentication failed.\r\n';
    });
    const client = await connect({ ...options, saslMechanisms: ['OAUTHBEARER', 'XOAUTH2'] });
    const error = await client.authenticate({ user: 'adele@contoso.example', accessToken: TOKEN }).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
    expect(error?.hint).toContain(scope);
    const lines = server.connections[0]?.lines ?? [];
    expect(lines[1]).toBe('AUTH OAUTHBEARER');
    expect(lines[3]).toBe('AQ==');
    const said = `${error?.message}\n${error?.hint}\n${error?.stack}\n${JSON.stringify(error)}`;
    expect(said).not.toContain(TOKEN);
    expect(said).not.toContain(lines[2]);
    expect(client.closed).toBe(false);
  });

  it('[SYS/TEMP] during AUTH is a transient Pop3ReplyError with its response code', async () => {
    const { options } = await tlsServer(['SASL XOAUTH2'], (line) =>
      line === 'AUTH XOAUTH2' ? '+ \r\n' : '-ERR [SYS/TEMP] Temporary authentication failure.\r\n',
    );
    const client = await connect(options);
    await expect(
      client.authenticate({ user: 'adele@contoso.example', accessToken: TOKEN }),
    ).rejects.toMatchObject({
      name: 'Pop3ReplyError',
      code: 'SERVER_UNAVAILABLE',
      responseCode: 'SYS/TEMP',
      transient: true,
    });
  });

  it('a server offering none of the configured mechanisms is POP3_MECHANISM_UNAVAILABLE, before any AUTH', async () => {
    const { server, options } = await tlsServer(['SASL PLAIN'], () => '-ERR no\r\n');
    const client = await connect(options);
    await expect(
      client.authenticate({ user: 'adele@contoso.example', accessToken: TOKEN }),
    ).rejects.toMatchObject({
      code: 'POP3_MECHANISM_UNAVAILABLE',
    });
    expect(server.connections[0]?.lines.some((l) => l.startsWith('AUTH'))).toBe(false);
  });
});
