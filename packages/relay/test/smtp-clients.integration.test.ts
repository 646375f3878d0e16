/**
 * The SMTP listener driven by clients nobody here wrote — swaks, curl, Python's smtplib — in front
 * of the sandbox (real msal-node, client credentials, the smtp provider upstream). Each delivered
 * message is read back over IMAP and compared byte for byte.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { FIXTURE } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOverImap, PRINTER, type RelayBed, rawMessage, run, startRelayBed } from './helpers.js';

const { adele, megan, alex } = FIXTURE.users;
let bed: RelayBed;

beforeAll(async () => {
  bed = await startRelayBed((_sandbox, hash) => ({
    'kalisto.relay.listener.submit.protocol': 'smtp',
    'kalisto.relay.listener.submit.port': '0',
    'kalisto.relay.listener.submit.tls': 'starttls',
    'kalisto.relay.listener.smtps.protocol': 'smtp',
    'kalisto.relay.listener.smtps.port': '0',
    'kalisto.relay.listener.smtps.tls': 'implicit',
    'kalisto.relay.listener.legacy.protocol': 'smtp',
    'kalisto.relay.listener.legacy.port': '0',
    'kalisto.relay.listener.legacy.tls': 'implicit',
    'kalisto.relay.listener.legacy.tls.minVersion': 'TLSv1.1',
    'kalisto.relay.listener.printers.protocol': 'smtp',
    'kalisto.relay.listener.printers.port': '0',
    'kalisto.relay.listener.printers.mode': 'trusted-networks',
    'kalisto.relay.listener.printers.tls': 'none',
    'kalisto.relay.listener.printers.trustedNetworks': '127.0.0.2/32, ::ffff:127.0.0.4/128',
    'kalisto.relay.listener.printers.allowedSenders': adele,
    'kalisto.relay.user.printer.password': hash,
    'kalisto.relay.user.printer.mailbox': adele,
  }));
}, 60_000);

afterAll(async () => {
  await bed?.stop();
});

/** The message file a client uploads, with a subject unique to the test. */
function messageFile(name: string, raw: Buffer): string {
  const path = join(bed.dir, `${name}.eml`);
  writeFileSync(path, raw);
  return path;
}

