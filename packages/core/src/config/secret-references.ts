import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The outcome of resolving a value that may be an `env:NAME` or `file:PATH` reference. */
export type ReferenceResult = { readonly value: string } | { readonly problem: string };

/** Largest file a `file:` reference may name: 1 MiB (a PEM bundle is a few hundred KB). */
export const MAX_REFERENCED_FILE_BYTES = 1024 * 1024;

/** What a non-regular file is, for the message. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * The content of the regular file at `path`, at most {@link MAX_REFERENCED_FILE_BYTES}. The file
 * is opened non-blocking (opening a FIFO does not wait for a writer) and checked on the open
 * descriptor before any read, so a FIFO, a device or a directory is never read, and a file
 * swapped after a check cannot be. Reading a regular file does not block, so no timer is needed.
 */
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
    if (!stats.isFile()) return { problem: `a regular file at ${path}, not ${fileKind(stats)}` };
    const tooLarge = (size: number) => ({
      problem: `a file of at most 1 MiB at ${path} (it has ${size} bytes)`,
    });
    if (stats.size > MAX_REFERENCED_FILE_BYTES) return tooLarge(stats.size);
    // One byte more than allowed tells a file that grew since fstat.
    const buffer = Buffer.alloc(MAX_REFERENCED_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_REFERENCED_FILE_BYTES) return tooLarge(length);
    return { value: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return {
      problem: `a readable file at ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Resolves one level of reference: `env:NAME` → the variable's value, `file:PATH` → the content of
 * a regular file of at most 1 MiB without its trailing newline. Any other value is returned as it
 * is. The result is never resolved again, so a file containing `env:X` yields the text `env:X`.
 */
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
  if (value.startsWith('file:')) {
    const read = readRegularFile(value.slice('file:'.length));
    return 'problem' in read ? read : { value: read.value.replace(/\r?\n$/, '') };
  }
  return { value };
}
