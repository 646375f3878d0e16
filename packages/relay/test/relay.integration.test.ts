/**
 * createRelay as a whole: SMTP, IMAP and POP3 listeners sharing one credential check and lockout,
 * the admin server (/healthz, /metrics), and the graceful stop — a message in flight when stop()
 * is called is still answered 250 and delivered; new connections are refused; a delivery that
 * does not finish within the bound ends with 421, never a 250 for an undelivered message.
 */
import { connect } from 'node:net';
import { FIXTURE } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findOverImap,
  type GatedForwarder,
  PRINTER,
  type RelayBed,
  rawMessage,
  rawSmtp,
  run,
  startGatedForwarder,
  startRelayBed,
} from './helpers.js';

const { adele, megan } = FIXTURE.users;
let bed: RelayBed;

beforeAll(async () => {
  bed = await startRelayBed((_sandbox, hash) => ({
    'kalisto.relay.listener.submit.protocol': 'smtp',
    'kalisto.relay.listener.submit.port': '0',
    'kalisto.relay.listener.submit.tls': 'starttls',
    'kalisto.relay.listener.imap.protocol': 'imap',
    'kalisto.relay.listener.imap.port': '0',
    'kalisto.relay.listener.imap.tls': 'starttls',
    'kalisto.relay.listener.pop3s.protocol': 'pop3',
    'kalisto.relay.listener.pop3s.port': '0',
    'kalisto.relay.listener.pop3s.tls': 'implicit',
    'kalisto.relay.user.printer.password': hash,
    'kalisto.relay.user.printer.mailbox': megan,
    'kalisto.relay.lockout.attempts': '2',
    'kalisto.relay.user.shared-lock.password': hash,
    'kalisto.relay.user.shared-lock.mailbox': megan,
    'kalisto.relay.admin.port': '0',
  }));
}, 60_000);

afterAll(async () => {
  await bed?.stop();
});

const admin = async (path: string) => {
  const address = bed.relay.adminAddress;
  if (!address) throw new Error('no admin server');
  const response = await fetch(`http://${address.host}:${address.port}${path}`);
  return { status: response.status, text: await response.text() };
};

