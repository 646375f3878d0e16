/** One cached value as stored in the file: in clear (`value`) or sealed (`sealed`, base64). */
export type StoredEntry = { expiresAt: number; value: unknown } | { expiresAt: number; sealed: string };

/** The whole cache file. */
export interface CacheDocument {
  format: typeof FORMAT;
  version: typeof VERSION;
  entries: Record<string, StoredEntry>;
}

const FORMAT = 'kalisto-token-cache';
const VERSION = 1;

export function emptyDocument(): CacheDocument {
  // No prototype: a key such as `__proto__` is just a key.
  return { format: FORMAT, version: VERSION, entries: Object.create(null) as Record<string, StoredEntry> };
}

function isEntry(entry: unknown): entry is StoredEntry {
  if (typeof entry !== 'object' || entry === null) return false;
  const record = entry as Record<string, unknown>;
  return typeof record.expiresAt === 'number' && ('value' in record || typeof record.sealed === 'string');
}

/** The document in `text`, or `undefined` when it is not one (corrupt, truncated, someone else's file). */
export function parseDocument(text: string): CacheDocument | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { format, version, entries } = parsed as Record<string, unknown>;
  if (format !== FORMAT || version !== VERSION || typeof entries !== 'object' || entries === null)
    return undefined;
  const document = emptyDocument();
  for (const [key, entry] of Object.entries(entries)) {
    if (isEntry(entry)) document.entries[key] = entry;
  }
  return document;
}

/** Drops the entries that expired by `now`; returns how many. */
export function pruneExpired(document: CacheDocument, now: number): number {
  let pruned = 0;
  for (const [key, entry] of Object.entries(document.entries)) {
    if (entry.expiresAt <= now) {
      delete document.entries[key];
      pruned++;
    }
  }
  return pruned;
}
