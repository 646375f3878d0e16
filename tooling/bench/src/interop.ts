/**
 * Real Dovecot (POP3S, IMAPS) and Postfix (submission) from tooling/interop-servers, validating the
 * sandbox child's tokens through its introspection endpoint, and the delegated sessions and raw
 * tokens that log in to them. Dovecot needs a token naming its user: the password flow of the
 * sandbox's public app, not the daemon app's client credentials.
 */
import {
  type RunningDovecot,
  type RunningPostfix,
  startDovecot,
  startPostfix,
} from '@kalisto/interop-servers';
import type { SandboxProcess } from './sandbox-process.js';
import type { InteropFixtures } from './sandbox-protocol.js';

/** Delegated Exchange scopes; Dovecot checks only that the token is active and names the user. */
const DELEGATED_SCOPES =
  'https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send';

export interface InteropServers {
  readonly dovecot: RunningDovecot;
  readonly postfix: RunningPostfix;
  readonly fixtures: InteropFixtures;
  /** A fresh access token for `upn`, minted by the sandbox (what the raw clients log in with). */
  token(upn: string): Promise<string>;
  /**
   * Session properties of a delegated session of `user` (default: the reader) with `protocol`
   * pointed at 127.0.0.1:port (implicit TLS, or STARTTLS required when `tls` is false), plus `extra`.
   */
  properties(
    protocol: string,
    port: number,
    tls: boolean,
    extra?: Record<string, string>,
    user?: { upn: string; password: string },
  ): Record<string, string>;
  stop(): Promise<void>;
}

export async function startInteropServers(sandbox: SandboxProcess): Promise<InteropServers> {
  const fixtures = await sandbox.request<InteropFixtures>({ op: 'interop' });
  const { reader, recipient } = fixtures;
  const dovecot = await startDovecot({
    introspectionUrl: fixtures.introspectionUrl,
    ca: sandbox.ca,
    cert: fixtures.cert,
    key: fixtures.key,
  });
  let postfix: RunningPostfix;
  try {
    postfix = await startPostfix({
      dovecot,
      cert: fixtures.cert,
      key: fixtures.key,
      mailboxes: [reader.upn, recipient.upn],
    });
  } catch (error) {
    await dovecot.stop();
    throw error;
  }
  return {
    dovecot,
    postfix,
    fixtures,
    token: (upn) => sandbox.request<string>({ op: 'mintToken', upn }),
    properties(protocol, port, tls, extra = {}, user = reader) {
      const p = `mail.${protocol}`;
      return {
        ...sandbox.properties,
        'o365.oauth.flow': 'password',
        'o365.oauth.clientId': fixtures.publicClientId,
        'o365.oauth.clientSecret': '',
        'o365.oauth.scope': DELEGATED_SCOPES,
        'o365.user': user.upn,
        'o365.password': user.password,
        [`${p}.user`]: user.upn,
        [`${p}.host`]: '127.0.0.1',
        [`${p}.port`]: String(port),
        [`${p}.ssl.enable`]: String(tls),
        [`${p}.starttls.enable`]: String(!tls),
        [`${p}.starttls.required`]: String(!tls),
        ...extra,
      };
    },
    async stop() {
      await postfix.stop();
      await dovecot.stop();
    },
  };
}
