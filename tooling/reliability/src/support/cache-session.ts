/** Sessions over a shared cache backend, as separate processes of one application would open them. */
import type { CacheBackend, KalistoSession, Logger } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';
import { recordingLogger } from '@kalisto/test-support';
import type { ScenarioContext } from '../scenario.js';
import { summarizeError } from './errors.js';
import { suiteKalisto } from './kalisto.js';
import { identityRequests, isGenuine, type TokenOwner } from './tokens.js';

export interface CacheSession {
  session: KalistoSession;
  /**
   * Every warning logged so far (by the session and the backend), as the code of its error (e.g.
   * `CACHE_UNAVAILABLE`), or its message when it carries none.
   */
  warnings(): string[];
}

/** The code of a logged error (the logger is handed a redacted copy: `code` survives, the class may not). */
function loggedCode(line: { obj: object; msg: string | undefined }): string {
  const err = (line.obj as { err?: unknown }).err;
  const code = (err as { code?: unknown } | undefined)?.code ?? summarizeError(err).kalisto?.code;
  return typeof code === 'string' ? code : (line.msg ?? '').slice(0, 60);
}

/** A new Kalisto (its own token manager) with the backend as its only cache, closed at the end. */
export function cacheSession(
  context: ScenarioContext,
  backend: (logger: Logger) => CacheBackend,
  properties: Record<string, string>,
): CacheSession {
  const logger = recordingLogger();
  const kalisto = suiteKalisto({ caches: [backend(logger)], logger });
  context.defer(() => kalisto.close());
  return {
    session: kalisto.session(properties),
    warnings: () => logger.lines.filter((line) => line.level === 'warn').map(loggedCode),
  };
}

/** What one `getToken()` through a cache-backed session came to. */
export interface CachedTokenCheck {
  /** The token was issued by the sandbox, is active and belongs to the sandbox's app. */
  genuine: boolean;
  /** It came from the cache (no identity request). */
  hit: boolean;
  error?: string;
}

/** One `getToken()`, judged against the sandbox: genuine and `owner`'s (default: the app's)? from the cache? */
export async function tokenThrough(
  sandbox: Sandbox,
  cached: CacheSession,
  owner: TokenOwner = { clientId: sandbox.properties['o365.oauth.clientId'] ?? '' },
): Promise<CachedTokenCheck> {
  const before = identityRequests(sandbox);
  try {
    const token = await cached.session.tokens.getToken();
    return {
      genuine: isGenuine(sandbox, token.accessToken, owner),
      hit: identityRequests(sandbox) === before,
    };
  } catch (error) {
    const summary = summarizeError(error);
    return { genuine: false, hit: false, error: `${summary.name} ${summary.code ?? ''}`.trim() };
  }
}

/** `hit`, `miss` or the error, and whether the token was genuine, in words. */
export function describeCheck(step: string, check: CachedTokenCheck): string {
  if (check.error) return `${step}: ${check.error}`;
  return `${step}: ${check.hit ? 'cache hit' : 'identity request'}, token ${check.genuine ? 'genuine' : 'NOT genuine'}`;
}
