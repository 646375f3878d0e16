/**
 * The OData query options the sandbox's Graph understands: `$top`, `$skip`, `$select`, `$count`,
 * `$orderby` (receivedDateTime) and a small `$filter` (isRead, receivedDateTime comparisons,
 * joined with `and`), plus Graph's `Prefer` header values. Anything else is refused loudly.
 */
import type { StoredMessage } from '../contracts.js';
import { GRAPH_ERRORS } from './errors.js';
import type { BodyPreference } from './message-view.js';

export interface ListQuery {
  top: number | undefined;
  skip: number;
  select: string[] | undefined;
  count: boolean;
  descending: boolean;
  filter: ((message: StoredMessage) => boolean) | undefined;
}

/** Graph's largest page of messages. */
const MAX_TOP = 1000;

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw GRAPH_ERRORS.invalidQuery(`Invalid value '${text}' for ${name}: a whole number ${min}-${max}.`);
  }
  return n;
}

export function parseSelect(params: URLSearchParams): string[] | undefined {
  const text = params.get('$select');
  if (text === null) return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const CONDITIONS: readonly [RegExp, (match: RegExpExecArray) => (m: StoredMessage) => boolean][] = [
  [/^isRead\s+eq\s+(true|false)$/i, (m) => (message) => message.flags.has('\\Seen') === (m[1] === 'true')],
  [
    /^receivedDateTime\s+(ge|gt|le|lt)\s+(\S+)$/i,
    (m) => {
      const at = Date.parse(m[2] ?? '');
      if (Number.isNaN(at)) throw GRAPH_ERRORS.invalidQuery(`Invalid date '${m[2]}' in $filter.`);
      const op = (m[1] ?? '').toLowerCase();
      return (message) => {
        const t = message.internalDate.getTime();
        return op === 'ge' ? t >= at : op === 'gt' ? t > at : op === 'le' ? t <= at : t < at;
      };
    },
  ],
];

/** `$filter` → a predicate; throws for expressions the sandbox does not evaluate. */
export function parseFilter(text: string | null): ((message: StoredMessage) => boolean) | undefined {
  if (text === null || text.trim() === '') return undefined;
  const predicates = text.split(/\s+and\s+/i).map((part) => {
    const clause = part.trim().replace(/^\((.*)\)$/, '$1');
    for (const [pattern, build] of CONDITIONS) {
      const match = pattern.exec(clause);
      if (match) return build(match);
    }
    throw GRAPH_ERRORS.invalidQuery(
      `The sandbox does not evaluate the $filter clause '${clause}' (it knows isRead eq true|false and receivedDateTime ge|gt|le|lt <date>).`,
    );
  });
  return (message) => predicates.every((p) => p(message));
}

/** The query options of a message or folder list. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const orderby = params.get('$orderby')?.trim();
  let descending = true;
  if (orderby !== undefined) {
    const match = /^receivedDateTime(\s+(asc|desc))?$/i.exec(orderby);
    if (!match) {
      throw GRAPH_ERRORS.invalidQuery(
        `The sandbox orders messages by receivedDateTime only, not '${orderby}'.`,
      );
    }
    descending = (match[2] ?? 'asc').toLowerCase() === 'desc';
  }
  return {
    top: integer(params, '$top', 1, MAX_TOP),
    skip: integer(params, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    select: parseSelect(params),
    count: params.get('$count') === 'true',
    descending,
    filter: parseFilter(params.get('$filter')),
  };
}

/** The preferences of a `Prefer` header (several headers or comma-separated values). */
export function parsePrefer(header: string | string[] | undefined): {
  bodyType: BodyPreference;
  maxPageSize: number | undefined;
} {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const body = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(text)?.[1]?.toLowerCase();
  const size = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(text)?.[1];
  return {
    bodyType: body === 'text' || body === 'html' ? body : undefined,
    maxPageSize: size === undefined ? undefined : Math.min(Math.max(Number(size), 1), MAX_TOP),
  };
}
