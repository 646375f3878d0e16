#!/usr/bin/env node
/**
 * The `kalisto` command. An installed package runs its build (dist/). In a clone of the repository,
 * where src/ is present, it runs the TypeScript source through tsx with the `dev-source` export
 * condition — so the command works before any `pnpm build` and never runs a stale one. Plain
 * JavaScript and committed, so that package managers can link the bin at install time.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/main.ts', import.meta.url);
const built = new URL('../dist/main.js', import.meta.url);

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
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write('kalisto: no build found (dist/main.js). Run pnpm install, then pnpm build.\n');
  process.exitCode = 1;
}
