import { readFileSync } from 'node:fs';

/** The outcome of resolving a value that may be an `env:NAME` or `file:PATH` reference. */
export type ReferenceResult = { readonly value: string } | { readonly problem: string };

/**
 * Resolves one level of reference: `env:NAME` → the variable's value, `file:PATH` → the file's
 * content without its trailing newline. Any other value is returned as it is. The result is never
 * resolved again, so a file containing `env:X` yields the text `env:X`.
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
    const path = value.slice('file:'.length);
    try {
      return { value: readFileSync(path, 'utf8').replace(/\r?\n$/, '') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `a readable file at ${path} (${code})` };
    }
  }
  return { value };
}
