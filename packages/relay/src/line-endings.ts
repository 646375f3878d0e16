/**
 * Old clients end lines with a bare LF (or CR). The message delivered upstream has CRLF only: a bare
 * LF or CR becomes CRLF, as nodemailer's DATA stream would make it anyway, so what is queued, counted
 * and delivered is the same bytes. This runs on the message after DATA ended — the end of DATA itself
 * is only ever `<CR><LF>.<CR><LF>` (smtp-server's parser), so a `<LF>.<LF>` inside stays content and
 * reaches upstream dot-stuffed, never as a second message (no SMTP smuggling).
 */

const CR = 0x0d;
const LF = 0x0a;

/** `raw` with every line ending CRLF; the same Buffer when it already was. */
export function normalizeLineEndings(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === LF && (i === 0 || raw[i - 1] !== CR)) bare++;
    else if (byte === CR && raw[i + 1] !== LF) bare++;
  }
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte === LF && (i === 0 || raw[i - 1] !== CR)) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (byte === CR && raw[i + 1] !== LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else out[o++] = byte;
  }
  return out;
}