describe('IMAP and POP3 listeners', () => {
  it('python imaplib logs in with the relay credential (STARTTLS) and reads the mailbox', async () => {
    const subject = `imap through the relay ${Date.now()}`;
    bed.sandbox.store.deliver([megan], rawMessage(adele, megan, subject));
    const script = `
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]), timeout=20)
m.starttls(ssl_context=ctx)
m.login(sys.argv[3], sys.argv[4])
m.select('INBOX')
typ, data = m.search(None, 'SUBJECT', '"' + sys.argv[5] + '"')
print(typ, len(data[0].split()))
m.logout()
`;
    const result = await run('python3', [
      '-c',
      script,
      String(bed.port('imap')),
      bed.caFile,
      PRINTER.user,
      PRINTER.password,
      subject,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('OK 1');
  });

  it('python poplib (implicit TLS) logs in with USER/PASS and lists the maildrop', async () => {
    const script = `
import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
p = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=20)
p.user(sys.argv[3]); p.pass_(sys.argv[4])
count, size = p.stat()
print('count', count > 0)
p.quit()
`;
    const result = await run('python3', [
      '-c',
      script,
      String(bed.port('pop3s')),
      bed.caFile,
      PRINTER.user,
      PRINTER.password,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('count True');
  });

  it('the lockout is shared: failures over IMAP lock the same user on SMTP', async () => {
    const script = `
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
for attempt in range(2):
    m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]), timeout=20)
    m.starttls(ssl_context=ctx)
    try:
        m.login('shared-lock', 'wrong')
    except imaplib.IMAP4.error as e:
        print('refused')
    m.shutdown()
`;
    const refused = await run('python3', ['-c', script, String(bed.port('imap')), bed.caFile]);
    expect(refused.stdout.trim().split('\n')).toEqual(['refused', 'refused']);
    const smtp = await run('swaks', [
      ...[
        '--server',
        `127.0.0.1:${bed.port('submit')}`,
        '--tls',
        '--tls-ca-path',
        bed.caFile,
        '--tls-verify',
      ],
      ...[
        '--auth',
        'LOGIN',
        '--auth-user',
        'shared-lock',
        '--auth-password',
        PRINTER.password,
        '--quit-after',
        'AUTH',
      ],
    ]);
    expect(smtp.stdout).toMatch(/<~\* 454 4\.7\.0 Too many failed logins/);
  });
});

describe('admin server', () => {
  it('/healthz says every listener is up', async () => {
    const health = await admin('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok', checks: { listeners: true } });
  });

  it('/metrics counts connections, logins and messages in Prometheus text', async () => {
    const subject = `metrics ${Date.now()}`;
    const sent = await run('swaks', [
      ...[
        '--server',
        `127.0.0.1:${bed.port('submit')}`,
        '--tls',
        '--tls-ca-path',
        bed.caFile,
        '--tls-verify',
      ],
      ...['--auth', 'PLAIN', '--auth-user', PRINTER.user, '--auth-password', PRINTER.password],
      ...['--from', megan, '--to', adele, '--header', `Subject: ${subject}`],
    ]);
    expect(sent.code).toBe(0);
    const metrics = await admin('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# TYPE kalisto_relay_messages_total counter');
    expect(metrics.text).toMatch(
      /^kalisto_relay_messages_total\{listener="submit",outcome="delivered"\} [1-9]\d*$/m,
    );
    expect(metrics.text).toMatch(/^kalisto_relay_logins_total\{listener="imap",outcome="ok"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^kalisto_relay_connections_total\{listener="submit"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^kalisto_relay_connections_active\{listener="imap"\} \d+$/m);
    expect(metrics.text).not.toContain(PRINTER.password);
  });

  it('anything else is 404; writes are 405', async () => {
    expect((await admin('/')).status).toBe(404);
    const address = bed.relay.adminAddress;
    const post = await fetch(`http://${address?.host}:${address?.port}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('graceful stop', () => {
  let forwarder: GatedForwarder;
  beforeAll(async () => {
    const { host, port } = bed.sandbox.endpoints.smtp;
    forwarder = await startGatedForwarder(host, port);
  });
  afterAll(async () => {
    await forwarder?.close();
  });

  const relayThroughForwarder = () =>
    bed.startRelay(
      (_s, hash) => ({
        'kalisto.relay.listener.local.protocol': 'smtp',
        'kalisto.relay.listener.local.port': '0',
        'kalisto.relay.listener.local.tls': 'none',
        'kalisto.relay.user.printer.password': hash,
        'kalisto.relay.user.printer.mailbox': adele,
      }),
      () => ({ 'mail.smtp.port': String(forwarder.port) }),
    );

  /** Sends one message up to its final dot; resolves with the connection once the relay holds it in flight. */
  async function messageInFlight(port: number, subject: string, metrics: () => Promise<string>) {
    const smtp = await rawSmtp(port, { timeoutMs: 60_000 });
    await smtp.command('EHLO device');
    await smtp.command(
      `AUTH PLAIN ${Buffer.from(`\0${PRINTER.user}\0${PRINTER.password}`).toString('base64')}`,
    );
    await smtp.command(`MAIL FROM:<${adele}>`);
    await smtp.command(`RCPT TO:<${megan}>`);
    await smtp.command('DATA');
    forwarder.hold();
    smtp.write(Buffer.concat([rawMessage(adele, megan, subject), Buffer.from('.\r\n')]));
    // Event, not time: wait until the relay reports the message in flight.
    for (let i = 0; i < 2_000 && !/kalisto_relay_messages_in_flight 1/.test(await metrics()); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await metrics()).toMatch(/^kalisto_relay_messages_in_flight 1$/m);
    return smtp;
  }

  const refused = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
    });

  it('stop() lets the message in flight finish: 250, delivered; new connections are refused meanwhile', async () => {
    const { relay, port } = await relayThroughForwarder();
    const subject = `in flight at stop ${Date.now()}`;
    const smtp = await messageInFlight(port('local'), subject, () => relay.metrics());
    try {
      const stopped = relay.stop({ timeoutMs: 60_000 });
      expect(await refused(port('local'))).toBe('ECONNREFUSED');
      forwarder.release();
      expect(await smtp.reply()).toMatch(/^250 2\.0\.0 Delivered upstream/);
      await stopped;
      expect(await findOverImap(bed, megan, subject)).toHaveLength(1);
    } finally {
      forwarder.release();
      smtp.close();
    }
  });

  it('a delivery that outlasts the bound ends with 421, never 250', async () => {
    const { relay, port } = await relayThroughForwarder();
    const subject = `stuck at stop ${Date.now()}`;
    const smtp = await messageInFlight(port('local'), subject, () => relay.metrics());
    try {
      await relay.stop({ timeoutMs: 200 });
      expect(await smtp.reply()).toBe('421 Relay shutting down');
      expect(smtp.transcript()).not.toMatch(/^250 2\.0\.0 Delivered/m);
    } finally {
      forwarder.release();
      smtp.close();
    }
  });
});
