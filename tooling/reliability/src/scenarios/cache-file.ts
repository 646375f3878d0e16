/** The file cache SIGKILLed mid-write, corrupt, opened with the wrong key, unreadable: tokens never lost or served wrongly. */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileCache } from '@kalisto/cache-file';
import type { Sandbox } from '@kalisto/sandbox';
import { publicAppProperties } from '@kalisto/test-support';
import { Findings, type Mode, type Scenario, type ScenarioContext, scenarioOf } from '../scenario.js';
import { cacheSession, describeCheck, tokenThrough } from '../support/cache-session.js';
import { runClient } from '../support/client-process.js';
import { scenarioSandbox } from '../support/sandbox.js';

const KILL_ROUNDS: Record<Mode, number> = { quick: 5, full: 20 };
const NOBODY = 65_534;
const DEADLINE = { quick: 120_000, full: 300_000 };

/** Password-grant properties of the fixture users (delegated: one cache key per user). */
function userProperties(sandbox: Sandbox) {
  const { adele, megan, alex } = sandbox.fixtures.users;
  return [adele, megan, alex].map((user) => ({
    upn: user.upn,
    properties: {
      ...sandbox.properties,
      ...publicAppProperties(sandbox, 'password', user.upn),
      'o365.password': user.password,
    },
  }));
}

async function killedMidWrite(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const path = join(await context.tmpDir(), 'tokens.json');
  const users = userProperties(sandbox);
  const findings = new Findings();
  let served = 0;
  let hits = 0;
  let wrong = 0;
  const rounds = KILL_ROUNDS[context.mode];
  for (let round = 0; round < rounds; round++) {
    const run = await runClient(
      context,
      'file-cache-writer',
      { path, sessions: users.map((u) => u.properties) },
      {
        deadlineMs: 30_000,
        onEvent: (e, kill) => void (e.event === 'writing' && sleep(Math.random() * 250).then(kill)),
      },
    );
    if (run.signal !== 'SIGKILL') findings.fail(`round ${round}: the writer ended without being killed`);
    JSON.parse(await readFile(path, 'utf8'));
    for (const user of users) {
      const reader = cacheSession(context, (logger) => fileCache({ path, logger }), user.properties);
      const check = await tokenThrough(sandbox, reader, {
        clientId: sandbox.fixtures.publicApp.clientId,
        upn: user.upn,
      });
      served++;
      if (check.hit) hits++;
      if (!check.genuine) wrong++;
      if (check.error) findings.fail(describeCheck(`round ${round}, ${user.upn}`, check));
    }
  }
  findings.check(
    wrong === 0,
    `${rounds} writers SIGKILLed mid-write; the file parsed after each; ${served} tokens served, ${wrong} not genuine or not the user's`,
  );
  findings.figure(`${hits} of ${served} served from the cache`);
  return findings;
}

async function damaged(context: ScenarioContext, damage: 'corrupt' | 'wrong key'): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const path = join(await context.tmpDir(), 'tokens.json');
  const key = randomBytes(32);
  const open = (encryptionKey: Buffer) =>
    cacheSession(context, (logger) => fileCache({ path, encryptionKey, logger }), { ...sandbox.properties });
  const findings = new Findings();
  findings.check((await tokenThrough(sandbox, open(key))).genuine, 'A wrote a genuine token');
  let reopenKey = key;
  if (damage === 'corrupt') {
    const text = await readFile(path);
    await writeFile(path, Buffer.concat([text.subarray(0, text.length / 2), randomBytes(64)]));
  } else reopenKey = randomBytes(32);
  const b = open(reopenKey);
  const check = await tokenThrough(sandbox, b);
  findings.check(check.genuine && !check.hit && !check.error, describeCheck(`B (${damage})`, check));
  findings.fact(`B warned: ${b.warnings().join(', ') || 'nothing'}`);
  const c = await tokenThrough(sandbox, open(reopenKey));
  findings.check(c.genuine && c.hit, describeCheck('C (after B rewrote the file)', c));
  return findings;
}

async function noPermission(context: ScenarioContext): Promise<Findings> {
  const sandbox = await scenarioSandbox(context, { mail: false });
  const dir = await context.tmpDir();
  const path = join(dir, 'tokens.json');
  const findings = new Findings();
  findings.check(
    (
      await tokenThrough(
        sandbox,
        cacheSession(context, (logger) => fileCache({ path, logger }), { ...sandbox.properties }),
      )
    ).genuine,
    'the owner wrote a genuine token',
  );
  // Root reads anything: the client then runs as nobody; anyone else is kept out by the mode alone.
  const root = process.getuid?.() === 0;
  if (!root) await chmod(path, 0o000);
  const input = { path, properties: sandbox.properties, ...(root ? { runAs: NOBODY } : {}) };
  const run = await runClient(context, 'file-cache-session', input, { deadlineMs: 30_000 });
  const result = run.result;
  if (result?.event === 'result') {
    const genuine =
      sandbox.state.issuedToken(String(result.jti)) !== undefined &&
      result.appId === sandbox.properties['o365.oauth.clientId'];
    findings.check(
      genuine,
      `a user without access (uid ${result.uid}) got a ${genuine ? 'genuine' : 'NOT genuine'} token from the identity platform`,
    );
    const warnings = result.warnings as string[];
    findings.check(
      warnings.includes('CACHE_IO'),
      `warned: ${warnings.join(', ') || 'nothing'}`,
      'expected a CacheError CACHE_IO warning',
    );
  } else
    findings.check(false, `the client failed: ${JSON.stringify(result?.error ?? run.stderr.slice(-200))}`);
  return findings;
}

export const scenarios: readonly Scenario[] = [
  scenarioOf(
    {
      id: 'sigkill-mid-write',
      title: 'File cache: writer SIGKILLed mid-write',
      injected: `a process writing fresh tokens for 3 users in a loop is SIGKILLed at a random instant (quick ${KILL_ROUNDS.quick} times, full ${KILL_ROUNDS.full})`,
      expected:
        'the file always parses; every session is served a genuine token of its own user (from the file or the identity platform), never an error',
      deadlineMs: DEADLINE,
    },
    killedMidWrite,
  ),
  scenarioOf(
    {
      id: 'corrupt',
      title: 'File cache: corrupt file',
      injected: 'the cache file is cut in half and 64 random bytes appended',
      expected:
        'a genuine token from the identity platform, a warning, the file rewritten (the next session hits it)',
      deadlineMs: DEADLINE,
    },
    (c) => damaged(c, 'corrupt'),
  ),
  scenarioOf(
    {
      id: 'wrong-key',
      title: 'File cache: wrong encryption key',
      injected: 'the file was sealed with one key and is opened with another',
      expected:
        'nothing is opened with the wrong key: a genuine token from the identity platform, a warning, then hits',
      deadlineMs: DEADLINE,
    },
    (c) => damaged(c, 'wrong key'),
  ),
  scenarioOf(
    {
      id: 'no-permission',
      title: 'File cache: no permission',
      injected: 'the cache file (0600 in a 0700 directory) is read by a process of another user (nobody)',
      expected: 'getToken works from the identity platform with a CacheError CACHE_IO warning',
      deadlineMs: DEADLINE,
    },
    noPermission,
  ),
];
