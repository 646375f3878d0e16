/**
 * One upstream login for a client: the session's `mail.<p>.*` settings and token (from its token
 * manager, so from the shared cache), a bounded time, and — when the server refuses the token — one
 * forced refresh and one more try (core's `loginWithTokenRetry`).
 */
import { ConfigError, type KalistoSession, type Logger, type ProtocolSettings } from '@kalisto/core';
import { loginWithTokenRetry, requireMailUser, type SaslMechanism } from '@kalisto/core/plugin';
import { type UpstreamEndpoint, upstreamTimeoutError } from './errors.js';
import { type ImapUpstream, imapUpstreamLogin } from './imap-upstream.js';
import { PROXY_DEFAULTS, PROXY_KINDS, type ProxyKind } from './options.js';
import { type Pop3Upstream, pop3UpstreamLogin } from './pop3-upstream.js';
import { UpstreamDialogue } from './upstream-dialogue.js';

/** The upstream of each listener kind. */
export interface UpstreamOf {
  imap: ImapUpstream;
  pop3: Pop3Upstream;
}

/** What one login needs from the listener. */
export interface UpstreamRequest<K extends ProxyKind> {
  kind: K;
  session: KalistoSession;
  /** The listener's `upstream` option. */
  protocol: string | undefined;
  /** The listener's `upstreamTimeoutMs` option. */
  timeoutMs: number | undefined;
  logger: Logger;
  /** Aborted when the client goes away or the listener closes. */
  signal: AbortSignal;
}

const OAUTH_MECHANISMS: readonly string[] = ['XOAUTH2', 'OAUTHBEARER'];

/** The session protocol a listener logs in with: its option, else the session's store protocol if it fits. */
export function upstreamProtocol(
  kind: ProxyKind,
  session: KalistoSession,
  chosen: string | undefined,
): string {
  if (chosen !== undefined) return chosen;
  const { protocols, fallback } = PROXY_KINDS[kind];
  const store = session.config.storeProtocol;
  return (protocols as readonly string[]).includes(store) ? store : fallback;
}

function mechanismsOf(settings: ProtocolSettings): SaslMechanism[] {
  const allowed = settings.saslMechanisms.filter((m): m is SaslMechanism => OAUTH_MECHANISMS.includes(m));
  return allowed.length > 0 ? allowed : ['XOAUTH2'];
}

/** Connects and logs in to the mailbox server of `request.session`; see the module comment. */
export async function loginUpstream<K extends ProxyKind>(
  request: UpstreamRequest<K>,
): Promise<UpstreamOf[K]> {
  const { kind, session, logger, signal } = request;
  const protocol = upstreamProtocol(kind, session, request.protocol);
  const settings = session.config.protocols[protocol];
  if (settings === undefined) {
    throw new ConfigError([
      {
        property: `mail.${protocol}.host`,
        expected: `the ${kind.toUpperCase()} server of the mailbox's session`,
      },
    ]);
  }
  if (settings.proxy !== undefined) {
    throw new ConfigError([
      {
        property: `mail.${protocol}.proxy.host`,
        expected: 'no proxy: the relay connects to the mailbox server directly (run it where it can)',
      },
    ]);
  }
  const user = requireMailUser(settings);
  const endpoint: UpstreamEndpoint = { kind, protocol, host: settings.host, port: settings.port };
  const timeoutMs = request.timeoutMs ?? (settings.connectionTimeoutMs || PROXY_DEFAULTS.upstreamTimeoutMs);
  const mechanisms = mechanismsOf(settings);
  const { config } = session;

  const attempt = async (accessToken: string): Promise<UpstreamOf[K]> => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(upstreamTimeoutError(endpoint, timeoutMs)), timeoutMs);
    const onAbort = () => deadline.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const dialogue = await UpstreamDialogue.open(
        endpoint,
        settings,
        config,
        PROXY_DEFAULTS.upstreamPreAuthBytes,
        deadline.signal,
      );
      const input = { endpoint, settings, config, user, accessToken, mechanisms, signal: deadline.signal };
      const login = kind === 'imap' ? imapUpstreamLogin(dialogue, input) : pop3UpstreamLogin(dialogue, input);
      return (await login) as UpstreamOf[K];
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };
  return loginWithTokenRetry({ session, logger, signal }, (token) => attempt(token.accessToken));
}
