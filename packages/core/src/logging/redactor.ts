import { isSecret, type Secret } from '../config/secret.js';
import type { ResolvedConfig } from '../config/types.js';

const REDACTED = '***';

// Strings that are credentials whatever their source: a bearer token, a SASL XOAUTH2 (`user=…` in
// base64) or OAUTHBEARER (`n,a=…`/`n,,…` in base64) payload, and credentials in a form body or query.
// Each pattern does bounded work per position (no nested quantifiers); JWTs are found by `scrubJwts`.
const CREDENTIAL_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${REDACTED}`],
  [/\b(?:dXNlcj|bixhP|biws)[A-Za-z0-9+/]{8,}={0,2}/g, REDACTED],
  [
    /\b(client_secret|client_assertion|assertion|password|access_token|refresh_token|id_token)=[^&\s"']+/gi,
    `$1=${REDACTED}`,
  ],
];

/** Maximal runs of the characters a JWT and its surroundings (`x-eyJ….….…`) are made of. */
const JWT_RUN = /[A-Za-z0-9_.-]+/g;

/**
 * True when `run` holds a JWT: a segment with `eyJ` at its start or after a `-` followed by at least
 * four more characters, a next segment of at least four, and a third. One pass over the run.
 */
function containsJwt(run: string): boolean {
  const segments = run.split('.');
  for (let i = 0; i + 2 < segments.length; i++) {
    if (segments[i + 1]!.length < 4) continue;
    const segment = segments[i]!;
    for (let at = segment.indexOf('eyJ'); at !== -1; at = segment.indexOf('eyJ', at + 1)) {
      // The first start at a word boundary leaves the most room; a later one cannot do better.
      if (at === 0 || segment[at - 1] === '-') {
        if (segment.length - at >= 7) return true;
        break;
      }
    }
  }
  return false;
}

/** Every run of token characters that contains a JWT becomes `***` (the whole run: nothing of it is kept). */
function scrubJwts(text: string): string {
  if (!text.includes('eyJ')) return text;
  return text.replace(JWT_RUN, (run) => (run.includes('eyJ') && containsJwt(run) ? REDACTED : run));
}

/** Characters of tokens, base64 and form values: a cut through such a run may leave part of a credential. */
const TOKEN_CHAR = /[A-Za-z0-9\-._~+/=]/;

/**
 * The end of a text cut at the size limit, made safe: a trailing prefix of a known secret and a
 * trailing run of token characters (part of a token the cut went through) become `***`.
 */
function redactCutEnd(text: string, known: Iterable<string>): string {
  let out = text;
  for (const secret of known) {
    // The earliest start that matches is the longest prefix of the secret left at the end.
    for (let at = Math.max(0, out.length - secret.length + 1); at < out.length; at++) {
      if (out.charCodeAt(at) === secret.charCodeAt(0) && secret.startsWith(out.slice(at))) {
        out = out.slice(0, at) + REDACTED;
        break;
      }
    }
  }
  let end = out.length;
  while (end > 0 && TOKEN_CHAR.test(out[end - 1]!)) end--;
  return end === out.length ? out : out.slice(0, end) + REDACTED;
}

/**
 * Longest text the redactor scrubs (64 KiB). Longer text is cut here first and ends with
 * `…[N more characters not shown]`: a token endpoint's or server's 50 MB error text costs no more
 * than this, and nothing after the cut is ever shown.
 */
export const MAX_SCRUBBED_TEXT_LENGTH = 64 * 1024;
/** Most entries of one array or object a redacted log object keeps; the rest are counted. */
export const MAX_LOGGED_ENTRIES = 1000;
/** Most characters of text, over all its strings, a redacted log object keeps (1 MiB). */
const MAX_LOGGED_TEXT = 1024 * 1024;
/** Most values (containers and leaves) copied into one redacted log object. */
const MAX_LOGGED_VALUES = 10_000;

// Object keys whose string values are always credentials.
const SECRET_KEY = /(?:pass(?:word|wd)?|secret|token|authorization|assertion|private_?key|cookie)$/i;

/** Known secrets shorter than this are not scrubbed: replacing "ab" everywhere would garble logs. */
export const MIN_REDACTED_LENGTH = 4;
const MAX_EPHEMERAL = 64;
const MAX_DEPTH = 8;

/** Scrubs known secret values and credential-looking strings out of text and log objects. */
export interface Redactor {
  /**
   * Scrub this value from now on. `ephemeral` values (access tokens) are kept in a bounded set,
   * the oldest forgotten first, so a long-lived session does not grow without bound.
   */
  add(secret: string | Secret | undefined, options?: { ephemeral?: boolean }): void;
  /**
   * `text` with every known secret and credential-looking string replaced by `***`. Text longer
   * than {@link MAX_SCRUBBED_TEXT_LENGTH} is cut first and ends with `…[N more characters not shown]`;
   * the work is linear in what is kept.
   */
  text(text: string): string;
  /**
   * A redacted copy of a log object: errors become plain objects, `Secret`s and secret-named keys
   * `***`. Bounded whatever the object: 8 levels deep, {@link MAX_LOGGED_ENTRIES} entries per array
   * or object, 10,000 values and 1 MiB of text in all; a getter that throws reads as `[Unreadable]`.
   */
  value(value: unknown): unknown;
}

/** A redactor that knows `secrets` (plain strings or `Secret`s; undefined entries are ignored). */
export function createRedactor(secrets: Iterable<string | Secret | undefined> = []): Redactor {
  const fixed = new Set<string>();
  const ephemeral = new Set<string>();

  const add: Redactor['add'] = (secret, options) => {
    const value = isSecret(secret) ? secret.reveal() : secret;
    if (value === undefined || value.length < MIN_REDACTED_LENGTH || fixed.has(value)) return;
    if (!options?.ephemeral) {
      fixed.add(value);
      return;
    }
    ephemeral.delete(value);
    ephemeral.add(value);
    if (ephemeral.size > MAX_EPHEMERAL) ephemeral.delete(ephemeral.values().next().value as string);
  };

  const text = (input: string): string => {
    const cut = input.length > MAX_SCRUBBED_TEXT_LENGTH;
    let out = cut ? input.slice(0, MAX_SCRUBBED_TEXT_LENGTH) : input;
    for (const known of [fixed, ephemeral]) {
      for (const secret of known) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
    }
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
    out = scrubJwts(out);
    if (!cut) return out;
    const hidden = input.length - MAX_SCRUBBED_TEXT_LENGTH;
    return `${redactCutEnd(out, [...fixed, ...ephemeral])}…[${hidden} more characters not shown]`;
  };

  const value = (input: unknown): unknown => copyRedacted(input, text);

  for (const secret of secrets) add(secret);
  return { add, text, value };
}

/** One value still to copy: where its copy goes, and how deep it sits. */
interface CopyTask {
  readonly item: unknown;
  readonly into: Record<PropertyKey, unknown>;
  readonly key: PropertyKey;
  readonly depth: number;
  /** Set when the key says the value is a credential. */
  readonly secretKey: boolean;
}

/** What is left of the size budgets of one redacted copy. */
interface CopyBudget {
  values: number;
  characters: number;
}

/**
 * A redacted copy of `input` (see {@link Redactor.value}), built with an explicit work list instead
 * of recursion and within the size budgets above.
 */
function copyRedacted(input: unknown, text: (input: string) => string): unknown {
  const root: Record<PropertyKey, unknown> = {};
  const seen = new WeakSet<object>();
  const budget: CopyBudget = { values: MAX_LOGGED_VALUES, characters: MAX_LOGGED_TEXT };
  const tasks: CopyTask[] = [{ item: input, into: root, key: 'value', depth: 0, secretKey: false }];
  while (tasks.length > 0) {
    const { item, into, key, depth, secretKey } = tasks.pop()!;
    if (typeof item === 'string') {
      if (secretKey) into[key] = REDACTED;
      else if (budget.characters <= 0) into[key] = `[${item.length} characters]`;
      else {
        const scrubbed = text(item);
        budget.characters -= scrubbed.length;
        into[key] = scrubbed;
      }
    } else if (typeof item !== 'object' || item === null) into[key] = item;
    else if (isSecret(item) || secretKey) into[key] = REDACTED;
    else if (seen.has(item)) into[key] = '[Circular]';
    else if (depth >= MAX_DEPTH) into[key] = '[Object]';
    else if (Buffer.isBuffer(item) || ArrayBuffer.isView(item)) into[key] = `[${item.byteLength} bytes]`;
    else if (item instanceof Date)
      into[key] = Number.isNaN(item.getTime()) ? 'Invalid Date' : item.toISOString();
    else {
      seen.add(item);
      into[key] = copyContainer(item, depth, tasks, budget);
    }
  }
  return root.value;
}

/** The entry `key` of `source`; a getter that throws reads as `[Unreadable]`. */
function readEntry(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return '[Unreadable]';
  }
}

/**
 * An empty copy of an array, error or object whose entries are queued in `tasks` (in order, at most
 * {@link MAX_LOGGED_ENTRIES}, within the budget); what is left out is marked.
 */
function copyContainer(item: object, depth: number, tasks: CopyTask[], budget: CopyBudget): object {
  const children: CopyTask[] = [];
  let copy: Record<PropertyKey, unknown>;
  const limit = Math.max(0, Math.min(MAX_LOGGED_ENTRIES, budget.values));
  if (Array.isArray(item)) {
    copy = [] as unknown as Record<PropertyKey, unknown>;
    const kept = Math.min(item.length, limit);
    for (let i = 0; i < kept; i++) {
      children.push({
        item: readEntry(item, String(i)),
        into: copy,
        key: i,
        depth: depth + 1,
        secretKey: false,
      });
    }
    if (item.length > kept) copy[kept] = `[… ${item.length - kept} more]`;
  } else {
    copy = {};
    const source = item instanceof Error ? errorFields(item) : item;
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      if (children.length === limit) {
        copy['…'] = 'more entries not shown';
        break;
      }
      const entry = readEntry(source, key);
      const secretKey = SECRET_KEY.test(key) && (typeof entry === 'string' || isSecret(entry));
      children.push({ item: entry, into: copy, key, depth: depth + 1, secretKey });
    }
  }
  budget.values -= children.length;
  for (let i = children.length - 1; i >= 0; i--) tasks.push(children[i]!);
  return copy;
}

/** An error as a plain object: pino-style `type`/`message`/`stack`, its own fields, and its cause. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    type: readEntry(error, 'name'),
    message: readEntry(error, 'message'),
  };
  for (const key of Object.keys(error).slice(0, MAX_LOGGED_ENTRIES)) fields[key] = readEntry(error, key);
  const stack = readEntry(error, 'stack');
  if (stack !== undefined) fields.stack = stack;
  const cause = readEntry(error, 'cause');
  if (cause !== undefined) fields.cause = cause;
  return fields;
}

/** A redacted copy of `value` that also scrubs the given secrets (one-off; prefer a {@link Redactor}). */
export function redactSecrets(value: unknown, secrets: Iterable<string | Secret | undefined> = []): unknown {
  return createRedactor(secrets).value(value);
}

/** How many causes {@link redactErrorChain} follows. */
const MAX_CAUSES = 8;

/**
 * Scrubs an error and its causes in place with `redactor`: each message, stack and own string field
 * (e.g. a token error's `description`, which quotes the identity platform). A plugin's error may
 * carry a server text that echoes a secret; this runs before such an error leaves Kalisto.
 */
export function redactErrorChain<T>(error: T, redactor: Redactor): T {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error && !seen.has(current); depth++) {
    seen.add(current);
    const fields = current as unknown as Record<string, unknown>;
    for (const key of [...Object.keys(current), 'message', 'stack']) {
      const value = fields[key];
      if (typeof value !== 'string') continue;
      const scrubbed = redactor.text(value);
      if (scrubbed === value) continue;
      try {
        fields[key] = scrubbed;
      } catch {
        // A read-only field: leave it; the message and stack are writable on every Error.
      }
    }
    current = current.cause;
  }
  return error;
}

/** A redactor that knows a configuration's secrets: client secret, password, certificate key. */
export function configRedactor(config: ResolvedConfig): Redactor {
  const { oauth } = config;
  return createRedactor([oauth.clientSecret, oauth.password, oauth.certificate?.privateKey]);
}
