/**
 * `file:PATH` and `env:NAME` values, as core reads its secrets: one level, a regular file of at most
 * 1 MiB (never a FIFO or a device), a file's trailing newline dropped.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type ReferenceResult = { readonly value: string } | { readonly problem: string };

const MAX_FILE_BYTES = 1024 * 1024;

function readRegularFile(path: string): ReferenceResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return {
      problem: `a readable file at ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { problem: `a regular file at ${path}` };
    if (stats.size > MAX_FILE_BYTES) return { problem: `a file of at most 1 MiB at ${path}` };
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_FILE_BYTES) return { problem: `a file of at most 1 MiB at ${path}` };
    return { value: buffer.toString('utf8', 0, length).replace(/\r?\n$/, '') };
  } finally {
    closeSync(fd);
  }
}

/** The value behind a reference, or the value itself when it is none. */
export function resolveReference(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): ReferenceResult {
  if (value.startsWith('env:')) {
    const name = value.slice('env:'.length);
    const resolved = env[name];
    if (name === '' || resolved === undefined || resolved === '') {
      return { problem: `the environment variable ${name || '(no name)'} to be set` };
    }
    return { value: resolved };
  }
  if (value.startsWith('file:')) return readRegularFile(value.slice('file:'.length));
  return { value };
}
