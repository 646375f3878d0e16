import type { Sandbox } from '@kalisto/sandbox';
import { createTourKalisto } from '../kalisto.js';
import type { TourStep } from '../tour-output.js';

/** Logins per protocol in this step: 3 x 4 protocols = a dozen connections. */
const PER_PROTOCOL = 3;
const PROTOCOLS = ['imap', 'imaps', 'pop3', 'pop3s'] as const;

/**
 * Step: a dozen parallel logins from two sessions on a cold cache cost one token request — the
 * sandbox counts what reached its token endpoint.
 */
export function tokenEconomyStep(sandbox: () => Sandbox): TourStep {
  return {
    title: 'A dozen connections, one token',
    explanation:
      'Two sessions (think: two components of one app) open 12 connections at once on a fresh Kalisto. Concurrent requests for the same token collapse into one (single flight, then a lock in the shared cache), so the identity platform sees one request; the sandbox counts them.',
    async run() {
      const box = sandbox();
      const kalisto = createTourKalisto();
      try {
        const sessions = [kalisto.session(box.properties), kalisto.session(box.properties)];
        box.hooks.resetRequestCounts();
        const logins = PROTOCOLS.flatMap((protocol) =>
          Array.from({ length: PER_PROTOCOL }, (_, i) => sessions[i % sessions.length]!.store(protocol)),
        );
        await Promise.all(logins);
        const requests = box.hooks.requestCounts().client_credentials;
        if (requests > 2) throw new Error(`${logins.length} logins made ${requests} token requests.`);
        return {
          lines: [
            `${logins.length} logins: ${PROTOCOLS.map((p) => `${PER_PROTOCOL} ${p}`).join(', ')}`,
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
