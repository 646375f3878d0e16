/**
 * What goes wrong, as clients see it: a wrong relay password (535, then the lockout's 454), a
 * message over the size limit (552), a recipient upstream refuses (its 5xx passes through),
 * upstream down, no token, upstream 4xx (always a 4xx to the client, never a 5xx, never 250).
 * Last, nothing the relay logged or answered holds a password, the client secret, a token or the hash.
 */
import { FIXTURE } from '@kalisto/sandbox';
import { freePort } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  findOverImap,
  PRINTER,
  printerPasswordHash,
  type RelayBed,
  rawMessage,
  rawSmtp,
  run,
  type StartedRelay,
  startRelayBed,
} from './helpers.js';

const { adele, megan } = FIXTURE.users;
let bed: RelayBed;
/** Everything clients were told, for the no-secret scan. */
const said: string[] = [];

const listeners = (hash: string) => ({
  'kalisto.relay.listener.submit.protocol': 'smtp',
  'kalisto.relay.listener.submit.port': '0',
  'kalisto.relay.listener.submit.tls': 'starttls',
  'kalisto.relay.listener.local.protocol': 'smtp',
  'kalisto.relay.listener.local.port': '0',
  'kalisto.relay.listener.local.tls': 'none',
  'kalisto.relay.listener.local.maxMessageBytes': '2000',
  'kalisto.relay.listener.local.maxRecipients': '2',
  'kalisto.relay.listener.local.maxConnections': '3',
  'kalisto.relay.user.printer.password': hash,
  'kalisto.relay.user.printer.mailbox': adele,
  'kalisto.relay.user.scanner.password': hash,
  'kalisto.relay.user.scanner.mailbox': adele,
  'kalisto.relay.lockout.attempts': '3',
  'kalisto.relay.lockout.addressAttempts': '4',
});

beforeAll(async () => {
  // mail.debug: nodemailer logs the upstream conversation (AUTH XOAUTH2 included) — the scan must still pass.
  bed = await startRelayBed((_sandbox, hash) => listeners(hash), { base: () => ({ 'mail.debug': 'true' }) });
}, 60_000);

afterAll(async () => {
  await bed?.stop();
});

/** swaks over STARTTLS to `relay`'s submit listener as `user`; the transcript is kept for the scan. */
async function swaks(relay: StartedRelay, user: string, password: string, extra: string[] = []) {
  const result = await run('swaks', [
    ...[
      '--server',
      `127.0.0.1:${relay.port('submit')}`,
      '--tls',
      '--tls-verify',
      '--tls-ca-path',
      bed.caFile,
    ],
    ...['--auth', 'PLAIN', '--auth-user', user, '--auth-password', password],
    ...['--from', adele, '--to', megan],
    ...extra,
  ]);
  // Only what the relay sent: swaks also prints its own lines (its AUTH PLAIN payload among them).
  said.push(...result.stdout.split('\n').filter((line) => line.startsWith('<')));
  return result;
}

describe('relay credentials', () => {
  it('a wrong password gets 535; after lockout.attempts the right one gets 454 without being checked', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await swaks(bed, 'scanner', `wrong-${attempt}`);
      expect(wrong.stdout).toContain('<~* 535 5.7.8 Authentication credentials invalid');
    }
    const locked = await swaks(bed, 'scanner', PRINTER.password);
    expect(locked.stdout).toMatch(
      /<~\* 454 4\.7\.0 Too many failed logins for this user or address; try again in 15 min/,
    );
    expect(locked.code).not.toBe(0);
    // Another user from the same address is not locked (3 failures < addressAttempts 4).
    expect((await swaks(bed, 'printer', PRINTER.password)).code).toBe(0);
    const metrics = await bed.relay.metrics();
    expect(metrics).toContain('kalisto_relay_logins_total{listener="submit",outcome="failed"} 3');
    expect(metrics).toContain('kalisto_relay_logins_total{listener="submit",outcome="locked"} 1');
  });

  it('failures from one client address under many names lock the address', async () => {
    const smtp = await rawSmtp(bed.port('local'), { localAddress: '127.0.0.5' });
    const plain = (user: string, password: string) =>
      Buffer.from(`\0${user}\0${password}`).toString('base64');
    try {
      await smtp.command('EHLO spray');
      for (let n = 0; n < 4; n++) {
        const answer = await smtp.command(`AUTH PLAIN ${plain(`user${n}`, 'guess')}`);
        said.push(answer);
        expect(answer).toBe('535 5.7.8 Authentication credentials invalid');
      }
      const locked = await smtp.command(`AUTH PLAIN ${plain(PRINTER.user, PRINTER.password)}`);
      said.push(locked);
      expect(locked).toMatch(/^454 4\.7\.0 /);
    } finally {
      smtp.close();
    }
    const other = await rawSmtp(bed.port('local'));
    try {
      await other.command('EHLO elsewhere');
      expect(await other.command(`AUTH PLAIN ${plain(PRINTER.user, PRINTER.password)}`)).toMatch(/^235 /);
    } finally {
      other.close();
    }
  });
});

