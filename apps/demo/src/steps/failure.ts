import { isKalistoError, TokenError } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';
import { createTourKalisto } from '../kalisto.js';
import { describeFailure, type TourStep } from '../tour-output.js';

/**
 * Step: the most common first-day mistake — pasting the client secret's ID instead of its Value —
 * turned into an error that names the AADSTS code and the fix.
 */
export function badSecretStep(sandbox: () => Sandbox): TourStep {
  return {
    title: 'A mistake, explained',
    explanation:
      "The Azure portal shows a client secret's Value once and its Secret ID forever; pasting the ID is the classic mistake. Kalisto turns Microsoft's AADSTS7000215 into an error with a stable code and the fix, and never echoes the secret.",
    async run() {
      const box = sandbox();
      const kalisto = createTourKalisto();
      try {
        const session = kalisto.session({
          ...box.properties,
          'o365.oauth.clientSecret': box.fixtures.confidentialApp.secretId,
        });
        const error = await session.tokens.getToken().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(error instanceof TokenError) || error.aadsts !== '7000215') {
          throw isKalistoError(error)
            ? error
            : new Error('Expected AADSTS7000215 for the Secret ID, but the token request succeeded.');
        }
        return {
          lines: [`${error.name} ${error.code} (AADSTS${error.aadsts}):`, describeFailure(error)],
          outcome: `AADSTS7000215 → ${error.code}, with its fix`,
        };
      } finally {
        await kalisto.close();
      }
    },
  };
}
