/**
 * SASL OAUTHBEARER (RFC 7628) for smtp-server, which implements XOAUTH2 but not OAUTHBEARER.
 * smtp-server looks mechanisms up by name (`SASL_<NAME>`) in its SASL table at AUTH time, so the
 * mechanism is added to that table; it only runs on servers that list it in `authMethods`.
 */
import { encodeSaslErrorChallenge, type OAuthBearerCredentials } from '@kalisto/core/plugin';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from 'smtp-server';
import SASL from 'smtp-server/lib/sasl.js';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { parseOAuthBearerResponse } from '../sasl.js';
import { SMTP_SCOPE } from './replies.js';

type Done = () => void;

function decode(response: string): OAuthBearerCredentials | undefined {
  try {
    return parseOAuthBearerResponse(response);
  } catch {
    return undefined;
  }
}

function finish(connection: SMTPConnection, response: string, done: Done): void {
  const credentials = decode(response);
  if (!credentials) {
    connection.send(501, 'Error: invalid userdata');
    done();
    return;
  }
  const request: SMTPServerAuthentication = {
    // smtp-server's type lists only the mechanisms it implements itself.
    method: 'OAUTHBEARER' as SMTPServerAuthentication['method'],
    username: credentials.user,
    accessToken: credentials.accessToken,
    // Required by the type, meaningful for CRAM-MD5 only.
    validatePassword: () => false,
  };
  connection._server.onAuth(
    request,
    connection.session,
    (err: Error | null | undefined, result?: SMTPServerAuthenticationResponse) => {
      if (err || !result?.user) {
        // RFC 7628 section 3.2.3: the error is a challenge; the client's dummy reply gets the failure.
        const code = (err as { responseCode?: number } | undefined)?.responseCode ?? 535;
        const text = err?.message ?? 'Authentication unsuccessful';
        connection._nextHandler = (_line: unknown, next: Done) => {
          connection.send(code, text);
          next();
        };
        connection.send(
          334,
          encodeSaslErrorChallenge({ status: 'invalid_token', schemes: 'bearer', scope: SMTP_SCOPE }),
        );
        return done();
      }
      connection.session.user = result.user;
      connection.session.transmissionType = connection._transmissionType();
      connection.send(235, '2.7.0 Authentication successful');
      done();
    },
  );
}

function oauthBearer(this: SMTPConnection, args: string[], done: Done): void {
  if (args.length > 1) {
    this.send(501, 'Error: syntax: AUTH OAUTHBEARER token');
    done();
    return;
  }
  const [initial] = args;
  if (initial !== undefined) {
    finish(this, initial, done);
    return;
  }
  this._nextHandler = (line: unknown, next: Done) => {
    const text = String(line);
    if (text.trim() === '*') {
      this.send(501, 'Authentication aborted');
      return next();
    }
    finish(this, text, next);
  };
  this.send(334);
  done();
}

/** Adds OAUTHBEARER to smtp-server's mechanism table (idempotent). */
export function registerOAuthBearer(): void {
  const table = SASL as unknown as Record<string, unknown>;
  if (!table.SASL_OAUTHBEARER) table.SASL_OAUTHBEARER = oauthBearer;
}
