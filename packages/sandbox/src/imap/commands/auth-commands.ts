/**
 * AUTHENTICATE (XOAUTH2, OAUTHBEARER when enabled; PLAIN always refused) and LOGIN (refused:
 * Basic authentication is off in Exchange Online), with Exchange's replies.
 */
import { encodeSaslErrorChallenge, type OAuthBearerCredentials } from '@kalisto/core/plugin';
import type { MailAuthRequest } from '../../contracts.js';
import { parseSaslResponse } from '../../sasl.js';
import type { CommandSpec, ImapSession } from '../session.js';
import { argText, type ParsedCommand } from '../tokenizer.js';

const AUTH_FAILED = 'AUTHENTICATE failed.';
/** The scope Exchange names in its `+` error challenge. */
const CHALLENGE_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';

/** Collects the SASL response: inline (SASL-IR) or after an empty `+` continuation. */
function withResponse(
  session: ImapSession,
  initial: string | undefined,
  next: (payload: string) => void,
): void {
  if (initial !== undefined) {
    next(initial === '=' ? '' : initial);
    return;
  }
  session.send('+ \r\n');
  session.expectContinuation((line) => next(line.trim()));
}

/** The user and token of a SASL response, or undefined when it is malformed (answered with NO). */
function decodeSasl(
  mechanism: MailAuthRequest['mechanism'],
  payload: string,
): OAuthBearerCredentials | undefined {
  try {
    return parseSaslResponse(mechanism, payload);
  } catch {
    return undefined;
  }
}

function verifyOAuth(
  session: ImapSession,
  command: ParsedCommand,
  mechanism: MailAuthRequest['mechanism'],
  payload: string,
): void {
  if (payload === '*') {
    session.tagged(command.tag, 'BAD', 'AUTHENTICATE cancelled.');
    return;
  }
  const decoded = decodeSasl(mechanism, payload);
  const result = decoded
    ? session.context.auth.verify({
        mechanism,
        user: decoded.user,
        token: decoded.accessToken,
        protocol: 'imap',
      })
    : undefined;
  if (result?.ok) {
    session.authenticate(
      session.context.store.ensureMailbox(result.mailbox),
      result.tokenId,
      result.expiresAt,
    );
    session.tagged(command.tag, 'OK', 'AUTHENTICATE completed.');
    return;
  }
  if (result?.reason === 'no_mailbox_access') {
    // Exchange accepts the token, then answers every later command with
    // "BAD User is authenticated but not connected." (imapflow detects it at NAMESPACE).
    session.state = 'not-connected';
    session.tagged(command.tag, 'OK', 'AUTHENTICATE completed.');
    return;
  }
  if (!decoded) {
    session.tagged(command.tag, 'NO', AUTH_FAILED);
    return;
  }
  // Like Exchange and Gmail: a base64 JSON error challenge; the client answers (empty or ^A), then NO.
  session.send(
    `+ ${encodeSaslErrorChallenge({ status: '401', schemes: 'bearer', scope: CHALLENGE_SCOPE })}\r\n`,
  );
  session.expectContinuation(() => session.tagged(command.tag, 'NO', AUTH_FAILED));
}

export const authCommands: Record<string, CommandSpec> = {
  AUTHENTICATE: {
    states: ['not-authenticated'],
    run(session, command) {
      if (!session.secure) {
        session.tagged(command.tag, 'BAD', 'Command received in Invalid state.');
        return;
      }
      const mechanism = argText(command.args[0])?.toUpperCase();
      const initial = argText(command.args[1]);
      if (mechanism === 'XOAUTH2' || (mechanism === 'OAUTHBEARER' && session.context.behaviour.oauthBearer)) {
        withResponse(session, initial, (payload) => verifyOAuth(session, command, mechanism, payload));
        return;
      }
      if (mechanism === 'PLAIN') {
        // Basic authentication is disabled: take the credentials, refuse them.
        withResponse(session, initial, () => session.tagged(command.tag, 'NO', AUTH_FAILED));
        return;
      }
      session.tagged(command.tag, 'NO', AUTH_FAILED);
    },
  },
  LOGIN: {
    states: ['not-authenticated'],
    run(session, command) {
      if (!session.secure) {
        session.tagged(command.tag, 'BAD', 'Command received in Invalid state.');
        return;
      }
      session.tagged(command.tag, 'NO', 'LOGIN failed.');
    },
  },
};
