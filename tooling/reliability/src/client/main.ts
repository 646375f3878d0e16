/**
 * A client process: `main.ts <action> <json input>`. It sets up (imports, Kalisto), prints
 * `{"event":"ready"}` so the parent takes the RSS baseline, runs the action and prints one
 * `result` (or `error`) line. Lines are JSON; secrets are masked before anything is printed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { summarizeError } from '../support/errors.js';
import { ACTIONS, type ClientAction } from './actions.js';
import { collectGarbage } from './gc.js';

export function emit(event: Record<string, unknown> & { event: string }): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main(): Promise<void> {
  const [name = '', json = '{}'] = process.argv.slice(2);
  const load = ACTIONS[name];
  if (load === undefined) throw new Error(`no client action "${name}" (have: ${Object.keys(ACTIONS)})`);
  const action: ClientAction = await load();
  const input = JSON.parse(json) as Record<string, unknown>;
  const secrets = (input.secrets ?? {}) as Record<string, string>;
  let readyAt = Date.now();
  const ready = async () => {
    // The warm-up's garbage must not count as growth.
    collectGarbage();
    emit({ event: 'ready', rss: process.memoryUsage().rss });
    readyAt = Date.now();
    // Let the parent read the baseline before the hostile part starts.
    await sleep(150);
  };
  try {
    const result = await action(input, { ready, emit });
    emit({ event: 'result', elapsedMs: Date.now() - readyAt, ...result });
  } catch (error) {
    emit({ event: 'error', elapsedMs: Date.now() - readyAt, error: summarizeError(error, secrets) });
  }
}

// Exit without waiting for whatever a hostile server left open: the result is out.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(70);
  },
);
