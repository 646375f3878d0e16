import { KalistoError } from '../errors/errors.js';
import type { PluginKind } from '../errors/plugin-error.js';

export function invalidPlugin(kind: PluginKind, name: string, problem: string): KalistoError {
  return new KalistoError(`[${kind}:${name}] ${problem}`, {
    code: 'PLUGIN_INVALID',
    hint: 'Fix the plugin: see "Writing your own plugin" in the @kalisto/core README.',
  });
}

export function checkName(kind: PluginKind, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new KalistoError(`A ${kind} plugin needs a non-empty name (got ${JSON.stringify(name)}).`, {
      code: 'PLUGIN_INVALID',
      hint: 'Pass the plugin name as the first argument or the `name` option of its define* helper.',
    });
  }
}

/** Throws naming the first required method `target` lacks, and any optional one that is not a function. */
export function checkMethods(
  kind: PluginKind,
  name: string,
  what: string,
  target: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  if (typeof target !== 'object' || target === null) {
    throw invalidPlugin(
      kind,
      name,
      `A ${what} must be an object with ${required.join(', ')} (got ${typeof target}).`,
    );
  }
  const record = target as Record<string, unknown>;
  const has = [...required, ...optional].filter((m) => typeof record[m] === 'function');
  for (const method of required) {
    if (typeof record[method] !== 'function') {
      throw invalidPlugin(
        kind,
        name,
        `A ${what} needs a "${method}" method (it has: ${has.length > 0 ? has.join(', ') : 'none'}).`,
      );
    }
  }
  for (const method of optional) {
    if (record[method] !== undefined && typeof record[method] !== 'function') {
      throw invalidPlugin(kind, name, `The ${what}'s "${method}" must be a function when present.`);
    }
  }
}

/** Runs `fn` at most once; later calls share its promise (idempotent close). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}
