import type { Sandbox } from '@kalisto/sandbox';
import { createTourKalisto } from '../kalisto.js';
import type { TourStep } from '../tour-output.js';

/** Logins per protocol in this step: 3 x 4 protocols = a dozen connections. */
const PER_PROTOCOL = 3;
const PROTOCOLS = ['imap', 'imaps', 'pop3', 'pop3s'] as const;

/**
 * Step: a dozen logins from two sessions on a cold cache cost exactly one token request — the
 * sandbox counts what reached its token endpoint.
 *
 * The second session waits for the first one's token before logging in. Two sessions racing on a
 * cold cache usually end with one request too (the cache's lock), but that waiter gives up after
 * half of `kalisto.oauth.timeout` and fetches its own token, so a stalled machine sees two. Waiting
 * for the first token makes "one" certain: the first session's concurrent logins share one flight,
 * which resolves only once the token is in the shared cache, where the second session finds it.
 */
export function tokenEconomyStep(sandbox: () => Sandbox): TourStep {
  return {
    title: 'A dozen connections, one token',
    explanation:
      'Two sessions (think: two components of one app) open 12 connections on a fresh Kalisto. The first session’s concurrent logins share one token request (single flight); the second session logs in once that token is in the shared cache and takes it from there (it is bound to the same credential), so the identity platform sees exactly one request; the sandbox counts them.',
    async run() {
      const box = sandbox();
      const kalisto = createTourKalisto();
      try {
        const [first, second] = [kalisto.session(box.properties), kalisto.session(box.properties)];
        box.hooks.resetRequestCounts();
        // Joins the first session's single flight: resolves when its token is in the shared cache.
        const firstToken = first.tokens.getToken();
        let onFirst = 0;
        const logins = PROTOCOLS.flatMap((protocol) =>
          Array.from({ length: PER_PROTOCOL }, (_, i) => {
            if (i % 2 === 1) return firstToken.then(() => second.store(protocol));
            onFirst++;
            return first.store(protocol);
          }),
        );
        await Promise.all(logins);
        const requests = box.hooks.requestCounts().client_credentials;
        if (requests !== 1)
          throw new Error(`${logins.length} logins made ${requests} token requests, not 1.`);
        return {
          lines: [
            `${logins.length} logins: ${PROTOCOLS.map((p) => `${PER_PROTOCOL} ${p}`).join(', ')}`,
            `session 1: ${onFirst} logins at once, one token request (single flight)`,
            `session 2: ${logins.length - onFirst} logins, token from the shared cache`,
            `token requests seen by the identity platform: ${requests}`,
          ],
          outcome: `${logins.length} logins → ${requests} token request${requests === 1 ? '' : 's'}`,
        };
      } finally {
        await kalisto.close();
      }
    },
  };
}
