/** File-cache clients: a writer to SIGKILL mid-write, and one session (optionally as another user). */
import { fileCache } from '@kalisto/cache-file';
import { claimsOf, recordingLogger } from '@kalisto/test-support';
import { suiteKalisto } from '../support/kalisto.js';
import type { ClientAction } from './actions.js';

/**
 * Fetches fresh tokens for every given session over and over (each one written to the cache file),
 * until it is killed. Says `writing` once every session has written once.
 */
export const fileCacheWriterAction: ClientAction = async (input, { ready, emit }) => {
  const kalisto = suiteKalisto({ caches: [fileCache({ path: String(input.path) })] });
  const sessions = (input.sessions as Record<string, string>[]).map((p) => kalisto.session(p));
  await ready();
  for (let round = 0; ; round++) {
    for (const session of sessions) await session.tokens.getToken({ forceRefresh: true });
    if (round === 0) emit({ event: 'writing' });
  }
};

/**
 * One `getToken()` over the cache file, as the user `runAs` (a uid) when given: what it got (the
 * token's id and owner, never the token) and the codes of the warnings logged.
 */
export const fileCacheSessionAction: ClientAction = async (input, { ready }) => {
  if (typeof input.runAs === 'number') {
    process.setgid?.(input.runAs);
    process.setuid?.(input.runAs);
  }
  const logger = recordingLogger();
  const cache = fileCache({ path: String(input.path), logger });
  const kalisto = suiteKalisto({ caches: [cache], logger });
  await ready();
  try {
    const token = await kalisto.session(input.properties as Record<string, string>).tokens.getToken();
    // The token's id and app only (never the token): the parent asks the sandbox whether it issued it.
    const claims = claimsOf(token.accessToken);
    const warnings = logger.lines
      .filter((line) => line.level === 'warn')
      .map((line) => String((line.obj as { err?: { code?: unknown } }).err?.code ?? line.msg));
    return { uid: process.getuid?.(), jti: claims.jti, appId: claims.appid, warnings };
  } finally {
    void kalisto.close().catch(() => undefined);
  }
};