describe('auth mode', () => {
  it('swaks: AUTH PLAIN after STARTTLS (certificate verified), delivered byte for byte, Bcc too', async () => {
    const subject = `swaks plain ${Date.now()}`;
    const raw = rawMessage(adele, megan, subject);
    const result = await run('swaks', [
      ...[
        '--server',
        `127.0.0.1:${bed.port('submit')}`,
        '--tls',
        '--tls-verify',
        '--tls-ca-path',
        bed.caFile,
      ],
      ...['--auth', 'PLAIN', '--auth-user', PRINTER.user, '--auth-password', PRINTER.password],
      ...['--from', adele, '--to', `${megan},${alex}`, '--data', `@${messageFile('plain', raw)}`],
    ]);

    expect(result.stdout).toMatch(/<~ {2}250 2\.0\.0 Delivered upstream: 250 2\.0\.0 OK /);
    expect(result.code).toBe(0);
    // swaks ends DATA with CRLF.CRLF after the file's own last CRLF: one empty line more, its own doing.
    const sent = Buffer.concat([raw, Buffer.from('\r\n')]);
    expect((await findOverImap(bed, megan, subject))[0]?.equals(sent)).toBe(true);
    // alex is in the envelope only (a Bcc): delivered as well, the same bytes.
    expect((await findOverImap(bed, alex, subject))[0]?.equals(sent)).toBe(true);
  });

  it('swaks: AUTH LOGIN with implicit TLS', async () => {
    const subject = `swaks login ${Date.now()}`;
    const result = await run('swaks', [
      ...[
        '--server',
        `127.0.0.1:${bed.port('smtps')}`,
        '--tls-on-connect',
        '--tls-verify',
        '--tls-ca-path',
        bed.caFile,
      ],
      ...['--auth', 'LOGIN', '--auth-user', PRINTER.user, '--auth-password', PRINTER.password],
      ...[
        '--from',
        adele,
        '--to',
        megan,
        '--data',
        `@${messageFile('login', rawMessage(adele, megan, subject))}`,
      ],
    ]);

    expect(result.stdout).toContain('<~  334 VXNlcm5hbWU6');
    expect(result.stdout).toContain('<~  334 UGFzc3dvcmQ6');
    expect(result.code).toBe(0);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(1);
  });

  it('curl: smtp:// with --ssl-reqd and AUTH uploads a file', async () => {
    const subject = `curl auth ${Date.now()}`;
    const raw = rawMessage(adele, megan, subject);
    const result = await run('curl', [
      '--silent',
      '--show-error',
      '--url',
      `smtp://127.0.0.1:${bed.port('submit')}`,
      '--ssl-reqd',
      '--cacert',
      bed.caFile,
      '--user',
      `${PRINTER.user}:${PRINTER.password}`,
      ...['--mail-from', adele, '--mail-rcpt', megan, '--upload-file', messageFile('curl', raw)],
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await findOverImap(bed, megan, subject))[0]?.equals(raw)).toBe(true);
  });

  it('curl: without AUTH the auth listener refuses the sender (530)', async () => {
    const subject = `curl no auth ${Date.now()}`;
    const result = await run('curl', [
      ...['--silent', '--show-error', '--url', `smtp://127.0.0.1:${bed.port('submit')}`],
      ...['--ssl-reqd', '--cacert', bed.caFile],
      ...[
        '--mail-from',
        adele,
        '--mail-rcpt',
        megan,
        '--upload-file',
        messageFile('curl-noauth', rawMessage(adele, megan, subject)),
      ],
    ]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/530/);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(0);
  });

  it('python smtplib: starttls, login, sendmail with a Bcc; the bytes arrive unchanged', async () => {
    const subject = `smtplib ${Date.now()}`;
    const raw = rawMessage(adele, megan, subject, 'Line one.\r\n.Leading dot.\r\n..Two dots.\r\nEnd.');
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s:
    s.starttls(context=ctx)
    s.login(sys.argv[3], sys.argv[4])
    refused = s.sendmail(sys.argv[5], [sys.argv[6], sys.argv[7]], open(sys.argv[8], 'rb').read())
    print('refused', refused)
`;
    const result = await run('python3', [
      '-c',
      script,
      String(bed.port('submit')),
      bed.caFile,
      PRINTER.user,
      PRINTER.password,
      adele,
      megan,
      alex,
      messageFile('smtplib', raw),
    ]);

    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('refused {}');
    expect((await findOverImap(bed, megan, subject))[0]?.equals(raw)).toBe(true);
    expect((await findOverImap(bed, alex, subject))[0]?.equals(raw)).toBe(true);
  });
});

describe('trusted-networks mode', () => {
  const swaksFrom = (localAddress: string, from: string, subject: string) =>
    run('swaks', [
      ...['--server', `127.0.0.1:${bed.port('printers')}`, '--local-interface', localAddress],
      ...[
        '--from',
        from,
        '--to',
        megan,
        '--data',
        `@${messageFile(subject.replace(/\W/g, '-'), rawMessage(from, megan, subject))}`,
      ],
    ]);

  it('swaks from 127.0.0.2 (listed) sends without AUTH', async () => {
    const subject = `trusted ${Date.now()}`;
    const result = await swaksFrom('127.0.0.2', adele, subject);

    expect(result.stdout).toMatch(/<- {2}250 2\.0\.0 Delivered upstream/);
    expect(result.code).toBe(0);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(1);
  });

  it('swaks from 127.0.0.3 (not listed) is refused with a clear 550', async () => {
    const subject = `untrusted ${Date.now()}`;
    const result = await swaksFrom('127.0.0.3', adele, subject);

    expect(result.stdout).toContain(
      "<** 550 5.7.1 Relaying denied: 127.0.0.3 is not in this listener's trusted networks",
    );
    expect(result.code).not.toBe(0);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(0);
  });

  it('a sender outside allowedSenders is refused, even from a trusted address', async () => {
    const subject = `wrong sender ${Date.now()}`;
    const result = await swaksFrom('127.0.0.2', megan, subject);

    expect(result.stdout).toContain(`<** 550 5.7.1 Sender <${megan}> is not allowed on this listener`);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(0);
  });

  it('curl from 127.0.0.2 sends without --user', async () => {
    const subject = `curl trusted ${Date.now()}`;
    const raw = rawMessage(adele, megan, subject);
    const result = await run('curl', [
      ...[
        '--silent',
        '--show-error',
        '--url',
        `smtp://127.0.0.1:${bed.port('printers')}`,
        '--interface',
        '127.0.0.2',
      ],
      ...['--mail-from', adele, '--mail-rcpt', megan, '--upload-file', messageFile('curl-trusted', raw)],
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await findOverImap(bed, megan, subject))[0]?.equals(raw)).toBe(true);
  });
});

describe('TLS floor', () => {
  /** The TLS version a client limited to TLS 1.1 negotiates, or the handshake error. */
  const tls11 = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port,
        ca: bed.sandbox.ca,
        minVersion: 'TLSv1.1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      socket.once('secureConnect', () => {
        resolve(String(socket.getProtocol()));
        socket.destroy();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });

  it('TLS 1.2 is the floor by default: a TLS 1.1 client is refused', async () => {
    expect(await tls11(bed.port('smtps'))).toMatch(/^ERR_SSL_|ECONNRESET/);
  });

  it('tls.minVersion=TLSv1.1 lowers it for that listener only', async () => {
    expect(await tls11(bed.port('legacy'))).toBe('TLSv1.1');
  });
});
