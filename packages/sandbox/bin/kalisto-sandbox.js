#!/usr/bin/env node
/**
 * The `kalisto-sandbox` command. An installed package runs its build (dist/). In a clone of the
 * repository, where src/ is present, it runs the TypeScript source through tsx with the
 * `dev-source` export condition — so the command works before any `pnpm build` and never runs a
 * stale one. Plain JavaScript and committed, so that package managers can link the bin at install.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/cli.js', import.meta.url);

/** Adds the `dev-source` condition, so that workspace packages resolve to their src/ too. */
const DEV_SOURCE_HOOK = `data:text/javascript,export function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, 'dev-source'] });
}`;

/** tsx's ESM API, when this is a workspace that has it. */
async function tsx() {
  try {
    return await import(import.meta.resolve('tsx/esm/api'));
  } catch {
    return undefined;
  }
}

const api = existsSync(source) ? await tsx() : undefined;
if (api !== undefined) {
  api.register();
  register(DEV_SOURCE_HOOK);
  await (await import(source.href)).main();
} else if (existsSync(built)) {
  await (await import(built.href)).main();
} else {
  process.stderr.write('kalisto-sandbox: no build found (dist/cli.js). Run pnpm install, then pnpm build.\n');
  process.exitCode = 1;
}
