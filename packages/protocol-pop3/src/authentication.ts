/**
 * SASL AUTH for POP3 (RFC 5034): the conversation, the command lines for XOAUTH2/OAUTHBEARER, and
 * what a refusal means.
 */
import { type AuthenticationError, ConnectionError, decodeTokenClaims } from '@kalisto/core';
import {
  classifyMailError,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  type SaslErrorChallenge,
  type SaslMechanism,
  saslAuthCommand,
  saslErrorAcknowledgement,
  xoauth2InitialResponse,
} from '@kalisto/core/plugin';
import { type Pop3Endpoint, Pop3ReplyError, type Pop3StatusLine, protocolError } from './errors.js';
import type { Pop3Credentials } from './types.js';

/** What the AUTH conversation needs of the connection. */
export interface SaslConversation {
  /** Sends one line of the exchange (never logged: it may hold the token) and reads the status. */
  send(line: string): Promise<Pop3StatusLine>;
  /** The server broke the exchange: the connection is unusable. */
  fail(error: Error): void;
}

/**
 * Logs in with `mechanism`. XOAUTH2's payload goes on its own line after the server's `+` unless
 * SASL-IR allows it on the AUTH line. A refusal that comes as a challenge (RFC 7628 §3.2.2) is
 * acknowledged so that the server sends its `-ERR`; the refusal rejects as {@link authenticationFailure}.
 */
export async function saslLogin(
  conversation: SaslConversation,
  mechanism: SaslMechanism,
  credentials: Pop3Credentials,
  endpoint: Pop3Endpoint,
  saslIr: boolean,
): Promise<void> {
  const exchange = saslExchange(mechanism, credentials, endpoint, saslIr);
  let status = await conversation.send(exchange.command);
  if (status.type === 'continue' && exchange.continuation !== undefined) {
    status = await conversation.send(exchange.continuation);
  }
  let challenge: SaslErrorChallenge | undefined;
  if (status.type === 'continue') {
    challenge = parseSaslErrorChallenge(status.text);
    status = await conversation.send(saslErrorAcknowledgement(mechanism));
    if (status.type === 'continue') {
      const error = protocolError(endpoint, 'it kept sending AUTH challenges after the acknowledgement');
      conversation.fail(error);
      throw error;
    }
  }
  if (status.type !== 'ok') throw authenticationFailure(endpoint, status, credentials, challenge);
}

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
