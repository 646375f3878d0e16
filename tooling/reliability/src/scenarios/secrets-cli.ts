/**
 * The command line (apps/cli, run as users run it: a child process from source) with --debug, on
 * the sandbox: every byte of stdout and stderr of a representative subset, failures and mistyped
 * secret properties included, scanned for the fixtures' secrets and tokens.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeScript } from '@kalisto/test-support';
import { Findings, type Scenario, type ScenarioContext } from '../scenario.js';
import { Exposure } from '../support/exposure.js';
import { fixtureSecrets } from '../support/fixture-secrets.js';
import { scenarioSandbox } from '../support/sandbox.js';

const CLI = fileURLToPath(new URL('../../../../apps/cli/src/main.ts', import.meta.url));

/** Runs `kalisto …args` to its end (at most 60 s); its whole output and exit code. */
function kalisto(
  context: ScenarioContext,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  const { child } = startNodeScript(CLI, args);
  context.defer(() => child.kill('SIGKILL'));
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

async function run(context: ScenarioContext) {
  // What the CLI sees of its environment: no colours, no configuration but ours.
  process.env.NO_COLOR = '1';
  delete process.env.FORCE_COLOR;
  delete process.env.KALISTO_CONFIG;
  const sandbox = await scenarioSandbox(context);
  sandbox.store.seed(sandbox.properties['o365.user'] ?? '', { count: 3, size: 3_000 });
  const file = join(await context.tmpDir(), 'sandbox.properties');
  await writeFile(file, sandbox.propertiesText);
  const { adele, megan } = sandbox.fixtures.users;
  const secret = sandbox.fixtures.confidentialApp.secret;
  const config = ['--config', file, '--debug'];
  /** Each run with the exit code it must end with (0 ok, 3 refused token: see the CLI's exit codes). */
  const runs: Record<string, string[]> = {
    token: ['token'],
    'token --json': ['token', '--json'],
    doctor: ['doctor'],
    folders: ['folders'],
    list: ['list'],
    send: ['send', '--to', megan.upn, '--subject', 'secrets scan', '--text', 'hello'],
    'pop3 list': ['pop3', 'list'],
    'token, wrong client secret': ['token', '-D', `o365.oauth.clientSecret=${secret}x`],
    'token, password grant': [
      'token',
      '-D',
      'o365.oauth.flow=password',
      '-D',
      `o365.oauth.clientId=${sandbox.fixtures.publicApp.clientId}`,
      '-D',
      `o365.password=${adele.password}`,
      '-D',
      'o365.oauth.clientSecret=',
    ],
    'config with mistyped secret properties': [
      'config',
      '-D',
      `o365.pasword=${adele.password}`,
      '-D',
      `o365.oauth.clientSecert=${secret}`,
      '-D',
      `o365.oauth.certificate.privatKey=${megan.password}`,
    ],
  };
  const exposure = new Exposure();
  const codes: string[] = [];
  const findings = new Findings();
  for (const [name, args] of Object.entries(runs)) {
    const result = await kalisto(context, [...config, ...args]);
    const expected = name.includes('wrong client secret') ? 3 : 0;
    codes.push(`${name} → ${result.code}`);
    if (result.code !== expected) findings.fail(`"kalisto ${name}" exited ${result.code}, not ${expected}`);
    exposure.add(`the output of "kalisto ${name}"`, result.output);
  }
  const leaks = exposure.leaks(fixtureSecrets(sandbox));
  findings.fact(`exit codes: ${codes.join(', ')}`);
  findings.check(
    leaks.length === 0,
    leaks.length === 0 ? 'no secret, refresh token or JWT in any output' : `leaked: ${leaks.join('; ')}`,
  );
  return findings.outcome();
}

export const scenarios: readonly Scenario[] = [
  {
    id: 'cli-output',
    title: 'Secrets: CLI output',
    injected:
      '`kalisto --debug` token (text and --json), doctor, folders, list, send, pop3 list, a wrong client secret, a password grant, and `config` with `o365.pasword`, `o365.oauth.clientSecert`, `…certificate.privatKey` set to real secrets',
    expected:
      'no password, client secret, refresh token or JWT (also inside base64) in stdout or stderr of any run',
    deadlineMs: { quick: 240_000, full: 240_000 },
    run,
  },
];
