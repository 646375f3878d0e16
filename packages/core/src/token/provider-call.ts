import { isKalistoError, TokenError } from '../errors/errors.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import type { Logger } from '../logging/logger.js';
import { type Redactor, redactErrorChain } from '../logging/redactor.js';
import type { KalistoTelemetry } from '../telemetry/index.js';
import { type AttemptOptions, type Budget, withinAttempt } from './budget.js';
import type { Clock } from './clock.js';
import { type RetryOptions, type Sleep, withRetry } from './retry.js';
import type { AccessToken, TokenProvider } from './types.js';

/** What to ask the provider for. */
export interface ProviderAsk {
  scopes: readonly string[];
  user: string | undefined;
  forceRefresh: boolean;
}

export interface ProviderCallOptions {
  provider: TokenProvider;
  /** Retry bounds for transient failures (no retry for an interactive flow). */
  retry: RetryOptions;
  attempt: AttemptOptions;
  sleep: Sleep;
  random: (() => number) | undefined;
  clock: Clock;
  logger: Logger;
  /** Scrubs a failure's whole chain; learns every token obtained. */
  redactor: Redactor;
  /** Counts and times every attempt (`kalisto.token.requests`, `kalisto.token.request.duration`). */
  telemetry?: KalistoTelemetry | undefined;
  /** The configured flow, an attribute of those metrics. */
  flow?: string | undefined;
}

/** The error of a provider attempt or request that ran out of time. */
export function tokenTimeout(provider: string, what: string): TokenError {
  return new TokenError(`[token:${provider}] ${what}`, {
    code: 'TOKEN_TIMEOUT',
    provider,
    transient: true,
    hint: 'Check network access to the identity platform (o365.oauth.authority, kalisto.oauth.proxy); kalisto.oauth.timeout bounds each token request.',
  });
}

/**
 * Asks the identity platform (through the provider) within a budget: each attempt bounded, transient
 * failures retried with bounded, jittered backoff, any failure a scrubbed Kalisto error, a token that
 * has already expired refused (`TOKEN_EXPIRED_ON_ARRIVAL`), and every token taught to the redactor.
 */
export function createProviderCall(options: ProviderCallOptions) {
  const { provider, clock, logger, redactor, telemetry } = options;
  const flow = options.flow ?? 'unknown';
  const retry = options.attempt.interactive ? { ...options.retry, retries: 0 } : options.retry;

  /** One attempt, counted: its outcome, its error's Kalisto code and AADSTS number, its duration. */
  const attempt = async (budget: Budget, ask: ProviderAsk): Promise<AccessToken> => {
    if (!telemetry?.enabled) return attemptOnce(budget, ask);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const token = await attemptOnce(budget, ask);
      telemetry.tokenRequest(provider.name, flow, seconds());
      return token;
    } catch (error) {
      const classified = isKalistoError(error)
        ? error
        : wrapPluginError(error, { kind: 'token', name: provider.name, action: 'Getting a token', redactor });
      telemetry.tokenRequest(provider.name, flow, seconds(), classified);
      throw error;
    }
  };

  const attemptOnce = (budget: Budget, ask: ProviderAsk) =>
    withinAttempt(
      budget,
      (signal) =>
        provider.getToken({
          scopes: ask.scopes,
          ...(ask.user === undefined ? {} : { user: ask.user }),
          forceRefresh: ask.forceRefresh,
          signal,
        }),
      options.attempt,
    );

  return async function call(ask: ProviderAsk, budget: Budget): Promise<AccessToken> {
    const token = await withRetry(() => attempt(budget, ask), retry, {
      signal: budget.signal,
      sleep: options.sleep,
      random: options.random,
      remainingMs: budget.remaining,
      onRetry: ({ attempt: n, delayMs, error }) =>
        logger.warn(
          { provider: provider.name, attempt: n, delayMs, err: error },
          'Token request failed; retrying.',
        ),
    }).catch((error: unknown) => {
      // A provider's own TokenError passes through wrapPluginError as it is: it may quote a server
      // text that echoes the secret, so the whole chain is scrubbed here.
      throw redactErrorChain(
        wrapPluginError(error, { kind: 'token', name: provider.name, action: 'Getting a token', redactor }),
        redactor,
      );
    });
    if (!(token.expiresAt > clock.now())) {
      throw new TokenError(
        `[token:${provider.name}] The identity platform returned a token that has already expired; check this machine's clock.`,
        {
          code: 'TOKEN_EXPIRED_ON_ARRIVAL',
          provider: provider.name,
          hint: "Check this machine's clock (NTP); tokens are compared with local time.",
        },
      );
    }
    redactor.add(token.accessToken, { ephemeral: true });
    return token;
  };
}
