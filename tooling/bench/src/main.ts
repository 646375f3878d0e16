/**
 * `pnpm --filter @kalisto/bench bench [name…] [--json file]`: runs the benchmarks (all, or those
 * named) and prints one table. Never part of `pnpm test`: numbers depend on the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCHMARKS } from './benchmarks/index.js';
import { createContext } from './context.js';
import type { ResultRow } from './harness.js';
import { formatTable, writeJson } from './report.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'string' }, list: { type: 'boolean' } },
  });
  if (values.list) {
    for (const b of BENCHMARKS) console.log(`${b.name.padEnd(18)} ${b.title}`);
    return 0;
  }
  const unknown = positionals.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark ${unknown.join(', ')}; have: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
    return 2;
  }
  const selected =
    positionals.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => positionals.includes(b.name));
  const tmpDir = await mkdtemp(join(tmpdir(), 'kalisto-bench-'));
  const context = createContext(tmpDir);
  const rows: ResultRow[] = [];
  const started = Date.now();
  let failed = false;
  try {
    for (const benchmark of selected) {
      const t0 = Date.now();
      process.stderr.write(`${benchmark.name}: ${benchmark.title} … `);
      try {
        const result = await benchmark.run(context);
        rows.push(...result);
        process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      } catch (error) {
        failed = true;
        // The error's name and code only: library errors may carry a command line with a token in it.
        const { name, code } = error as { name?: string; code?: string };
        process.stderr.write(`failed (${name ?? 'Error'}${code ? ` ${code}` : ''})\n`);
        rows.push({
          benchmark: benchmark.name,
          contender: '—',
          median: 0,
          unit: '',
          spread: 0,
          verdict: 'FAIL',
          note: 'did not run to the end',
        });
      }
    }
  } finally {
    await context.close();
    await rm(tmpDir, { recursive: true, force: true });
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(formatTable(rows));
  console.log(
    `\n${meta.date} · Node ${meta.node} · ${meta.cpus} · load ${meta.loadAverage.join(' ')} · ${meta.seconds} s`,
  );
  if (values.json) await writeJson(values.json, rows, meta);
  return failed ? 1 : 0;
}

process.exitCode = await main();
