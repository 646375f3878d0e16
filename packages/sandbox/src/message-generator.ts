/**
 * Cheap, deterministic RFC 5322 messages for seeding mailboxes: varied senders and subjects,
 * plain, multipart/alternative and multipart/mixed (with an attachment) bodies, CRLF line ends,
 * and lines starting with '.' so POP3/SMTP dot-stuffing gets exercised.
 */

const SENDERS = [
  ['Anna Kowalska', 'anna.kowalska@contoso.com'],
  ['Ben Okafor', 'ben.okafor@fabrikam.com'],
  ['Chloé Martin', 'chloe.martin@contoso.com'],
  ['Dev Patel', 'dev.patel@northwind.example'],
  ['Erik Johansson', 'erik@adventure-works.example'],
  ['Fatima Zahra', 'fatima.zahra@fabrikam.com'],
  ['Microsoft 365', 'no-reply@microsoft.example'],
  ['Build Bot', 'ci@build.contoso.com'],
] as const;

const SUBJECTS = [
  'Quarterly report',
  'Re: Invoice 4711',
  'Meeting notes: architecture review',
  'Your build failed',
  'Fwd: Travel itinerary',
  'Lunch on Friday?',
  'Action required: password expiry',
  'Zażółć gęślą jaźń — status',
  'Release checklist',
  'Re: Re: Budget approval',
] as const;

const WORDS =
  'the mailbox sync finished and the quarterly numbers look good please review the attached draft before the meeting on thursday so we can agree next steps'.split(
    ' ',
  );

/** Lines that need dot-stuffing on the wire (POP3 RETR, SMTP DATA), including a lone '.'. */
const DOT_LINES = ['.', '..two dots', '. indented with a dot', '.hidden-looking line'];

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 date-time in UTC, e.g. `Tue, 03 Mar 2026 09:41:07 +0000`. */
export function formatRfc5322Date(date: Date): string {
  return `${DAYS[date.getUTCDay()]}, ${pad2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} +0000`;
}

function encodeHeaderWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

/** Text lines of roughly `bytes` bytes in total; `withDots` mixes in lines that start with '.'. */
function textLines(index: number, bytes: number, withDots: boolean): string[] {
  const lines = ['Hello,', ''];
  let total = 10;
  let word = index % WORDS.length;
  let lineNo = 0;
  while (total < bytes) {
    let line = '';
    while (line.length < 66) line += `${WORDS[word++ % WORDS.length]} `;
    line = line.trimEnd();
    if (withDots && lineNo % 7 === 3) line = DOT_LINES[(lineNo >> 3) % DOT_LINES.length]!;
    lines.push(line);
    total += line.length + 2;
    lineNo++;
  }
  lines.push('', 'Regards');
  return lines;
}

export interface GenerateMessageOptions {
  /** Position in the folder; picks sender, subject and shape deterministically. */
  index: number;
  /** Approximate total size in bytes. */
  size: number;
  date: Date;
  to: string;
}

/** One realistic message (CRLF line ends) whose content depends only on the options. */
export function generateMessage({ index, size, date, to }: GenerateMessageOptions): Buffer {
  const [name, from] = SENDERS[index % SENDERS.length]!;
  const subject = `${SUBJECTS[index % SUBJECTS.length]} #${index + 1}`;
  const headers = [
    `Return-Path: <${from}>`,
    `Message-ID: <seed-${index}.${date.getTime()}@sandbox.kalisto.test>`,
    `Date: ${formatRfc5322Date(date)}`,
    `From: ${encodeHeaderWord(name)} <${from}>`,
    `To: <${to}>`,
    `Subject: ${encodeHeaderWord(subject)}`,
    'MIME-Version: 1.0',
  ];
  const bodyBytes = Math.max(64, size - 400);
  const text = textLines(index, bodyBytes, index % 4 === 1);
  const shape = index % 5;
  let body: string[];
  if (shape === 3) {
    const boundary = `alt-${index}`;
    headers.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    body = [
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      ...text,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      `<html><body><p>${text.slice(2, 6).join(' ')}</p></body></html>`,
      `--${boundary}--`,
      '',
    ];
  } else if (shape === 4) {
    const boundary = `mixed-${index}`;
    headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    const attachment = Buffer.from(`id,amount\r\n${index},${(index * 37) % 1000}\r\n`).toString('base64');
    body = [
      'This is a multi-part message in MIME format.',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      ...text,
      `--${boundary}`,
      `Content-Type: text/csv; name="report-${index}.csv"`,
      `Content-Disposition: attachment; filename="report-${index}.csv"`,
      'Content-Transfer-Encoding: base64',
      '',
      attachment,
      `--${boundary}--`,
      '',
    ];
  } else {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    body = text;
  }
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.join('\r\n')}\r\n`);
}
