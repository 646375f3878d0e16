/**
 * The `pop3` and `pop3s` protocol providers: a session's token, the `mail.<protocol>.*` settings,
 * one login, and on a refused token one forced refresh and one more try.
 */
import type { AccessToken, ProtocolProvider } from '@kalisto/core';
import {
  defineProtocolProvider,
  loginWithTokenRetry,
  type ProtocolContext,
  requireMailUser,
  retryConnectReset,
  telemetryOf,
} from '@kalisto/core/plugin';
import { pop3OptionsFromSettings } from './options.js';
import { connectPop3, isResetBeforeGreeting, type Pop3Client } from './pop3-client.js';

declare module '@kalisto/core' {
  interface ProtocolClients {
    pop3: Pop3Client;
    pop3s: Pop3Client;
  }
}

/** Provider of `session.store('pop3')`: port 110-style, upgraded with STLS (unless `mail.pop3.ssl.enable`). */
export function pop3(): ProtocolProvider<Pop3Client> {
  return pop3Provider('pop3');
}

/** Provider of `session.store('pop3s')`: implicit TLS, port 995. */
export function pop3s(): ProtocolProvider<Pop3Client> {
  return pop3Provider('pop3s');
}

function pop3Provider(protocol: 'pop3' | 'pop3s'): ProtocolProvider<Pop3Client> {
  return defineProtocolProvider<Pop3Client>({
    protocol,
    type: 'store',
    create: openAuthenticatedClient,
    close: (client) => client.close(),
    onClosed: (client, forget) => client.onceClosed(forget),
  });
}

/**
 * Connects and logs in with the session's token. When the server refuses it, the token is
 * forgotten (session memory and shared cache), a fresh one is forced from the identity platform,
 * and a new connection tries once more; a second refusal is the `AuthenticationError`.
 */
async function openAuthenticatedClient(context: ProtocolContext): Promise<Pop3Client> {
  const { session, settings, logger, signal } = context;
  const user = requireMailUser(settings);
  const telemetry = telemetryOf(context);
  const options = {
    ...pop3OptionsFromSettings(settings, session.config),
    logger,
    telemetry,
    ...(signal === undefined ? {} : { signal }),
  };
  const { tenant, cloud } = session.config.oauth;
  const login = async (token: AccessToken): Promise<Pop3Client> => {
    // Only the connect is repeated (greeting, CAPA, STLS); AUTH is never sent twice this way.
    const client = await retryConnectReset(() => connectPop3(options), {
      resetBeforeGreeting: isResetBeforeGreeting,
      logger,
      signal,
      telemetry,
      protocol: settings.protocol,
    });
    try {
      await client.authenticate({ user, accessToken: token.accessToken, tenant, cloud });
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  };

  return loginWithTokenRetry(context, login);
}