describe('limits', () => {
  it('SIZE is advertised; a larger message is refused with 552 (at MAIL FROM with SIZE=, after DATA without)', async () => {
    const smtp = await rawSmtp(bed.port('local'));
    try {
      expect(await smtp.command('EHLO device')).toMatch(/^250[- ]SIZE 2000\r?$/m);
      await smtp.command(
        `AUTH PLAIN ${Buffer.from(`\0${PRINTER.user}\0${PRINTER.password}`).toString('base64')}`,
      );
      expect(await smtp.command(`MAIL FROM:<${adele}> SIZE=3000`)).toMatch(/^552 /);
      expect(await smtp.command(`MAIL FROM:<${adele}>`)).toMatch(/^250 /);
      expect(await smtp.command(`RCPT TO:<${megan}>`)).toMatch(/^250 /);
      expect(await smtp.command('DATA')).toMatch(/^354 /);
      const subject = `oversize ${Date.now()}`;
      smtp.write(rawMessage(adele, megan, subject, 'x'.repeat(3000)));
      smtp.write('.\r\n');
      const answer = await smtp.reply();
      said.push(answer);
      expect(answer).toBe('552 5.3.4 Message too big: this relay takes at most 2000 bytes');
      expect(await findOverImap(bed, megan, subject)).toHaveLength(0);
    } finally {
      smtp.close();
    }
  });
});

describe('more limits', () => {
  it('maxRecipients: the next RCPT gets 452, the message goes to the ones accepted', async () => {
    const smtp = await rawSmtp(bed.port('local'));
    try {
      await smtp.command('EHLO device');
      await smtp.command(
        `AUTH PLAIN ${Buffer.from(`\0${PRINTER.user}\0${PRINTER.password}`).toString('base64')}`,
      );
      await smtp.command(`MAIL FROM:<${adele}>`);
      expect(await smtp.command(`RCPT TO:<${megan}>`)).toMatch(/^250 /);
      expect(await smtp.command(`RCPT TO:<${FIXTURE.users.alex}>`)).toMatch(/^250 /);
      const third = await smtp.command(`RCPT TO:<${FIXTURE.users.isaiah}>`);
      said.push(third);
      expect(third).toBe('452 Error: too many recipients');
    } finally {
      smtp.close();
    }
  });

  it('maxConnections: one client more than allowed is told 421 and disconnected', async () => {
    // Connections of earlier tests are gone on the server side too before counting starts.
    await eventually(async () =>
      /kalisto_relay_connections_active\{listener="local"\} 0$/m.test(await bed.relay.metrics()),
    );
    const open = [
      await rawSmtp(bed.port('local')),
      await rawSmtp(bed.port('local')),
      await rawSmtp(bed.port('local')),
    ];
    try {
      const fourth = await rawSmtp(bed.port('local'));
      fourth.close();
      expect(fourth.greeting).toBe('421 kalisto-relay Too many connected clients, try again in a moment');
      for (const smtp of open) expect(smtp.greeting).toMatch(/^220 /);
    } finally {
      for (const smtp of open) smtp.close();
    }
  });
});

