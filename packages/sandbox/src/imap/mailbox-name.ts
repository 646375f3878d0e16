/**
 * Modified UTF-7 (RFC 3501 section 5.1.3): how IMAP4rev1 clients such as imapflow spell folder
 * names outside printable ASCII (`Zażółć` ⇄ `Za&AXwA8wFCAQc-`). The store keeps plain Unicode names.
 */

function toModifiedBase64(text: string): string {
  const utf16 = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) utf16.writeUInt16BE(text.charCodeAt(i), i * 2);
  return utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',');
}

/** Unicode folder name → modified UTF-7. */
export function encodeMailboxName(name: string): string {
  return name.replace(/&|[^\x20-\x7e]+/g, (run) => (run === '&' ? '&-' : `&${toModifiedBase64(run)}-`));
}

/** Modified UTF-7 → Unicode; text that is not valid modified UTF-7 is returned unchanged. */
export function decodeMailboxName(name: string): string {
  return name.replace(/&([A-Za-z0-9+,]*)-/g, (_, encoded: string) => {
    if (encoded === '') return '&';
    const bytes = Buffer.from(encoded.replace(/,/g, '/'), 'base64');
    let text = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(bytes.readUInt16BE(i));
    return text;
  });
}
