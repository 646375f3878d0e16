import type { AuthenticationResult, DeviceCodeRequest, PublicClientApplication } from '@azure/msal-node';
import type { DeviceCodeInfo } from '../options.js';

export interface DeviceCodeSignInOptions {
  scopes: string[];
  correlationId: string;
  /** Receives the instruction for the user. */
  onDeviceCode: (info: DeviceCodeInfo) => void;
  /** Stop polling when this aborts. */
  signal?: AbortSignal | undefined;
  /** Stop polling after this long, ms (MSAL counts whole seconds). */
  timeoutMs?: number | undefined;
}

/**
 * The device code grant: shows the user a code to enter at the verification page, then polls
 * until they did (or the code expires, the timeout passes, or the signal aborts).
 */
export async function deviceCodeSignIn(
  app: PublicClientApplication,
  options: DeviceCodeSignInOptions,
): Promise<AuthenticationResult | null> {
  const request: DeviceCodeRequest = {
    scopes: options.scopes,
    correlationId: options.correlationId,
    deviceCodeCallback: (response) =>
      options.onDeviceCode({
        message: response.message,
        userCode: response.userCode,
        verificationUri: response.verificationUri,
        expiresAt: Date.now() + response.expiresIn * 1000,
      }),
    ...(options.timeoutMs === undefined ? {} : { timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)) }),
  };
  // MSAL checks `cancel` before each poll (it keeps using this very object).
  const cancel = () => {
    request.cancel = true;
  };
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await app.acquireTokenByDeviceCode(request);
  } finally {
    options.signal?.removeEventListener('abort', cancel);
  }
}
