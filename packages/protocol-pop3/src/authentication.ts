/** SASL AUTH for POP3 (RFC 5034): the command lines for XOAUTH2/OAUTHBEARER, and what a refusal means. */
import { type AuthenticationError, ConnectionError, decodeTokenClaims } from '@kalisto/core';
import {
  classifyMailError,
  oauthBearerInitialResponse,
  type SaslErrorChallenge,
  type SaslMechanism,
  saslAuthCommand,
  xoauth2InitialResponse,
} from '@kalisto/core/plugin';
import { type Pop3Endpoint, Pop3ReplyError, type Pop3StatusLine } from './errors.js';
import type { Pop3Credentials } from './types.js';

/**
 * The AUTH command and, for the two-line form, the payload line after `+`. The initial response
 * goes on the AUTH line only where the server offers SASL-IR and the line stays within RFC 5034's
 * 255 octets (Exchange refuses XOAUTH2's one-line form).
 */
export function saslExchange(
  mechanism: SaslMechanism,
  { user, accessToken }: Pop3Credentials,
  server: { host: string; port: number },
  saslIr: boolean,
): ReturnType<typeof saslAuthCommand> {
  const initialResponse =
    mechanism === 'XOAUTH2'
      ? xoauth2InitialResponse({ user, accessToken })
      : oauthBearerInitialResponse({ user, accessToken, host: server.host, port: server.port });
  const inlineFits = `AUTH ${mechanism} ${initialResponse}`.length <= 255;
  const form = saslIr && inlineFits ? 'inline' : 'continuation';
  return saslAuthCommand({ protocol: 'pop3', mechanism, initialResponse, form });
}

/**
 * A refused AUTH as core classifies it: an `AuthenticationError` with the server text, the token's
 * claims and a hint, or (a temporary refusal) a `Pop3ReplyError`.
 */
export function authenticationFailure(
  endpoint: Pop3Endpoint,
  status: Pop3StatusLine,
  credentials: Pop3Credentials,
  challenge: SaslErrorChallenge | undefined,
): AuthenticationError | ConnectionError {
  const claims = decodeTokenClaims(credentials.accessToken);
  const classified = classifyMailError({
    protocol: 'pop3',
    serverText: `-ERR ${status.text}`,
    duringAuthentication: true,
    mailbox: credentials.user,
    ...(claims === undefined ? {} : { claims }),
    ...(challenge === undefined ? {} : { challenge }),
    ...(credentials.tenant === undefined ? {} : { tenant: credentials.tenant }),
    ...(credentials.cloud === undefined ? {} : { cloud: credentials.cloud }),
  });
  if (!(classified instanceof ConnectionError)) return classified;
  return new Pop3ReplyError(classified.message, {
    code: classified.code,
    ...(classified.hint === undefined ? {} : { hint: classified.hint }),
    transient: classified.transient,
    protocol: endpoint.protocol,
    host: endpoint.host,
    port: endpoint.port,
    command: 'AUTH',
    serverText: `-ERR ${status.text}`,
    ...(status.responseCode === undefined ? {} : { responseCode: status.responseCode }),
  });
}
