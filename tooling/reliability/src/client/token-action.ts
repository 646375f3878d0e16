/** One `getToken()` through a session (the identity platform's side counts the requests). */
import { suiteKalisto } from '../support/kalisto.js';
import type { ClientAction } from './actions.js';

export const tokenAction: ClientAction = async (input, { ready }) => {
  const kalisto = suiteKalisto();
  const session = kalisto.session(input.properties as Record<string, string>);
  await ready();
  try {
    const token = await session.tokens.getToken();
    return { ok: true, expiresInS: Math.round((token.expiresAt - Date.now()) / 1000) };
  } finally {
    void kalisto.close().catch(() => undefined);
  }
};
