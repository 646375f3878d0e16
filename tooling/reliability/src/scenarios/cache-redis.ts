/** Redis down at start, killed mid-run (SIGKILL) and slow (DEBUG SLEEP): the token manager carries on. */
import { redisCache } from '@kalisto/cache-redis';
import { freePorts } from '@kalisto/test-support';
import { Findings, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { cacheSession, describeCheck, tokenThrough } from '../support/cache-session.js';
import { rawCommand, scenarioRedis } from '../support/redis.js';
import { scenarioSandbox } from '../support/sandbox.js';

const OPTIONS = { commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 } as const;

async function setUp(context: ScenarioContext) {
  const sandbox = await scenarioSandbox(context, { mail: false });
  /** A new "process": its own Redis connection and token manager. */
  const open = (url: string) =>
    cacheSession(context, (logger) => redisCache({ url, ...OPTIONS, logger }), { ...sandbox.properties });
  return { sandbox, open };
}

/** Each step must be served a genuine token; `hit` says whether it must come from the cache. */
function step(
  findings: Findings,
  name: string,
  check: Awaited<ReturnType<typeof tokenThrough>>,
  hit?: boolean,
) {
  const ok = check.genuine && (hit === undefined || check.hit === hit);
  findings.check(ok, describeCheck(name, check));
}

async function downAtStart(context: ScenarioContext): Promise<Findings> {
  const { sandbox, open } = await setUp(context);
  const [port] = await freePorts(1);
  const findings = new Findings();
  const first = open(`redis://127.0.0.1:${port}`);
  step(findings, '1st session', await tokenThrough(sandbox, first), false);
  step(findings, 'same session again', await tokenThrough(sandbox, first), true);
  warned(findings, first.warnings());
  return findings;
}

/** The outage was told, once, as a CacheError (the no-encryption-key notice aside). */
function warned(findings: Findings, warnings: string[]): void {
  const outage = warnings.filter((w) => w.startsWith('CACHE_'));
  findings.check(
    outage.length === 1,
    `warned: ${outage.join(', ') || 'nothing'}`,
    'expected one CacheError warning for the outage',
  );
}

async function killedMidRun(context: ScenarioContext): Promise<Findings> {
  const { sandbox, open } = await setUp(context);
  const redis = await scenarioRedis(context);
  const findings = new Findings();
  step(findings, 'A (Redis up)', await tokenThrough(sandbox, open(redis.url)), false);
  step(findings, 'B (Redis up)', await tokenThrough(sandbox, open(redis.url)), true);
  await redis.kill();
  const c = open(redis.url);
  step(findings, 'C (Redis SIGKILLed)', await tokenThrough(sandbox, c), false);
  warned(findings, c.warnings());
  await redis.start();
  step(findings, 'D (Redis restarted, empty)', await tokenThrough(sandbox, open(redis.url)), false);
  step(findings, 'E (Redis restarted)', await tokenThrough(sandbox, open(redis.url)), true);
  return findings;
}

async function slow(context: ScenarioContext): Promise<Findings> {
  const { sandbox, open } = await setUp(context);
  const redis = await scenarioRedis(context, ['--enable-debug-command', 'yes']);
  const findings = new Findings();
  step(findings, 'A (Redis answering)', await tokenThrough(sandbox, open(redis.url)), false);
  const b = open(redis.url);
  const asleep = rawCommand(redis.port, 'DEBUG SLEEP 4', 10_000);
  const started = Date.now();
  step(findings, 'B (Redis asleep 4 s)', await tokenThrough(sandbox, b), false);
  findings.figure(`B answered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  warned(findings, b.warnings());
  await asleep;
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'down-at-start',
      title: 'Redis cache down at start',
      injected: 'redisCache pointed at a 127.0.0.1 port nobody listens on',
      expected:
        'getToken works from the identity platform (genuine token), one CacheError warning for the outage',
      deadlineMs: 60_000,
    },
    downAtStart,
  ),
  scenarioOf(
    {
      id: 'killed-mid-run',
      title: 'Redis cache killed mid-run',
      injected:
        'a redis-server the scenario started is SIGKILLed between sessions, then restarted on the same port',
      expected:
        'every session gets a genuine token: a hit while Redis is up, the identity platform while it is down, the cache again once it is back',
      deadlineMs: 60_000,
    },
    killedMidRun,
  ),
  scenarioOf(
    {
      id: 'slow',
      title: 'Redis cache slow',
      injected: '`DEBUG SLEEP 4` blocks Redis while a session asks for a token (commandTimeoutMs 1000)',
      expected:
        'the session gets a genuine token from the identity platform without waiting for Redis; a CacheError warning',
      deadlineMs: 60_000,
    },
    slow,
  ),
];
