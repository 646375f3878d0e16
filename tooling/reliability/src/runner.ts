/**
 * Runs each scenario in a process of its own (a process group leader), bounded by the scenario's
 * deadline: past it the scenario is stopped (SIGTERM, its clean-ups run), and after a grace period
 * its whole process group is killed. Whatever happens, nothing it started outlives it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deadlineOf, type Mode, type Outcome } from './scenario.js';
import type { NamedScenario } from './scenarios/index.js';
import { maskSecrets } from './support/secrets.js';

const CHILD = fileURLToPath(new URL('./scenario-child.ts', import.meta.url));
const GRACE_MS = 5_000;

export interface ScenarioResult extends Outcome {
  name: string;
  title: string;
  injected: string;
  expected: string;
  pass: boolean;
  seconds: number;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

const running = new Set<number>();
// The runner itself interrupted: take every scenario's processes down with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
    process.exit(130);
  });
}

interface ChildEnd {
  outcome: Outcome | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

function runChild(name: string, mode: Mode, deadlineMs: number, verbose: boolean): Promise<ChildEnd> {
  const child = spawn(process.execPath, ['--conditions=dev-source', '--import', 'tsx', CHILD, name, mode], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const end: ChildEnd = { outcome: undefined, code: null, signal: null, timedOut: false, stderr: '' };
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    end.stderr = (end.stderr + text).slice(-4_000);
    if (verbose) process.stderr.write(maskSecrets(text));
  });
  let grace: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    end.timedOut = true;
    child.kill('SIGTERM');
    grace = setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS);
  }, deadlineMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(grace);
      // Anything of the group still alive (a server the scenario started) goes now.
      killGroup(pid, 'SIGKILL');
      if (pid !== undefined) running.delete(pid);
      const line = stdout.split('\n').find((l) => l.startsWith('{"event":"outcome"'));
      if (line !== undefined) end.outcome = JSON.parse(line) as Outcome;
      end.code = code;
      end.signal = signal;
      resolve(end);
    });
  });
}

/** Runs one scenario to its end or its deadline. */
export async function runScenario(
  { name, scenario }: NamedScenario,
  mode: Mode,
  verbose = false,
): Promise<ScenarioResult> {
  const deadlineMs = deadlineOf(scenario, mode);
  const started = Date.now();
  const end = await runChild(name, mode, deadlineMs, verbose);
  let outcome: Outcome;
  if (end.timedOut) {
    outcome = {
      observed: [...(end.outcome?.observed ?? []), `no outcome within ${deadlineMs / 1000} s`],
      figures: end.outcome?.figures ?? [],
      failures: ['timed out'],
    };
  } else if (end.outcome === undefined) {
    const tail = end.stderr.trim().split('\n').slice(-3).join(' ').slice(-300);
    outcome = {
      observed: [
        `the scenario process ended (${end.signal ?? `exit ${end.code}`}) without an outcome: ${tail}`,
      ],
      figures: [],
      failures: ['crashed'],
    };
  } else {
    outcome = end.outcome;
  }
  const mask = (texts: string[]) => texts.map((text) => maskSecrets(text));
  return {
    name,
    title: scenario.title,
    injected: scenario.injected,
    expected: scenario.expected,
    observed: mask(outcome.observed),
    figures: mask(outcome.figures),
    failures: mask(outcome.failures),
    pass: outcome.failures.length === 0,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Runs the scenarios, at most `jobs` at once; an `exclusive` one (load, soak) runs alone. Results
 * come back in the order given; `onResult` sees each as it finishes.
 */
export async function runAll(
  scenarios: readonly NamedScenario[],
  options: { mode: Mode; jobs: number; verbose: boolean; onResult(result: ScenarioResult): void },
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(scenarios.length);
  const active = new Set<Promise<void>>();
  for (const [index, named] of scenarios.entries()) {
    const exclusive = named.scenario.exclusive === true;
    while (active.size > 0 && (exclusive || active.size >= options.jobs)) await Promise.race(active);
    const task = runScenario(named, options.mode, options.verbose).then((result) => {
      results[index] = result;
      options.onResult(result);
    });
    const tracked = task.finally(() => active.delete(tracked));
    active.add(tracked);
    if (exclusive) await tracked;
  }
  await Promise.all(active);
  return results;
}