describe('upstream failures', () => {
  it('a recipient upstream refuses: its 550 reaches the client (python smtplib)', async () => {
    const script = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s:
    s.login(sys.argv[2], sys.argv[3])
    try:
        s.sendmail(sys.argv[4], ['nobody@contoso.example'], b'Subject: nobody\\r\\n\\r\\nx\\r\\n')
    except smtplib.SMTPResponseException as e:
        print(e.smtp_code, e.smtp_error.decode())
`;
    const result = await run('python3', [
      '-c',
      script,
      String(bed.port('local')),
      PRINTER.user,
      PRINTER.password,
      adele,
    ]);
    said.push(result.stdout, result.stderr);
    expect(result.stdout).toMatch(/^550 5\.1\.10 .*nobody@contoso\.example.* \(upstream\)$/m);
  });

  it('upstream down: 451 to the client, nothing delivered', async () => {
    const down = await freePort();
    const relay = await bed.startRelay(
      (_s, hash) => listeners(hash),
      () => ({ 'mail.smtp.port': String(down), 'mail.smtp.connectiontimeout': '3000' }),
    );
    const subject = `upstream down ${Date.now()}`;
    const result = await swaks(relay, 'printer', PRINTER.password, ['--header', `Subject: ${subject}`]);

    expect(result.stdout).toMatch(
      /<~\* 451 4\.4\.1 The upstream server is not reachable \(SMTP_CONNECT_FAILED\); try again later/,
    );
    expect(result.stdout).not.toMatch(/<~\*? 5\d\d /);
    expect(await findOverImap(bed, megan, subject)).toHaveLength(0);
  });

  it('no token (the app secret is wrong): 451, never a 5xx', async () => {
    const relay = await bed.startRelay(
      (_s, hash) => listeners(hash),
      () => ({ 'o365.oauth.clientSecret': 'not-the-secret' }),
    );
    const result = await swaks(relay, 'printer', PRINTER.password);

    expect(result.stdout).toMatch(
      /<~\* 451 4\.7\.0 The relay could not obtain an OAuth token upstream \(TOKEN_INVALID_CLIENT_SECRET\); try again later/,
    );
  });
});

describe('upstream 4xx', () => {
  let busy: RelayBed;
  beforeAll(async () => {
    // Exchange's per-mailbox session limit, reached: every upstream login gets 432 4.3.2.
    busy = await startRelayBed((_s, hash) => listeners(hash), {
      sandbox: { behaviour: { smtp: { maxConnectionsPerMailbox: 0 } } },
    });
  }, 60_000);
  afterAll(async () => {
    await busy?.stop();
  });

  it("passes Exchange's 432 4.3.2 through as a 4xx (swaks)", async () => {
    const result = await run('swaks', [
      ...['--server', `127.0.0.1:${busy.port('local')}`, '--auth', 'PLAIN'],
      ...['--auth-user', PRINTER.user, '--auth-password', PRINTER.password, '--from', adele, '--to', megan],
    ]);
    said.push(...result.stdout.split('\n').filter((line) => line.startsWith('<')));
    expect(result.stdout).toContain(
      '<** 432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded (upstream)',
    );
    expect(result.code).not.toBe(0);
    expect(busy.logger.lines.some((line) => line.includes('TOO_MANY_CONNECTIONS'))).toBe(true);
  });
});

describe('no secrets', () => {
  it('no log line and no reply holds the relay password, its hash, the client secret or a token', async () => {
    const hash = await printerPasswordHash();
    const session = bed.relay.sessionFor(adele);
    const token = (await session.tokens.getToken()).accessToken;
    const secrets = [
      PRINTER.password,
      Buffer.from(PRINTER.password).toString('base64'),
      Buffer.from(`\0${PRINTER.user}\0${PRINTER.password}`).toString('base64'),
      hash,
      hash.split('$').at(-1) as string,
      bed.sandbox.fixtures.confidentialApp.secret,
      token,
      token.split('.')[2] as string,
    ];
    const everything = [...bed.logger.lines, ...said].join('\n');
    // The scan looked at something: the relay logged its work, and upstream traffic was debug-logged.
    expect(bed.logger.lines.some((line) => line.includes('Relay login refused'))).toBe(true);
    expect(bed.logger.lines.some((line) => line.includes('Upstream delivery failed'))).toBe(true);
    expect(bed.logger.lines.some((line) => /AUTH XOAUTH2/.test(line))).toBe(true);
    for (const secret of secrets)
      expect(everything.includes(secret), `found ${secret.slice(0, 4)}…`).toBe(false);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
