import { KalistoError } from '../errors/errors.js';

/**
 * Decodes a secret property (`o365.password`, `o365.oauth.clientSecret`,
 * `o365.oauth.certificate.privateKey`) as stored in a configuration. Picked by the
 * `security.encoder.class` property, matching `name` or one of `aliases`.
 *
 * Throw an error whose message contains no part of the value: a `KalistoError`'s message is shown
 * to the user, any other error is reported without its message.
 */
export interface SecretDecoder {
  /** The `security.encoder.class` value that selects this decoder, e.g. a Java class name. */
  readonly name: string;
  /** Other names that select it. */
  readonly aliases?: readonly string[];
  decode(value: string, context: { readonly property: string }): string;
}

const XOR_PREFIX = '{xor}';
const XOR_KEY = 0x5f;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function xorBytes(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => b ^ XOR_KEY);
}

/** Thrown for a malformed encoded secret; the message never contains the value. */
function malformed(what: string): KalistoError {
  return new KalistoError(`Malformed {xor} value: ${what}.`, {
    code: 'CONFIG_SECRET_MALFORMED',
    hint: 'Encode the secret again (WebSphere PropFilePasswordEncoder, or encodeXor).',
  });
}

/** Encodes a secret as WebSphere does: `{xor}` + base64 of its UTF-8 bytes, each XOR 0x5F. */
export function encodeXor(plain: string): string {
  return XOR_PREFIX + Buffer.from(xorBytes(Buffer.from(plain, 'utf8'))).toString('base64');
}

/**
 * Decodes a WebSphere `{xor}` value. A value without the `{xor}` prefix is returned unchanged,
 * as WebSphere's `WSEncoderDecoder` does.
 *
 * @throws KalistoError `CONFIG_SECRET_MALFORMED` when the base64 or the UTF-8 inside is invalid,
 *   or for an `{aes}` value (it needs WebSphere's key: register a SecretDecoder for it).
 */
export function decodeXor(value: string): string {
  if (value.startsWith('{aes}')) {
    throw new KalistoError(
      '{aes} values need the WebSphere AES key and cannot be decoded by WSEncoderDecoder.',
      {
        code: 'CONFIG_SECRET_MALFORMED',
        hint: 'Give the secret {xor}-encoded or plain, or register a SecretDecoder that knows the key.',
      },
    );
  }
  if (!value.startsWith(XOR_PREFIX)) return value;
  const encoded = value.slice(XOR_PREFIX.length);
  if (!BASE64.test(encoded)) throw malformed('the text after {xor} is not base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(xorBytes(Buffer.from(encoded, 'base64')));
  } catch {
    throw malformed('the decoded bytes are not UTF-8');
  }
}

/** WebSphere's `com.ibm.ws.security.util.WSEncoderDecoder`: `{xor}` values (aliases `websphere`, `xor`). */
export const websphereDecoder: SecretDecoder = {
  name: 'com.ibm.ws.security.util.WSEncoderDecoder',
  aliases: ['websphere', 'xor'],
  decode: (value) => decodeXor(value),
};

/** Secrets given as they are. */
export const plainDecoder: SecretDecoder = {
  name: 'plain',
  decode: (value) => value,
};

/** The decoders every configuration knows. */
export const BUILT_IN_SECRET_DECODERS: readonly SecretDecoder[] = [plainDecoder, websphereDecoder];

/** Every name (and alias) a decoder answers to. */
export function decoderNames(decoder: SecretDecoder): readonly string[] {
  return [decoder.name, ...(decoder.aliases ?? [])];
}
