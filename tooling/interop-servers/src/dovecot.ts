import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '@kalisto/test-support';
import {
  chownTo,
  logTail,
  portAnswers,
  requireServerBinary,
  serverDirectory,
  waitFor,
} from './environment.js';

export interface DovecotOptions {
  /** RFC 7662 endpoint that validates tokens (the sandbox's `endpoints.introspectionUrl`). */
  introspectionUrl: string;
  /** PEM CA that signed the introspection endpoint's and the servers' certificates. */
  ca: string;
  /** Server certificate and key (PEM) for IMAPS/POP3S and STARTTLS. */
  cert: string;
  key: string;
}

export interface RunningDovecot {
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
  /** Unix socket Postfix uses for Dovecot SASL (`smtpd_sasl_type = dovecot`). */
  readonly authSocket: string;
  /** Maildir root: `<mailRoot>/<address>/` is a mailbox (Postfix delivers there). */
  readonly mailRoot: string;
  /** Mail files are owned by this uid/gid (nobody/nogroup). */
  readonly mailUid: number;
  readonly directory: string;
  readonly log: string;
  stop(): Promise<void>;
}

const DOVECOT = '/usr/sbin/dovecot';
const MAIL_USER = 'nobody';
const MAIL_UID = 65534;

function dovecotConf(dir: string, ports: number[]): string {
  const [imap, imaps, pop3, pop3s] = ports;
  return `# Generated for one test run; see tooling/interop-servers.
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = kalisto-${imap}
log_path = ${dir}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = xoauth2 oauthbearer
# Tests log in and fail many times from 127.0.0.1: no failure delay (the penalty is off below).
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
auth_verbose = yes
mail_location = maildir:${dir}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=${MAIL_USER} gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${imap}
  }
  inet_listener imaps {
    port = ${imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3}
  }
  inet_listener pop3s {
    port = ${pop3s}
    ssl = yes
  }
}
# An unreachable penalty socket switches the auth penalty off (Dovecot's documented way).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
`;
}

/**
 * Starts Debian's Dovecot from its own config directory on free loopback ports. Its oauth2 passdb
 * POSTs every token to `introspectionUrl` and accepts the login when the answer is active and its
 * `username` equals the SASL user — so delegated sandbox tokens work; app-only tokens carry no user.
 */
export async function startDovecot(options: DovecotOptions): Promise<RunningDovecot> {
  requireServerBinary(DOVECOT, 'Dovecot');
  const dir = await serverDirectory('dovecot');
  const ports = await freePorts(4);
  await Promise.all(['run', 'state', 'mail'].map((d) => mkdir(join(dir, d))));
  chownTo(join(dir, 'mail'), `${MAIL_USER}:nogroup`);
  await writeFile(join(dir, 'ca.pem'), options.ca);
  await writeFile(join(dir, 'cert.pem'), options.cert);
  await writeFile(join(dir, 'key.pem'), options.key, { mode: 0o600 });
  await writeFile(
    join(dir, 'oauth2.conf.ext'),
    [
      'introspection_mode = post',
      `introspection_url = ${options.introspectionUrl}`,
      'username_attribute = username',
      'active_attribute = active',
      'active_value = true',
      `tls_ca_cert_file = ${dir}/ca.pem`,
      '',
    ].join('\n'),
  );
  const conf = join(dir, 'dovecot.conf');
  await writeFile(conf, dovecotConf(dir, ports));

  // -F keeps the master in the foreground; its stderr goes to a file (field notes: a pipe hangs readers).
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', conf], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const [imap, imaps, pop3, pop3s] = ports as [number, number, number, number];
  try {
    await waitFor('Dovecot', async () => {
      if (exited) throw new Error(`Dovecot exited at start:\n${await logTail(join(dir, 'dovecot.log'))}`);
      return (await Promise.all([imap, imaps, pop3, pop3s].map(portAnswers))).every(Boolean);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    imap,
    imaps,
    pop3,
    pop3s,
    authSocket: join(dir, 'run', 'auth-postfix'),
    mailRoot: join(dir, 'mail'),
    mailUid: MAIL_UID,
    directory: dir,
    log: join(dir, 'dovecot.log'),
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
