import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '@kalisto/test-support';
import type { RunningDovecot } from './dovecot.js';
import {
  chownTo,
  logTail,
  portAnswers,
  requireServerBinary,
  serverDirectory,
  waitFor,
} from './environment.js';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';

export interface PostfixOptions {
  /** The Dovecot that authenticates (SASL) and whose maildirs receive the mail. */
  dovecot: RunningDovecot;
  cert: string;
  key: string;
  /** Mailbox addresses Postfix delivers to; their domains become virtual mailbox domains. */
  mailboxes: readonly string[];
}

export interface RunningPostfix {
  /** Submission with STARTTLS required before AUTH (587-like). */
  readonly submission: number;
  /** Implicit TLS (465-like). */
  readonly smtps: number;
  readonly directory: string;
  readonly log: string;
  stop(): Promise<void>;
}

const MASTER_CF = (
  submission: number,
  smtps: number,
) => `# Generated for one test run; see tooling/interop-servers.
${submission} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
${smtps} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;

function mainCf(dir: string, options: PostfixOptions): string {
  const domains = [...new Set(options.mailboxes.map((m) => m.split('@')[1]))].join(', ');
  const { dovecot } = options;
  return `# Generated for one test run; see tooling/interop-servers.
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.kalisto.test
mydestination =
mynetworks = 127.0.0.0/8
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/postfix.log
# The default 2048 truncates an AUTH XOAUTH2 line carrying a real token.
line_length_limit = 16384
virtual_mailbox_domains = ${domains}
virtual_mailbox_base = ${dovecot.mailRoot}
virtual_mailbox_maps = texthash:${dir}/mailboxes
virtual_uid_maps = static:${dovecot.mailUid}
virtual_gid_maps = static:${dovecot.mailUid}
smtpd_tls_cert_file = ${dir}/cert.pem
smtpd_tls_key_file = ${dir}/key.pem
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dovecot.authSocket}
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_sender_login_maps = texthash:${dir}/senders
smtpd_sender_restrictions = reject_sender_login_mismatch
`;
}

/**
 * Starts Debian's Postfix as its own instance (own config, queue and log) on free loopback ports:
 * submission (STARTTLS) and smtps, SASL through Dovecot (so XOAUTH2 tokens are checked by Dovecot's
 * oauth2 passdb), delivering into Dovecot's maildirs. A sender may only use its own address.
 */
export async function startPostfix(options: PostfixOptions): Promise<RunningPostfix> {
  requireServerBinary(POSTFIX, 'Postfix');
  const dir = await serverDirectory('postfix');
  const [submission, smtps] = (await freePorts(2)) as [number, number];
  await mkdir(join(dir, 'queue'));
  await mkdir(join(dir, 'data'));
  chownTo(join(dir, 'data'), 'postfix');
  await writeFile(join(dir, 'cert.pem'), options.cert);
  await writeFile(join(dir, 'key.pem'), options.key, { mode: 0o600 });
  await writeFile(join(dir, 'mailboxes'), options.mailboxes.map((m) => `${m} ${m}/\n`).join(''));
  await writeFile(join(dir, 'senders'), options.mailboxes.map((m) => `${m} ${m}\n`).join(''));
  await writeFile(join(dir, 'main.cf'), mainCf(dir, options));
  await writeFile(join(dir, 'master.cf'), MASTER_CF(submission, smtps));
  const log = join(dir, 'postfix.log');
  await run(POSTFIX, ['-c', dir, 'start'], { timeout: 30_000 }).catch(async (error: Error) => {
    throw new Error(`Postfix did not start: ${error.message}\n${await logTail(log)}`);
  });
  const stop = async () => {
    await run(POSTFIX, ['-c', dir, 'stop'], { timeout: 30_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Postfix', async () => (await portAnswers(submission)) && (await portAnswers(smtps)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { submission, smtps, directory: dir, log, stop };
}
