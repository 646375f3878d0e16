/**
 * Fixes that name the setting to change, shared by `doctor` and the other commands: the same
 * symptom gets the same words wherever it shows.
 */
import { ConnectionError, isKalistoError } from '@kalisto/core';
import { isPlainTextReply, plainPortHint } from '@kalisto/core/plugin';

// Core words the plain-port symptom for every protocol; the CLI uses the same words.
export { isPlainTextReply, plainPortHint };

/** What the identity platform's endpoint is set by, for fixes. */
export const IDENTITY_SETTINGS = 'o365.oauth.authority (or o365.oauth.url, from which it is derived)';

/** The identity platform answered a TLS handshake in plain text: the URL names an http port. */
export const IDENTITY_PLAIN_PORT_HINT = `The identity platform's port answered in plain text: ${IDENTITY_SETTINGS} must be an https URL of its TLS port (Microsoft: 443).`;

/**
 * An error reworded for the command line when the library's wording points the wrong way: a TLS
 * failure that is a plain port reached with implicit TLS says which `mail.<protocol>.*` to set
 * (the code stays the library's). Anything else is returned as it is.
 */
export function withCliHint(error: unknown): unknown {
  if (!isKalistoError(error) || error.name !== 'ConnectionError' || !isPlainTextReply(error)) return error;
  const { protocol, host, port } = error as ConnectionError;
  if (protocol === undefined) return error;
  const where = host === undefined ? '' : ` ${host}:${port ?? ''}`;
  const hint = plainPortHint(protocol);
  return new ConnectionError(
    `[${protocol}]${where} answered a TLS handshake in plain text (wrong version number). ${hint}`,
    {
      code: error.code,
      protocol,
      ...(host === undefined ? {} : { host }),
      ...(port === undefined ? {} : { port }),
      hint,
      cause: error,
    },
  );
}
