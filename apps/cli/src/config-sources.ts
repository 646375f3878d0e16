/**
 * Where the CLI's configuration comes from: `.properties` and JSON files, `-D prop=value` flags and
 * (with `--env`) environment variables — all with the property names of the WebSphere table.
 */
import { open } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { ConfigError, isKalistoError, parseProperties } from '@kalisto/core';
import { usageError } from './errors.js';

/** The configuration options every command takes. */
export interface ConfigSourceOptions {
  /** `--config FILE` (repeatable; later files win). */
  config?: readonly string[];
  /** `-D prop=value` (repeatable; wins over files). */
  define?: readonly string[];
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Flattens `{"o365": {"oauth": {"tenant": "x"}}}` and `{"o365.oauth.tenant": "x"}` alike into a property map. */
export function flattenJson(value: JsonValue, file: string, prefix = '', into: Record<string, string> = {}) {
  if (value === null) return into;
  if (typeof value !== 'object') {
    if (prefix === '') throw usageError(`${file}: expected a JSON object of properties.`);
    into[prefix] = String(value);
    return into;
  }
  if (Array.isArray(value)) {
    if (prefix === '') throw usageError(`${file}: expected a JSON object of properties, not an array.`);
    into[prefix] = value.map(String).join(' ');
    return into;
  }
  for (const [key, item] of Object.entries(value))
    flattenJson(item, file, prefix ? `${prefix}.${key}` : key, into);
  return into;
}

/**
 * Largest configuration file read: 4 MiB (a properties file is a few KB). A pipe (`--config <(…)`)
 * is read to its end like a file; something endless such as `/dev/zero` stops here.
 */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

/** The file's text, read in chunks and refused past {@link MAX_CONFIG_FILE_BYTES}. */
async function readBounded(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total).toString('utf8');
      total += bytesRead;
      if (total > MAX_CONFIG_FILE_BYTES) {
        throw usageError(
          `The configuration file ${file} is larger than 4 MiB.`,
          'Give --config a .properties or .json file (or KALISTO_CONFIG).',
        );
      }
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

const FILE_REFERENCE = 'file:';

/**
 * A `file:PATH` value with a relative PATH in a configuration file names a file beside that file
 * (`kalisto.tls.ca=file:sandbox-ca.pem`): it is rewritten to the absolute path, so the file works
 * from any directory. Absolute paths and `env:` references are kept as they are; `-D` values
 * stay relative to the current directory.
 */
export function anchorFileReferences(
  properties: Readonly<Record<string, string>>,
  file: string,
): Record<string, string> {
  const base = dirname(resolve(file));
  const anchor = (value: string): string => {
    const path = value.startsWith(FILE_REFERENCE) ? value.slice(FILE_REFERENCE.length) : undefined;
    if (path === undefined || path.trim() === '' || isAbsolute(path)) return value;
    return `${FILE_REFERENCE}${resolve(base, path)}`;
  };
  return Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, anchor(value)]));
}

/**
 * Reads one configuration file: `.json` as JSON, anything else as `java.util.Properties` text.
 * Relative `file:` references are anchored to the file's directory ({@link anchorFileReferences}).
 */
export async function readConfigFile(file: string): Promise<Record<string, string>> {
  return anchorFileReferences(await parseConfigFile(file), file);
}

async function parseConfigFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readBounded(file);
  } catch (error) {
    if (isKalistoError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(
      `Cannot read the configuration file ${file} (${code ?? 'error'}).`,
      'Check the path given to --config (or KALISTO_CONFIG).',
    );
  }
  if (extname(file).toLowerCase() !== '.json') return { ...parseProperties(text) };
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw usageError(
      `${file} is not valid JSON: ${(error as Error).message}.`,
      'Fix the file, or use .properties.',
    );
  }
  return flattenJson(parsed, file);
}

/** `prop=value` → [prop, value]; the value may contain `=`. */
export function parseDefine(definition: string): [string, string] {
  const at = definition.indexOf('=');
  const name = at === -1 ? '' : definition.slice(0, at).trim();
  if (name === '') {
    throw new ConfigError([{ property: definition, expected: 'a -D flag of the form property=value' }]);
  }
  return [name, definition.slice(at + 1)];
}

/** The configuration input: files in order, then `-D` flags. */
export async function loadProperties(options: ConfigSourceOptions): Promise<Record<string, string>> {
  const properties: Record<string, string> = {};
  for (const file of options.config ?? []) Object.assign(properties, await readConfigFile(file));
  for (const definition of options.define ?? []) {
    const [name, value] = parseDefine(definition);
    properties[name] = value;
  }
  return properties;
}
