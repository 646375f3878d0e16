/**
 * Graph takes a whole message in one request body, so every part of it must be in memory before
 * it is composed: streams, files and URLs (bodies, alternatives, attachments) are read here, once,
 * within `mail.graph.maxMessageBytes` in all — and the composed message can then be built again
 * (a draft without its attachments) from the same data.
 */
import { createReadStream } from 'node:fs';
import { ConnectionError } from '@kalisto/core';
import type { SendMailOptions } from 'nodemailer';
import nmfetch from 'nodemailer/lib/fetch';

type Readable = NodeJS.ReadableStream & AsyncIterable<Buffer | string>;

/** The message fields that hold content nodemailer would otherwise stream. */
const CONTENT_KEYS = ['text', 'html', 'watchHtml', 'amp', 'icalEvent', 'raw'] as const;
const LIST_KEYS = ['alternatives', 'attachments'] as const;

/** What the message may still hold, bytes; throws once exceeded. */
class Budget {
  #left: number;
  constructor(readonly limit: number) {
    this.#left = limit;
  }
  take(bytes: number): void {
    this.#left -= bytes;
    if (this.#left < 0) throw tooLarge(this.limit);
  }
}

export function tooLarge(limit: number, what = 'The message'): ConnectionError {
  const hint =
    'Send a smaller message, or raise mail.graph.maxMessageBytes (Exchange Online takes at most 150 MB).';
  return new ConnectionError(
    `[protocol:graph] ${what} is larger than mail.graph.maxMessageBytes (${limit} bytes). ${hint}`,
    {
      code: 'GRAPH_MESSAGE_TOO_LARGE',
      hint,
      protocol: 'graph',
      transient: false,
    },
  );
}

/** nodemailer's own refusal codes, so that its users' error handling keeps working. */
function accessRefused(code: 'EFILEACCESS' | 'EURLACCESS', what: string): Error {
  return Object.assign(new Error(`${code === 'EFILEACCESS' ? 'File' : 'Url'} access rejected for ${what}`), {
    code,
  });
}

const isStream = (value: unknown): value is Readable =>
  typeof value === 'object' && value !== null && typeof (value as { pipe?: unknown }).pipe === 'function';

async function readAll(stream: Readable, budget: Budget): Promise<Buffer> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      budget.take(buffer.length);
      parts.push(buffer);
    }
  } finally {
    (stream as { destroy?: () => void }).destroy?.();
  }
  return Buffer.concat(parts);
}

interface Policy {
  disableFileAccess: boolean;
  disableUrlAccess: boolean;
}

/** A content value (string, Buffer, stream, `{ path }`, `{ href }`) in memory; strings stay strings. */
async function inMemory(
  value: unknown,
  budget: Budget,
  policy: Policy,
  source?: { path?: unknown; href?: unknown; httpHeaders?: unknown },
): Promise<unknown> {
  if (typeof value === 'string') {
    budget.take(Buffer.byteLength(value));
    return value;
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    budget.take(value.byteLength);
    return value;
  }
  if (isStream(value)) return readAll(value, budget);
  const path = typeof source?.path === 'string' ? source.path : undefined;
  const href = typeof source?.href === 'string' ? source.href : undefined;
  const location = href ?? path;
  // A data: URI is already in memory; nodemailer decodes it.
  if (location === undefined || /^data:/i.test(location)) return value;
  if (href !== undefined || /^https?:\/\//i.test(location)) {
    if (policy.disableUrlAccess) throw accessRefused('EURLACCESS', location);
    const headers = (source?.httpHeaders ?? {}) as Record<string, string>;
    return readAll(nmfetch(location, { headers }) as unknown as Readable, budget);
  }
  if (policy.disableFileAccess) throw accessRefused('EFILEACCESS', location);
  return readAll(createReadStream(location), budget);
}

/** One field: a plain value, or an object with `content`/`raw`/`path`/`href`; returns its in-memory form. */
async function resolveField(spec: unknown, budget: Budget, policy: Policy): Promise<unknown> {
  if (spec === undefined || spec === null || spec === false) return spec;
  if (typeof spec !== 'object' || Buffer.isBuffer(spec) || spec instanceof Uint8Array || isStream(spec)) {
    return inMemory(spec, budget, policy);
  }
  const entry = { ...(spec as Record<string, unknown>) };
  for (const key of ['content', 'raw'] as const) {
    if (entry[key] !== undefined)
      entry[key] = await inMemory(entry[key], budget, policy, entry[key] as object);
  }
  if (entry.content === undefined && entry.raw === undefined) {
    const content = await inMemory(undefined, budget, policy, entry);
    if (content !== undefined) {
      entry.content = content;
      delete entry.path;
      delete entry.href;
    }
  }
  return entry;
}

/**
 * Reads every stream, file and URL of `data` into memory, in place (arrays and entries are copied,
 * never the caller's objects changed), honouring nodemailer's `disableFileAccess`/`disableUrlAccess`.
 * Rejects with `GRAPH_MESSAGE_TOO_LARGE` as soon as the parts exceed `maxBytes` together.
 */
export async function resolveMessageContent(data: SendMailOptions, maxBytes: number): Promise<void> {
  const budget = new Budget(maxBytes);
  const record = data as Record<string, unknown>;
  const policy: Policy = {
    disableFileAccess: data.disableFileAccess === true,
    disableUrlAccess: data.disableUrlAccess === true,
  };
  for (const key of CONTENT_KEYS) {
    if (record[key] !== undefined) record[key] = await resolveField(record[key], budget, policy);
  }
  for (const key of LIST_KEYS) {
    const list = record[key];
    if (!Array.isArray(list)) continue;
    const resolved: unknown[] = [];
    for (const item of list) resolved.push(await resolveField(item, budget, policy));
    record[key] = resolved;
  }
}
