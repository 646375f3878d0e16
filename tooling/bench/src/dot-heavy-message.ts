/** The POP3 worst case for dot-unstuffing: bodies where half the lines carry a dot to strip. */

/** A message where half of the lines start with a dot (stuffed on the wire), some are a lone dot. */
export function dotHeavyMessage(index: number, size: number, to: string): Buffer {
  const lines = [
    `From: <sender${index % 7}@contoso.example>`,
    `To: <${to}>`,
    `Subject: Dot-heavy ${index + 1}`,
    `Message-ID: <dots-${index}@bench.kalisto.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
  ];
  let total = lines.reduce((n, l) => n + l.length + 2, 0);
  for (let i = 0; total < size; i++) {
    const line =
      i % 8 === 0
        ? '.'
        : i % 2 === 0
          ? `.. quoted ${i} of message ${index} with a dot`
          : `plain line ${i} of ${index}`;
    lines.push(line);
    total += line.length + 2;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}
