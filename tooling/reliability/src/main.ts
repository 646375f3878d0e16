/**
 * `pnpm reliability [--quick] [--only <text>]… [--jobs N] [--report <file>] [--list] [--verbose]`:
 * runs the scenarios, prints one line per scenario and writes REPORT.md (a run of every scenario
 * writes it by default; a selection only with --report). Exits 1 when any scenario fails.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport } from './report.js';
import { runAll } from './runner.js';
import { allScenarios } from './scenarios/index.js';

const DEFAULT_REPORT = fileURLToPath(new URL('../REPORT.md', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      jobs: { type: 'string', default: '2' },
      report: { type: 'string' },
      list: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const everything = await allScenarios();
  if (values.list) {
    for (const { name, scenario } of everything) console.log(`${name.padEnd(44)} ${scenario.title}`);
    return 0;
  }
  const only = values.only ?? [];
  const selected =
    only.length === 0
      ? everything
      : everything.filter(({ name }) => only.some((text) => name.includes(text)));
  if (selected.length === 0) {
    console.error(`No scenario matches ${only.join(', ')}; see --list.`);
    return 2;
  }
  const mode = values.quick ? 'quick' : 'full';
  const jobs = Math.max(1, Number(values.jobs) || 1);
  const startedAt = new Date();
  const loadAtStart = loadavg();
  console.error(`${selected.length} scenarios, ${mode} form, ${jobs} at a time`);
  const results = await runAll(selected, {
    mode,
    jobs,
    verbose: values.verbose,
    onResult: (r) =>
      console.error(
        `${r.pass ? 'pass' : 'FAIL'}  ${r.name} (${r.seconds.toFixed(1)} s)${r.pass ? '' : `: ${r.failures.join('; ')} — ${r.observed.join('; ')}`}`,
      ),
  });
  const failed = results.filter((r) => !r.pass);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const command = `pnpm reliability${values.quick ? ' --quick' : ''}${only.map((o) => ` --only ${o}`).join('')}`;
  const path = values.report ?? (only.length === 0 ? DEFAULT_REPORT : undefined);
  if (path !== undefined) {
    await writeFile(path, formatReport(results, { mode, command, startedAt, seconds, loadAtStart }));
    console.error(`Report: ${path}`);
  }
  console.error(`${results.length - failed.length}/${results.length} passed in ${Math.round(seconds)} s`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
