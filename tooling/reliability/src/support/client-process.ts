/**
 * Runs a client action (`src/client/main.ts`) in a child process and watches its memory from
 * outside (`/proc/<pid>/status`), so that a client that buffers without bound is measured — and
 * stopped at a cap — even while its event loop is busy or after V8 gives up.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startNodeScript } from '@kalisto/test-support';
import type { ScenarioContext } from '../scenario.js';

const CLIENT_SCRIPT = fileURLToPath(new URL('../client/main.ts', import.meta.url));
const MB = 1024 * 1024;

/** A JSON line the client printed. */
export type ClientEvent = Record<string, unknown> & { event: string };

export interface ClientRunOptions {
  /** Killed after this long (ms); the run then reports `killed: 'deadline'`. */
  deadlineMs: number;
  /** Killed when its RSS grows this far over the baseline, MB. Default 512. */
  rssCapMb?: number;
  /** How often RSS is read, ms. Default 50. */
  sampleMs?: number;
  /** Called for each event as it arrives, with a way to SIGKILL the client. */
  onEvent?: (event: ClientEvent, kill: () => void) => void;
}

export interface ClientRun {
  events: ClientEvent[];
  /** The `result` or `error` event, if the client got that far. */
  result: ClientEvent | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  killed?: 'deadline' | 'rss';
  /** RSS when the client said it was ready (after imports and set-up), MB. */
  baselineMb: number | undefined;
  peakMb: number;
  /** Peak over the baseline, MB (the figure the bounds speak of). */
  growthMb: number;
  /** Every RSS sample after the baseline, MB, with its time (ms since the baseline). */
  samples: { atMs: number; mb: number }[];
  /** Tail of stderr (secrets masked by the caller before it is shown anywhere). */
  stderr: string;
}

async function rssOf(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status?.match(/^VmRSS:\s+(\d+)/m)?.[1];
  return kb === undefined ? undefined : (Number(kb) * 1024) / MB;
}

/** Runs `action` with `input` (JSON) in a client process to its end, watching its RSS. */
export function runClient(
  context: ScenarioContext,
  action: string,
  input: unknown,
  options: ClientRunOptions,
): Promise<ClientRun> {
  const { child, stderr } = startNodeScript(CLIENT_SCRIPT, [action, JSON.stringify(input)]);
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  context.defer(kill);
  const run: ClientRun = {
    events: [],
    result: undefined,
    code: null,
    signal: null,
    baselineMb: undefined,
    peakMb: 0,
    growthMb: 0,
    samples: [],
    stderr: '',
  };
  let baselineAt = 0;
  const cap = options.rssCapMb ?? 512;
  const sample = async () => {
    const mb = child.pid === undefined ? undefined : await rssOf(child.pid);
    if (mb === undefined || run.baselineMb === undefined) return;
    run.samples.push({ atMs: Date.now() - baselineAt, mb });
    run.peakMb = Math.max(run.peakMb, mb);
    run.growthMb = run.peakMb - run.baselineMb;
    if (run.growthMb > cap && run.killed === undefined) {
      run.killed = 'rss';
      kill();
    }
  };
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as ClientEvent;
      run.events.push(event);
      if (event.event === 'ready' && child.pid !== undefined) {
        void rssOf(child.pid).then((mb) => {
          baselineAt = Date.now();
          run.baselineMb = mb;
          run.peakMb = mb ?? 0;
        });
      }
      if (event.event === 'result' || event.event === 'error') run.result = event;
      options.onEvent?.(event, kill);
    }
  });
  const sampler = setInterval(() => void sample(), options.sampleMs ?? 50);
  const deadline = setTimeout(() => {
    run.killed ??= 'deadline';
    kill();
  }, options.deadlineMs);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(deadline);
      run.code = code;
      run.signal = signal;
      run.stderr = stderr();
      resolve(run);
    });
  });
}

/** How a client run ended, in words (for the observed column when there is no result). */
export function clientEnd(run: ClientRun): string {
  if (run.killed === 'rss') return `client killed: RSS grew past ${run.growthMb.toFixed(0)} MB over baseline`;
  if (run.killed === 'deadline') return 'client killed at its deadline (no answer)';
  if (run.result === undefined) {
    const fatal = /FATAL ERROR[^\n]*/.exec(run.stderr)?.[0];
    return `client died (${run.signal ?? `exit ${run.code}`})${fatal ? `: ${fatal}` : ''}`;
  }
  return `client exited ${run.code}`;
}
