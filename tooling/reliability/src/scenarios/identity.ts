/**
 * The identity platform failing (the sandbox's fault injection, or nothing listening): bounded
 * retries, one overall deadline per token request, and a still-valid token that keeps working.
 */
import type { Clock, KalistoSession } from '@kalisto/core';
import { systemClock } from '@kalisto/core/plugin';
import type { Sandbox, TokenFault } from '@kalisto/sandbox';
import { freePorts } from '@kalisto/test-support';
import {
  Findings,
  type Scenario,
  type ScenarioContext,
  type ScenarioText,
  scenarioOf,
  textOf,
} from '../scenario.js';
import { summarizeError } from '../support/errors.js';
import { judgeError } from '../support/judge.js';
import { suiteKalisto } from '../support/kalisto.js';
import { clientSecrets, scenarioSandbox } from '../support/sandbox.js';

/** `kalisto.oauth.timeout` in these scenarios, ms: the one deadline a token request has. */
const TIMEOUT_MS = 4_000;
const MAX_ATTEMPTS = 3;

const tokenRequests = (sandbox: Sandbox) => sandbox.hooks.requestCounts().client_credentials;

function openSession(
  context: ScenarioContext,
  properties: Record<string, string>,
  clock: Clock = systemClock,
): KalistoSession {
  const kalisto = suiteKalisto({ clock });
  context.defer(() => kalisto.close());
  return kalisto.session({ ...properties, 'kalisto.oauth.timeout': String(TIMEOUT_MS) });
}

