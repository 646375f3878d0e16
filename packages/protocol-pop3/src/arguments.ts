/** Checking the numbers a command takes before anything is written. */
import { KalistoError } from '@kalisto/core';

/** A message number as STAT, LIST and UIDL report them: an integer from 1. */
export function messageNumber(number: number): number {
  if (!Number.isInteger(number) || number < 1) throw invalidArgument('message number', number);
  return number;
}

/** `TOP`'s line count: an integer from 0. */
export function lineCount(lines: number): number {
  if (!Number.isInteger(lines) || lines < 0) throw invalidArgument('lines', lines);
  return lines;
}

function invalidArgument(name: string, value: unknown): KalistoError {
  return new KalistoError(`[pop3] A ${name} must be a positive integer (got ${String(value)}).`, {
    code: 'POP3_INVALID_ARGUMENT',
    hint: 'Message numbers start at 1, as STAT, LIST and UIDL report them.',
  });
}
