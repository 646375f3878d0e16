/** What an error says, reduced to the facts a scenario judges: class, code, Kalisto or not, leaks. */
import { inspect } from 'node:util';
import { isKalistoError } from '@kalisto/core';
import { leaksIn, maskSecrets } from './secrets.js';

/** An error as a scenario reports it (serialisable; the message masked). */
export interface ErrorSummary {
  /** The error's `name`, e.g. `ConnectionError`, `TypeError`. */
  name: string;
  code?: string;
  /** The first Kalisto error of the cause chain (depth 0: the error itself), with its core class. */
  kalisto?: { class: string; code: string; depth: number };
  /** `name` of the error and of each cause, outermost first. */
  chain: string[];
  /** The message, secrets masked, at most 200 characters. */
  message: string;
  /** What leaked into anything the error says (message, hint, JSON, stack, causes). */
  leaks: string[];
}

const MAX_DEPTH = 8;

/** The error and its causes, outermost first. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < MAX_DEPTH; ) {
    chain.push(e);
    e = typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/** Everything an error exposes as text: `inspect` (own fields, stack, causes) and its JSON. */
export function everythingSaid(error: unknown): string {
  const parts = [inspect(error, { depth: MAX_DEPTH, breakLength: Number.POSITIVE_INFINITY })];
  for (const e of causeChain(error)) {
    try {
      parts.push(JSON.stringify(e));
    } catch {
      // A cyclic error: inspect above already shows it.
    }
  }
  return parts.join('\n');
}

/** Core's classes a caller branches on; a subclass (e.g. `Pop3ReplyError`) reports its base. */
const CORE_CLASSES = ['ConfigError', 'TokenError', 'AuthenticationError', 'ConnectionError', 'CacheError'];

function coreClass(error: object): string {
  for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const name = (proto.constructor as { name?: string } | undefined)?.name ?? '';
    if (CORE_CLASSES.includes(name)) return name;
  }
  return 'KalistoError';
}

export function summarizeError(error: unknown, secrets: Readonly<Record<string, string>> = {}): ErrorSummary {
  const { name, code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const chain = causeChain(error);
  const depth = chain.findIndex(isKalistoError);
  const kalisto = depth < 0 ? undefined : (chain[depth] as object & { code: string });
  const text = typeof message === 'string' ? message : String(error);
  return {
    name: typeof name === 'string' ? name : typeof error,
    ...(typeof code === 'string' ? { code } : {}),
    ...(kalisto === undefined ? {} : { kalisto: { class: coreClass(kalisto), code: kalisto.code, depth } }),
    chain: chain.map((e) => String((e as { name?: unknown } | null)?.name ?? typeof e)),
    message: maskSecrets(text, secrets).replace(/\s+/g, ' ').slice(0, 200),
    leaks: leaksIn(everythingSaid(error), secrets),
  };
}

/** `Name CODE` of a summary, e.g. `ConnectionError POP3_PROTOCOL_ERROR`. */
export function errorLabel(summary: ErrorSummary): string {
  return `${summary.name}${summary.code === undefined ? '' : ` ${summary.code}`}`;
}
