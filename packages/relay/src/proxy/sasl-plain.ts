/** SASL PLAIN (RFC 4616) as clients send it to the relay: `[authzid] NUL authcid NUL password`, base64. */

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A decoded PLAIN response. */
export interface PlainCredentials {
  user: string;
  password: string;
}

/**
 * The user and password of a base64 PLAIN response; undefined when it is not one (bad base64, not
 * UTF-8, not three fields, empty user or password), or when it asks to act as someone else (an
 * authorization identity other than the user: the relay has no such thing).
 */
export function decodeSaslPlain(base64: string): PlainCredentials | undefined {
  const text = base64.trim();
  if (text === '' || !STRICT_BASE64.test(text)) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
  const fields = decoded.split('\0');
  if (fields.length !== 3) return undefined;
  const [authzid, user, password] = fields as [string, string, string];
  if (user === '' || password === '') return undefined;
  if (authzid !== '' && authzid !== user) return undefined;
  return { user, password };
}
