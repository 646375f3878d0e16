/**
 * The `imap` and `imaps` protocol providers: the session's token, the `mail.<protocol>.*` settings,
 * one ImapFlow login, and on a refused token one forced refresh and one more try.
 */
import type { AccessToken, ProtocolProvider } from '@kalisto/core';
import {
  defineProtocolProvider,
  isConnectionReset,
  loginWithTokenRetry,
  type ProtocolContext,
  requireMailUser,
  retryConnectReset,
  telemetryOf,
} from '@kalisto/core/plugin';
import type { ImapFlow } from 'imapflow';
import { logoutOrClose, OAuthImapFlow } from './client.js';
import { imapLoginError } from './errors.js';
import { allowedMechanisms, imapFlowOptions, responseLimits } from './options.js';

declare module '@kalisto/core' {
  interface ProtocolClients {
    imap: ImapFlow;
    imaps: ImapFlow;
  }
}

/**
 * Provider of `session.store('imap')`: STARTTLS with `mail.imap.starttls.enable`, implicit TLS with
 * `mail.imap.ssl.enable` (the Office 365 default: ssl on port 993).
 */
export function imap(): ProtocolProvider<ImapFlow> {
  return imapProvider('imap');
}

/** Provider of `session.store('imaps')`: implicit TLS, port 993. */
export function imaps(): ProtocolProvider<ImapFlow> {
  return imapProvider('imaps');
}

function imapProvider(protocol: 'imap' | 'imaps'): ProtocolProvider<ImapFlow> {
  return defineProtocolProvider<ImapFlow>({
    protocol,
    type: 'store',
    create: openImapFlow,
    close: logoutOrClose,
    // imapflow never reconnects an instance: once closed, the session has no reason to hold it.
    onClosed: (client, forget) => client.once('close', forget),
  });
}

/**
 * Connects and logs in with the session's token; a refused token is forgotten, a fresh one forced
 * and a new connection tries once more (`loginWithTokenRetry`). Returns ImapFlow's client as is.
 */
async function openImapFlow(context: ProtocolContext): Promise<ImapFlow> {
  const { session, settings, logger, signal } = context;
  const user = requireMailUser(settings);
  const { config } = session;
  const options = imapFlowOptions(settings, config, logger);
  const policy = {
    mechanisms: allowedMechanisms(settings),
    allowInsecureAuth: config.allowInsecureAuth,
    protocol: settings.protocol,
    telemetry: telemetryOf(context),
  };
  const limits = responseLimits(settings);
  // Failures of attempts the server reset before its greeting: nothing was sent, so they may repeat.
  const earlyResets = new WeakSet<object>();
  const attempt = async (token: AccessToken): Promise<ImapFlow> => {
    signal?.throwIfAborted();
    const auth = { user, accessToken: token.accessToken };
    const client = new OAuthImapFlow({ ...options, auth }, policy, limits);
    // Without a listener an 'error' event would end the process; applications add their own.
    client.on('error', (err: unknown) => logger.warn({ err }, 'IMAP connection error'));
    const abort = () => client.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      client.tokenExpiresAt = token.expiresAt;
      return client;
    } catch (error) {
      client.close();
      signal?.throwIfAborted();
      // ImapFlow's own flag (not in its types): set when the server's greeting arrived.
      const greeted = (client as { greetingReceived?: boolean }).greetingReceived === true;
      const early = !greeted && isConnectionReset(error);
      const failure = imapLoginError(error, {
        protocol: settings.protocol,
        host: settings.host,
        port: settings.port,
        user,
        accessToken: token.accessToken,
        tenant: config.oauth.tenant,
        cloud: config.oauth.cloud,
      });
      if (early && typeof failure === 'object' && failure !== null) earlyResets.add(failure);
      throw failure;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  };
  const login = (token: AccessToken): Promise<ImapFlow> =>
    retryConnectReset(() => attempt(token), {
      resetBeforeGreeting: (error) => typeof error === 'object' && error !== null && earlyResets.has(error),
      logger,
      signal,
      telemetry: telemetryOf(context),
      protocol: settings.protocol,
    });
  return loginWithTokenRetry(context, login);
}
