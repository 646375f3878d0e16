/**
 * After a good sign-in, a wrong password or a wrong client secret over the same shared cache must
 * not be served the cached token: the identity platform decides (finding 1 of issue 10).
 */

import { join } from 'node:path';
import { fileCache } from '@kalisto/cache-file';
import { memoryCache } from '@kalisto/cache-memory';
import { redisCache } from '@kalisto/cache-redis';
import type { CacheBackend, Logger } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';
import { publicAppProperties } from '@kalisto/test-support';
import { Findings, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { type CacheSession, cacheSession, describeCheck, tokenThrough } from '../support/cache-session.js';
import { summarizeError } from '../support/errors.js';
import { judgeError } from '../support/judge.js';
import { scenarioRedis } from '../support/redis.js';
import { scenarioSandbox } from '../support/sandbox.js';
import { identityRequests } from '../support/tokens.js';

const WRONG_PASSWORD = 'Not-Her-Password-1!';
const WRONG_SECRET = 'Wrg8Q~not-the-client-secret-of-the-daemon-app';

type Backends = () => (logger: Logger) => CacheBackend;

/** A wrong credential's `getToken()`: must be a TokenError after a request to the identity platform. */
async function refused(
  findings: Findings,
  sandbox: Sandbox,
  label: string,
  bad: CacheSession,
  secrets: Record<string, string>,
) {
  const before = identityRequests(sandbox);
  try {
    await bad.session.tokens.getToken();
    const asked = identityRequests(sandbox) > before;
    findings.check(false, `${label}: served a token${asked ? '' : ' without asking the identity platform'}`);
  } catch (error) {
    findings.fact(`${label}:`);
    judgeError(findings, summarizeError(error, secrets), { class: 'TokenError' });
  }
}

async function bindingChecks(
  context: ScenarioContext,
  backends: Backends,
  concurrent: boolean,
): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const { adele } = sandbox.fixtures.users;
  const secret = sandbox.fixtures.confidentialApp.secret;
  const secrets = {
    password: adele.password,
    wrongPassword: WRONG_PASSWORD,
    clientSecret: secret,
    wrongSecret: WRONG_SECRET,
  };
  const delegated = (password: string) => ({
    ...sandbox.properties,
    ...publicAppProperties(sandbox, 'password', adele.upn),
    'o365.password': password,
  });
  const open = (properties: Record<string, string>) => cacheSession(context, backends(), properties);
  const findings = new Findings();
  const owner = { clientId: sandbox.fixtures.publicApp.clientId, upn: adele.upn };
  findings.check(
    (await tokenThrough(sandbox, open(delegated(adele.password)), owner)).genuine,
    'good password: a genuine token, cached',
  );
  await refused(findings, sandbox, 'wrong password, same user', open(delegated(WRONG_PASSWORD)), secrets);
  findings.check(
    (await tokenThrough(sandbox, open({ ...sandbox.properties }))).genuine,
    'good client secret: a genuine token, cached',
  );
  await refused(
    findings,
    sandbox,
    'wrong client secret, same app',
    open({ ...sandbox.properties, 'o365.oauth.clientSecret': WRONG_SECRET }),
    secrets,
  );
  if (concurrent) {
    // Both at once on a cold key: the wrong one must not join the right one's request or lock.
    const cold = { 'o365.oauth.scope': 'https://outlook.office.com/SMTP.Send' };
    const good = open({ ...delegated(adele.password), ...cold });
    const bad = open({ ...delegated(WRONG_PASSWORD), ...cold });
    const [, check] = await Promise.all([
      refused(findings, sandbox, 'wrong password racing a good one', bad, secrets),
      tokenThrough(sandbox, good, owner),
    ]);
    findings.check(check.genuine, describeCheck('the good one of the race', check));
  }
  return findings;
}

const scenario = (
  id: string,
  title: string,
  backends: (context: ScenarioContext) => Promise<Backends>,
  concurrent = false,
): Scenario =>
  scenarioOf(
    {
      id,
      title: `Credential binding: ${title}`,
      injected: `a good sign-in (password grant, then client credentials) fills the ${id} cache; then the same user with a wrong password and the same app with a wrong client secret${concurrent ? '; and a wrong and a good password at once on a cold key' : ''}`,
      expected:
        'every wrong credential gets a TokenError from the identity platform (a request is made), never the cached token',
      deadlineMs: 90_000,
    },
    async (context) => bindingChecks(context, await backends(context), concurrent),
  );

export const scenarios: readonly Scenario[] = [
  scenario(
    'memory',
    'memory cache (one process)',
    async () => {
      const shared = memoryCache();
      return () => () => shared;
    },
    true,
  ),
  scenario('redis', 'Redis cache (separate connections)', async (context) => {
    const redis = await scenarioRedis(context);
    return () => (logger) => redisCache({ url: redis.url, logger });
  }),
  scenario('file', 'file cache (separate instances)', async (context) => {
    const path = join(await context.tmpDir(), 'tokens.json');
    return () => (logger) => fileCache({ path, logger });
  }),
];
