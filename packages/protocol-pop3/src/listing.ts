/** Reading the one-line answers of STAT, LIST and UIDL and their scan listings (RFC 1939 §5, §7). */
import type { ConnectionError } from '@kalisto/core';
import { type Pop3Endpoint, protocolError } from './errors.js';
import type { Pop3ListEntry, Pop3Stat, Pop3UidlEntry } from './types.js';

const COUNT_AND_SIZE = /^(\d+) (\d+)/;
const NUMBER_AND_UID = /^(\d+) ([\x21-\x7e]{1,70})/;

/** The lines of a multi-line listing, blank ones dropped. */
export function listingLines(body: Buffer): string[] {
  return body
    .toString('latin1')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
}

/** `STAT`'s `count size`. */
export function parseStat(text: string, endpoint: Pop3Endpoint): Pop3Stat {
  const match = COUNT_AND_SIZE.exec(text);
  if (!match) throw malformed(endpoint, 'STAT');
  return { count: Number(match[1]), size: Number(match[2]) };
}

/** One `LIST` entry: `number size`. */
export function parseListEntry(text: string, endpoint: Pop3Endpoint): Pop3ListEntry {
  const match = COUNT_AND_SIZE.exec(text.trim());
  if (!match) throw malformed(endpoint, 'LIST');
  return { number: Number(match[1]), size: Number(match[2]) };
}

/** One `UIDL` entry: `number uid` (RFC 1939: 1 to 70 printable characters). */
export function parseUidlEntry(text: string, endpoint: Pop3Endpoint): Pop3UidlEntry {
  const match = NUMBER_AND_UID.exec(text.trim());
  if (!match) throw malformed(endpoint, 'UIDL');
  return { number: Number(match[1]), uid: match[2] as string };
}

function malformed(endpoint: Pop3Endpoint, verb: string): ConnectionError {
  return protocolError(endpoint, `its reply to ${verb} is not in the RFC 1939 format`);
}
