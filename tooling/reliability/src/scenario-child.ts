/**
 * The scenario process: `scenario-child.ts <module>/<id> <quick|full>`. Runs one scenario, prints
 * its outcome as one JSON line, then runs the scenario's clean-ups (servers, child processes,
 * temporary directories). The runner kills it, and every process it started, at the deadline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mode, Outcome, ScenarioContext } from './scenario.js';
import { findScenario } from './scenarios/index.js';
import { summarizeError } from './support/errors.js';

const CLEANUP_LIMIT_MS = 10_000;
const cleanups: (() => unknown)[] = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await Promise.race([
      Promise.resolve()
        .then(cleanup)
        .catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, CLEANUP_LIMIT_MS).unref()),
    ]);
  }
}

async function main(): Promise<void> {
  const [name = '', mode = 'quick'] = process.argv.slice(2);
  const scenario = await findScenario(name);
  const context: ScenarioContext = {
    mode: mode as Mode,
    defer: (cleanup) => void cleanups.push(cleanup),
    async tmpDir() {
      const dir = await mkdtemp(join(tmpdir(), 'kalisto-reliability-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    log: (message) => process.stderr.write(`[${name}] ${message}\n`),
  };
  process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));
  let outcome: Outcome;
  try {
    outcome = await scenario.run(context);
  } catch (error) {
    const summary = summarizeError(error);
    outcome = {
      observed: [`the scenario itself failed: ${summary.name} ${summary.code ?? ''} ${summary.message}`],
      figures: [],
      failures: ['the scenario could not run to its end'],
    };
  }
  process.stdout.write(`${JSON.stringify({ event: 'outcome', ...outcome })}\n`);
  await cleanUp();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(70);
  },
);
