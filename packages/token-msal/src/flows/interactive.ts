import type { AuthenticationResult, PublicClientApplication } from '@azure/msal-node';
import { TokenError } from '@kalisto/core';
import { PROVIDER_NAME } from '../errors.js';

export interface InteractiveSignInOptions {
  scopes: string[];
  correlationId: string;
  /** Opens the sign-in URL in a browser (the system browser, or a test's). */
  openBrowser: (url: string) => Promise<void>;
  /** Pre-fills the sign-in page's user name. */
  loginHint?: string | undefined;
  /** Stop waiting when this aborts. */
  signal?: AbortSignal | undefined;
  /** Stop waiting for the user after this long, ms. */
  timeoutMs: number;
}

/** The page the browser shows after the redirect to the loopback: no token, no code. */
const SUCCESS_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Kalisto</title><p>Signed in. You can close this window and return to the terminal.</p>';
const ERROR_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Kalisto</title><p>The sign-in did not complete. Return to the terminal for details.</p>';

/**
 * The authorization code flow with PKCE through a browser, as msal-node runs it: a loopback HTTP
 * server on 127.0.0.1 receives the code (form_post), MSAL redeems it and caches the account and its
 * refresh token. msal-node's loopback server has no timeout and no cancel: when the user never
 * finishes (or the signal aborts) this answers the server itself with an `access_denied` for the
 * pending request's `state`, which ends MSAL's wait and closes the server.
 */
export async function interactiveSignIn(
  app: PublicClientApplication,
  options: InteractiveSignInOptions,
): Promise<AuthenticationResult> {
  let pending: { redirectUri: string; state: string } | undefined;
  let giveUp: ((why: 'timeout' | 'aborted') => void) | undefined;
  const stopped = new Promise<'timeout' | 'aborted'>((resolve) => {
    giveUp = resolve;
  });
  const timer = setTimeout(() => giveUp?.('timeout'), options.timeoutMs);
  timer.unref?.();
  const onAbort = () => giveUp?.('aborted');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let reason: 'timeout' | 'aborted' | undefined;
  void stopped.then(async (why) => {
    reason = why;
    if (pending) await releaseLoopback(pending.redirectUri, pending.state);
  });

  try {
    return await app.acquireTokenInteractive({
      scopes: options.scopes,
      correlationId: options.correlationId,
      ...(options.loginHint ? { loginHint: options.loginHint } : {}),
      successTemplate: SUCCESS_PAGE,
      errorTemplate: ERROR_PAGE,
      openBrowser: async (url) => {
        const parsed = new URL(url);
        pending = {
          redirectUri: parsed.searchParams.get('redirect_uri') ?? '',
          state: parsed.searchParams.get('state') ?? '',
        };
        if (reason !== undefined) {
          await releaseLoopback(pending.redirectUri, pending.state);
          return;
        }
        await options.openBrowser(url);
      },
    });
  } catch (error) {
    if (reason === 'aborted' && options.signal?.aborted) throw options.signal.reason;
    if (reason === 'timeout') {
      throw new TokenError(
        `[token:${PROVIDER_NAME}] The browser sign-in did not finish within ${Math.round(options.timeoutMs / 1000)} s.`,
        {
          code: 'TOKEN_SIGN_IN_TIMEOUT',
          hint: 'Open the printed sign-in URL and complete the sign-in, or use the device code sign-in on a machine without a browser.',
          provider: PROVIDER_NAME,
        },
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Ends msal-node's wait for the redirect: the answer a browser would post when the user cancels. */
async function releaseLoopback(redirectUri: string, state: string): Promise<void> {
  // MSAL listens on 127.0.0.1 but names it localhost, which may resolve to ::1 here.
  const target = redirectUri.replace('//localhost:', '//127.0.0.1:');
  try {
    await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ error: 'access_denied', error_description: 'sign-in abandoned', state }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    // The server is already gone: nothing is waiting.
  }
}
