/** Text from mail made short for a terminal; option values checked. */
import { usageError } from './errors.js';
import { escapeControls } from './terminal.js';

/** One line (whitespace collapsed, control characters shown escaped), shortened to `width` with `…`. */
export function oneLine(text: string, width = Number.POSITIVE_INFINITY): string {
  const flat = escapeControls(text.replace(/\s+/g, ' ').trim(), { singleLine: true });
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** `1 message`, `2 messages`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `1536` → `1.5 KB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `2026-11-29 06:12` in UTC (stable across machines). */
export function formatDate(date: Date | string | undefined): string {
  if (date === undefined) return '-';
  const value = typeof date === 'string' ? new Date(date) : date;
  return Number.isNaN(value.getTime()) ? '-' : value.toISOString().slice(0, 16).replace('T', ' ');
}

/** A positive whole number from an option's text; a usage error otherwise. */
export function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (Number.isInteger(n) && n > 0) return n;
  throw usageError(`${option} needs a positive whole number, got "${value}".`);
}
