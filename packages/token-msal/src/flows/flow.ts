import type { AuthenticationResult } from '@azure/msal-node';
import type { TokenRequest } from '@kalisto/core/plugin';
import type { TrackedCall } from '../network-client.js';

/** One way of obtaining a token (an OAuth2 grant run through MSAL). */
export interface Flow {
  /**
   * Runs the grant for `request`. `call` is the network record of this attempt: a flow that
   * makes several MSAL calls reads and resets `call.failure` between them.
   */
  acquire(request: TokenRequest, call: TrackedCall): Promise<AuthenticationResult | null>;
}
