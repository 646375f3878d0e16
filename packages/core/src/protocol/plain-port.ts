/**
 * The words for one symptom every mail protocol shares: a TLS handshake answered in plain text
 * ("wrong version number"), i.e. implicit TLS (`mail.<p>.ssl.enable`) aimed at a plain or STARTTLS port.
 */

/** The implicit-TLS and STARTTLS ports of Exchange Online, by protocol family. */
const PORTS = {
  imap: { implicit: 993, starttls: 143 },
  pop3: { implicit: 995, starttls: 110 },
  smtp: { implicit: 465, starttls: 587 },
} as const;

type Family = keyof typeof PORTS;

const familyOf = (protocol: string): Family | undefined =>
  (['imap', 'pop3', 'smtp'] as const).find((family) => protocol.replace(/s$/, '') === family);

/** Node's and OpenSSL's sign of a TLS handshake that met plain text, anywhere in the cause chain. */
export function isPlainTextReply(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth += 1) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return true;
    if (typeof message === 'string' && /wrong version number/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The fix for a plain port reached with implicit TLS: `mail.<protocol>.ssl.enable=false` with
 * `mail.<protocol>.starttls.enable=true` for a STARTTLS port, or the implicit-TLS port.
 */
export function plainPortHint(protocol: string): string {
  const family = familyOf(protocol);
  const ports = PORTS[family ?? 'imap'];
  const name = family?.toUpperCase() ?? 'the protocol';
  return `The port answered in plain text, so it is not an implicit-TLS port: for a STARTTLS port (${name} ${ports.starttls}) set mail.${protocol}.ssl.enable=false and mail.${protocol}.starttls.enable=true; for implicit TLS set mail.${protocol}.port to the TLS port (${name} ${ports.implicit}).`;
}