/** Times one `getToken()`; the error (if any) summarised. */
async function timedToken(session: KalistoSession, secrets: Record<string, string>) {
  const started = Date.now();
  try {
    const token = await session.tokens.getToken();
    return { token, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    return { error: summarizeError(error, secrets), seconds: (Date.now() - started) / 1000 };
  }
}

interface FaultCase extends ScenarioText {
  fault: TokenFault;
  count: number;
  provider: 'msal' | 'oauth2';
  /** Succeeds after the faults, or fails with a TokenError. */
  succeeds: boolean;
  /** Wall-clock bound of the whole `getToken()`, ms (the overall deadline under test). */
  boundMs?: number;
}

function faultScenario(c: FaultCase): Scenario {
  return scenarioOf({ ...textOf(c), deadlineMs: 60_000 }, async (context) => {
    const sandbox = await scenarioSandbox(context, { mail: false });
    const session = openSession(context, { ...sandbox.properties, 'o365.oauth.provider': c.provider });
    sandbox.hooks.injectFault(c.fault, c.count);
    const before = tokenRequests(sandbox);
    const result = await timedToken(session, clientSecrets(sandbox));
    const requests = tokenRequests(sandbox) - before;
    const findings = new Findings();
    if (c.succeeds)
      findings.check(result.token !== undefined, result.token ? 'a token' : `error ${result.error?.name}`);
    else if (result.error) judgeError(findings, result.error, { class: 'TokenError' });
    else findings.check(false, 'a token despite the faults');
    findings.check(
      requests <= MAX_ATTEMPTS,
      `${requests} token requests`,
      `${requests} requests (> ${MAX_ATTEMPTS})`,
    );
    if (c.boundMs !== undefined) {
      findings.check(
        result.seconds * 1000 <= c.boundMs,
        `answered in ${result.seconds.toFixed(1)} s (deadline ${TIMEOUT_MS / 1000} s; bound ${c.boundMs / 1000} s)`,
        `no single deadline: ${result.seconds.toFixed(1)} s for a ${TIMEOUT_MS / 1000} s kalisto.oauth.timeout`,
      );
    } else findings.figure(`answered in ${result.seconds.toFixed(1)} s`);
    return findings;
  });
}

const HANG: TokenFault = { latencyMs: 600_000, drop: true };
/** The overall deadline with room for a loaded machine (never a speed judgement). */
const DEADLINE_BOUND_MS = TIMEOUT_MS * 1.5 + 1_000;

const hanging = (provider: 'msal' | 'oauth2'): Scenario =>
  faultScenario({
    id: `hanging-${provider}`,
    title: `Identity platform (${provider}): hanging`,
    injected: `every token request hangs (no answer); kalisto.oauth.timeout=${TIMEOUT_MS}`,
    expected: `TokenError within one overall deadline (≤ ${DEADLINE_BOUND_MS / 1000} s, retries included, not 3 × the timeout); ≤ ${MAX_ATTEMPTS} requests`,
    fault: HANG,
    count: 10,
    provider,
    succeeds: false,
    boundMs: DEADLINE_BOUND_MS,
  });

async function refused(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const [port] = await freePorts(1);
  const authority = `https://127.0.0.1:${port}`;
  const session = openSession(context, {
    ...sandbox.properties,
    'o365.oauth.authority': authority,
    'o365.oauth.url': `${authority}/%s/oauth2/v2.0/token`,
  });
  const result = await timedToken(session, clientSecrets(sandbox));
  const findings = new Findings();
  if (result.error) judgeError(findings, result.error, { class: 'TokenError' });
  else findings.check(false, 'a token from a closed port');
  findings.figure(`answered in ${result.seconds.toFixed(1)} s`);
  return findings;
}

async function staleButValid(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };
  const session = openSession(context, { ...sandbox.properties, 'o365.oauth.provider': 'oauth2' }, clock);
  const findings = new Findings();
  const first = await session.tokens.getToken();
  // Inside the refresh window (skew 5 min) but one minute before expiry, with the platform failing.
  offsetMs = first.expiresAt - Date.now() - 60_000;
  sandbox.hooks.injectFault({ status: 503 }, 100);
  const before = tokenRequests(sandbox);
  const during = await timedToken(session, clientSecrets(sandbox));
  findings.check(
    during.token?.accessToken === first.accessToken,
    during.token ? 'the cached token was served while the platform failed' : `error ${during.error?.name}`,
    'the still-valid token was not served',
  );
  findings.fact(`${tokenRequests(sandbox) - before} refresh attempts meanwhile`);
  // Past its expiry the same token must never be served.
  offsetMs = first.expiresAt - Date.now() + 60_000;
  const after = await timedToken(session, clientSecrets(sandbox));
  findings.check(
    after.error !== undefined && after.error.kalisto?.class === 'TokenError',
    after.error ? `after expiry: ${after.error.name} ${after.error.code ?? ''}` : 'after expiry: a token',
    after.token?.accessToken === first.accessToken
      ? 'an expired token was served'
      : 'no TokenError after expiry',
  );
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'refused',
      title: 'Identity platform: connection refused',
      injected: 'o365.oauth.authority points at a 127.0.0.1 port nobody listens on',
      expected: 'a Kalisto TokenError (transient) after the bounded retries; no secret in it',
      deadlineMs: 60_000,
    },
    refused,
  ),
  hanging('msal'),
  hanging('oauth2'),
  faultScenario({
    id: '5xx',
    title: 'Identity platform: 503 on every request',
    injected: 'every token request answered 503 (temporarily_unavailable)',
    expected: `TokenError after at most ${MAX_ATTEMPTS} requests`,
    fault: { status: 503 },
    count: 10,
    provider: 'msal',
    succeeds: false,
  }),
  faultScenario({
    id: '429-retry-after',
    title: 'Identity platform: 429 with Retry-After, once',
    injected: 'the first token request answered 429 with `Retry-After: 1`',
    expected: `a token, after the wait, in at most ${MAX_ATTEMPTS} requests`,
    fault: { status: 429, retryAfterSeconds: 1 },
    count: 1,
    provider: 'msal',
    succeeds: true,
  }),
  faultScenario({
    id: '429-retry-after-hour',
    title: 'Identity platform: 429 asking for an hour',
    injected: 'every token request answered 429 with `Retry-After: 3600`',
    expected: `TokenError within one overall deadline (≤ ${DEADLINE_BOUND_MS / 1000} s), never an hour's wait; ≤ ${MAX_ATTEMPTS} requests`,
    fault: { status: 429, retryAfterSeconds: 3600 },
    count: 10,
    provider: 'oauth2',
    succeeds: false,
    boundMs: DEADLINE_BOUND_MS,
  }),
  faultScenario({
    id: 'dropped-once',
    title: 'Identity platform: connection dropped once',
    injected: 'the first token request is answered by closing the connection',
    expected: `a token (retried), in at most ${MAX_ATTEMPTS} requests`,
    fault: { drop: true },
    count: 1,
    provider: 'msal',
    succeeds: true,
  }),
  scenarioOf(
    {
      id: 'cached-token-survives',
      title: 'Identity platform down: a still-valid token keeps working',
      injected:
        'oauth2 provider; the clock moved into the refresh window (1 min before expiry), every request answered 503; then past expiry',
      expected:
        'the cached token is served while valid; after its expiry a TokenError, never the expired token',
      deadlineMs: 60_000,
    },
    staleButValid,
  ),
];
