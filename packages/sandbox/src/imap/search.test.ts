import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../contracts.js';
import { compileSearch } from './search.js';
import { parseCommand } from './tokenizer.js';

function message(uid: number, headers: string, flags: string[], day: number): StoredMessage {
  return {
    uid,
    raw: Buffer.from(`${headers}\r\n\r\nbody of ${uid}\r\n`),
    flags: new Set(flags),
    internalDate: new Date(Date.UTC(2026, 0, day, 12)),
  };
}

const MESSAGES = [
  message(3, 'From: Anna <anna@contoso.com>\r\nSubject: Invoice 1', ['\\Seen'], 1),
  message(5, 'From: ben@fabrikam.com\r\nSubject: Lunch', [], 2),
  message(9, 'From: anna@contoso.com\r\nSubject: Re: invoice\r\nX-Prio: high', ['\\Flagged', '\\Seen'], 3),
];

function search(criteria: string): number[] {
  const predicate = compileSearch(parseCommand({ lines: [`a SEARCH ${criteria}`], literals: [] }).args);
  return MESSAGES.filter((m, i) => predicate({ message: m, seq: i + 1, maxSeq: 3, maxUid: 9 })).map(
    (m) => m.uid,
  );
}

describe('compileSearch', () => {
  it.each([
    ['ALL', [3, 5, 9]],
    ['UNSEEN', [5]],
    ['SEEN FLAGGED', [9]],
    ['FROM anna SUBJECT INVOICE', [3, 9]],
    ['NOT FROM anna', [5]],
    ['OR FLAGGED SUBJECT lunch', [5, 9]],
    ['(OR UNSEEN FLAGGED) NOT SUBJECT re', [5]],
    ['UID 4:*', [5, 9]],
    ['2:*', [5, 9]],
    ['HEADER X-Prio high', [9]],
    ['BODY "of 5"', [5]],
    ['TEXT lunch', [5]],
    ['SINCE 2-Jan-2026', [5, 9]],
    ['BEFORE 2-Jan-2026', [3]],
    ['ON 3-Jan-2026', [9]],
    ['LARGER 70', [9]],
    ['SMALLER 70', [3, 5]],
    ['CHARSET UTF-8 DELETED', []],
  ])('%s', (criteria, expected) => {
    expect(search(criteria)).toEqual(expected);
  });

  it.each(['FROBNICATE', 'SINCE yesterday', 'LARGER big', 'OR SEEN', ''])('rejects %j', (criteria) => {
    expect(() => search(criteria)).toThrow();
  });
});
