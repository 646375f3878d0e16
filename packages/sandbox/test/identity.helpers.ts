/** Shared by the identity tests: an MSAL network client that records every URL it is asked for. */
import { createSandboxNetworkClient, type SandboxNetworkClient } from '../src/index.js';

export interface RecordingNetworkClient {
  client: SandboxNetworkClient;
  /** Every URL requested, in order. */
  urls: string[];
}

export function recordingNetworkClient(ca: string): RecordingNetworkClient {
  const inner = createSandboxNetworkClient({ ca });
  const urls: string[] = [];
  return {
    urls,
    client: {
      sendGetRequestAsync: (url, options, timeout) => {
        urls.push(url);
        return inner.sendGetRequestAsync(url, options, timeout);
      },
      sendPostRequestAsync: (url, options) => {
        urls.push(url);
        return inner.sendPostRequestAsync(url, options);
      },
    },
  };
}

/** The claims of a JWT, unverified (the tests check what MSAL received). */
export function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
