/**
 * A token provider's view of its credentials' expiry: warns (once per threshold and process) and
 * reports the `kalisto.credential.expiry` gauge through the session's telemetry.
 */
import { telemetryOf } from '../telemetry/index.js';
import { type Clock, systemClock } from './clock.js';
import {
  type CredentialExpiry,
  type CredentialExpiryFinding,
  type CredentialExpiryTracker,
  configuredCredentialExpiries,
  credentialExpiryPoints,
  processCredentialExpiries,
  trackCredentialExpiry,
} from './credential-expiry.js';
import type { TokenProviderContext } from './types.js';

/** Options of {@link watchCredentialExpiry}. */
export interface CredentialExpiryWatchOptions {
  /** The provider's name (`kalisto.token.provider`). */
  provider: string;
  /** Whether the provider presents a configured certificate (MSAL does; `oauth2` sends the secret). Default true. */
  certificates?: boolean;
  /** Default: the real time. */
  clock?: Clock;
  /** Default: the process's (each warning once per process). */
  tracker?: CredentialExpiryTracker;
}

/** What a provider does with its credentials' expiry. */
export interface CredentialExpiryWatch {
  /** Checks the configured certificate or client secret: call it on each token request (it logs only on a threshold crossing). */
  checkConfigured(): void;
  /** Records a credential's expiry (a refresh token once stored) and warns on a threshold crossing. */
  track(expiry: Omit<CredentialExpiry, 'provider'>): CredentialExpiryFinding;
  /** Stops reporting a credential (a refresh token that was refused and forgotten). */
  forget(subject: string): void;
  /** Stops reporting the gauge; idempotent. */
  close(): void;
}

/** Starts watching a provider's credentials: the configured ones at once, refresh tokens as they are tracked. */
export function watchCredentialExpiry(
  context: TokenProviderContext,
  options: CredentialExpiryWatchOptions,
): CredentialExpiryWatch {
  const { provider, clock = systemClock, tracker = processCredentialExpiries } = options;
  const { logger } = context;
  const configured = configuredCredentialExpiries(context.config.oauth, {
    certificates: options.certificates ?? true,
  }).map((expiry) => ({ ...expiry, provider }));
  const tracked = new Map<string, CredentialExpiry>();
  const stopGauge = telemetryOf(context).observeCredentialExpiry(() =>
    credentialExpiryPoints([...configured, ...tracked.values()], clock.now()),
  );

  const watch: CredentialExpiryWatch = {
    checkConfigured() {
      for (const expiry of configured) trackCredentialExpiry(expiry, { logger, now: clock.now(), tracker });
    },
    track(expiry) {
      const full = { ...expiry, provider };
      tracked.set(expiry.subject, full);
      return trackCredentialExpiry(full, { logger, now: clock.now(), tracker });
    },
    forget(subject) {
      tracked.delete(subject);
    },
    close() {
      stopGauge();
    },
  };
  watch.checkConfigured();
  return watch;
}
