/** Hostile configuration: `file:` references to /dev/zero and to a FIFO, and 2,000 custom protocols. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  Findings,
  type Scenario,
  type ScenarioContext,
  type ScenarioText,
  scenarioOf,
  textOf,
} from '../scenario.js';
import { runClient } from '../support/client-process.js';
import { type ExpectedError, judgeClientFailure, runFigures } from '../support/judge.js';

const BASE = {
  'o365.oauth.tenant': 'contoso.example',
  'o365.oauth.clientId': '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  'o365.user': 'adele@contoso.example',
};
const CLIENT_DEADLINE_MS = 30_000;

interface ConfigCase extends ScenarioText {
  properties(context: ScenarioContext): Promise<Record<string, string>>;
  /** The error it must fail with; absent: it must resolve. */
  error?: ExpectedError;
}

function configScenario(c: ConfigCase): Scenario {
  return scenarioOf({ ...textOf(c), deadlineMs: 60_000 }, async (context) => {
    const properties = { ...BASE, ...(await c.properties(context)) };
    const run = await runClient(context, 'config', { properties }, { deadlineMs: CLIENT_DEADLINE_MS });
    const findings = new Findings();
    if (c.error) judgeClientFailure(findings, run, c.error);
    else {
      const result = run.result;
      findings.check(
        result?.event === 'result',
        result?.event === 'result'
          ? `resolved: ${result.protocols} protocols, ${result.warnings} warnings`
          : `no result: ${JSON.stringify(result?.error ?? run.killed ?? run.code)}`,
      );
      runFigures(findings, run);
    }
    return findings;
  });
}

export const scenarios: readonly Scenario[] = [
  configScenario({
    id: 'secret-from-dev-zero',
    title: 'Config: a secret read from /dev/zero',
    injected: '`o365.oauth.clientSecret=file:/dev/zero` (an endless file)',
    expected: `a Kalisto ConfigError naming the property before the client's ${CLIENT_DEADLINE_MS / 1000} s deadline; RSS < 64 MB over baseline`,
    properties: async () => ({ 'o365.oauth.clientSecret': 'file:/dev/zero' }),
    error: { class: 'ConfigError', mentions: 'o365.oauth.clientSecret' },
  }),
  configScenario({
    id: 'secret-from-fifo',
    title: 'Config: a secret read from a FIFO nobody writes',
    injected: '`o365.oauth.clientSecret=file:<a named pipe>` that never delivers a byte',
    expected: `a Kalisto ConfigError naming the property before the client's ${CLIENT_DEADLINE_MS / 1000} s deadline (a regular file only, read with a deadline)`,
    async properties(context) {
      const fifo = join(await context.tmpDir(), 'secret.fifo');
      await promisify(execFile)('mkfifo', [fifo]);
      return { 'o365.oauth.clientSecret': `file:${fifo}` };
    },
    error: { class: 'ConfigError', mentions: 'o365.oauth.clientSecret' },
  }),
  configScenario({
    id: 'many-custom-protocols',
    title: 'Config: 2,000 custom protocols',
    injected: '2,000 custom `mail.p<N>.host`/`.port` protocols in one property map',
    expected: `it resolves before the client's ${CLIENT_DEADLINE_MS / 1000} s deadline (not quadratic: the issue saw over 120 s); RSS reported`,
    properties: async () => ({
      'o365.oauth.clientSecret': 'not-used-here',
      ...Object.fromEntries(
        Array.from({ length: 2_000 }, (_, i) => [
          [`mail.p${i}.host`, `host${i}.example`],
          [`mail.p${i}.port`, String(1_000 + i)],
        ]).flat(),
      ),
    }),
  }),
];
