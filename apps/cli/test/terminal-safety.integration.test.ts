/**
 * Server text reaches the terminal escaped: a hostile SMTP server and a hostile token endpoint
 * (small real servers on loopback, with the sandbox's TLS certificate) put a window-title sequence
 * (ESC ] 0 ; … BEL) and a clear-screen sequence (ESC [ 2 J) in their replies.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, type CliSandbox, expectNoSecrets, runKalisto, startCliSandbox } from './helpers.js';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J';
const SHOWN = '\\u001b]0;pwned\\u0007\\u001b[2J';

let box: CliSandbox;
const servers: (Server | HttpsServer)[] = [];

beforeAll(async () => {
  box = await startCliSandbox();
});

afterAll(async () => {
  for (const server of servers) {
    (server as HttpsServer).closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
  await box?.stop();
});

async function listen(server: Server | HttpsServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An implicit-TLS SMTP server that accepts any XOAUTH2 login and answers the message with `finalReply`. */
async function hostileSmtp(finalReply: string): Promise<number> {
  const server = createTlsServer(
    { key: box.sandbox.tls.key, cert: box.sandbox.tls.cert },
    (socket: TLSSocket) => {
      socket.on('error', () => undefined);
      let inData = false;
      let pending = '';
      socket.write('220 hostile.example ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (;;) {
          if (inData) {
            const end = pending.indexOf('\r\n.\r\n');
            if (end < 0) return;
            pending = pending.slice(end + 5);
            inData = false;
            socket.write(`${finalReply}\r\n`);
            continue;
          }
          const eol = pending.indexOf('\r\n');
          if (eol < 0) return;
          const line = pending.slice(0, eol);
          pending = pending.slice(eol + 2);
          const verb = line.split(' ')[0]?.toUpperCase();
          if (verb === 'EHLO') socket.write('250-hostile.example\r\n250 AUTH XOAUTH2\r\n');
          else if (verb === 'AUTH') socket.write('235 2.7.0 Authentication successful\r\n');
          else if (verb === 'DATA') {
            inData = true;
            socket.write('354 go ahead\r\n');
          } else if (verb === 'QUIT') socket.end('221 bye\r\n');
          else socket.write('250 OK\r\n');
        }
      });
    },
  );
  return listen(server);
}

/** A token endpoint that refuses every request with an AADSTS error whose description is hostile. */
async function hostileTokenEndpoint(): Promise<number> {
  const server = createHttpsServer({ key: box.sandbox.tls.key, cert: box.sandbox.tls.cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided. ${HOSTILE} Trace ID: 0`,
          error_codes: [7000215],
        }),
      );
    });
  });
  return listen(server);
}

function expectEscaped(text: string): void {
  expect(text).toContain(SHOWN);
  // No escape character and no BEL at all: colours are off (NO_COLOR), so nothing may emit one.
  expect(text).not.toMatch(/[\u001b\u0007\u009b]/);
}

function sendTo(port: number, ...extra: string[]): Promise<CliRun> {
  return runKalisto([
    ...box.config,
    '-D',
    `mail.smtps.port=${port}`,
    '-D',
    'mail.smtps.user=adele@contoso.example',
    ...extra,
    'send',
    '--protocol',
    'smtps',
    '--to',
    'megan@contoso.example',
    '--subject',
    'Escapes',
    '--text',
    'Hello.',
  ]);
}

describe('server text on the terminal', () => {
  it("escapes control sequences in an SMTP server's reply to a sent message", async () => {
    const port = await hostileSmtp(`250 2.0.0 OK queued ${HOSTILE}`);
    const run = await sendTo(port);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('server:   250 2.0.0 OK queued');
    expectEscaped(run.stdout);
    expect(run.stderr).not.toMatch(/[\u001b\u0007]/);
    expectNoSecrets(run, box.secrets);
  });

  it("escapes control sequences in an SMTP server's refusal, with and without --debug", async () => {
    const port = await hostileSmtp(`554 5.7.1 Rejected ${HOSTILE}`);
    for (const extra of [[], ['--debug']]) {
      const run = await sendTo(port, ...extra);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('Rejected');
      expectEscaped(run.stderr);
      expect(run.stdout).not.toMatch(/[\u001b\u0007]/);
      expectNoSecrets(run, box.secrets);
    }
  });

  it("escapes control sequences in the identity platform's error_description, with and without --debug", async () => {
    const port = await hostileTokenEndpoint();
    for (const extra of [[], ['--debug'], ['--json']]) {
      const run = await runKalisto([
        ...box.config,
        '-D',
        'o365.oauth.provider=oauth2',
        '-D',
        `o365.oauth.url=https://127.0.0.1:${port}/%s/oauth2/v2.0/token`,
        ...extra,
        'token',
      ]);
      expect(run.code).toBe(3);
      expect(`${run.stdout}${run.stderr}`).toContain('Invalid client secret provided.');
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/[\u001b\u0007\u009b]/);
      // Under --json the document on standard output carries it, JSON-escaped the same way.
      expectEscaped(extra[0] === '--json' ? run.stdout : run.stderr);
      expectNoSecrets(run, box.secrets);
    }
  });

  it('escapes control sequences in what the user typed when it is echoed back', async () => {
    const unknownOption = await runKalisto(['list', `--x${HOSTILE}`]);
    expect(unknownOption.code).toBe(2);
    expectEscaped(unknownOption.stderr);
    const badNumber = await runKalisto([...box.config, 'read', `1${HOSTILE}`]);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('<uid> needs a positive whole number');
    expectEscaped(badNumber.stderr);
  });
});
