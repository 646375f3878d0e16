/**
 * The first hour, as a newcomer meets it: a fresh copy of the repository (the files `git ls-files`
 * lists, so no node_modules and no build), `pnpm install` without a warning, then the README's
 * commands — `pnpm kalisto-sandbox --write-properties` in one directory and `pnpm kalisto …` in
 * another, with paths relative to where each runs. Nothing is built.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const execute = promisify(execFile);

/** The environment of a newcomer's shell: nothing pnpm passes to this test's own script. */
const env = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|INIT_CWD$)/i.test(name)),
  ),
  NO_COLOR: '1',
  KALISTO_CONFIG: '',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `pnpm -s ...args` in `cwd`; resolves with the exit code and output, whatever the code. */
async function pnpm(cwd: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await execute('pnpm', ['-s', ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Copies the files a clone would have (tracked, and new ones not ignored) into `into`. */
function copyRepository(into: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    const from = join(root, file);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(from, join(into, file));
    chmodSync(join(into, file), statSync(from).mode);
  }
}

describe('a fresh clone, without a build', () => {
  let clone: string;
  let install: Run;
  let sandbox: ChildProcess | undefined;
  let sandboxOutput = '';
  const sandboxDir = () => join(clone, '.tmp', 'sandbox');
  const elsewhere = () => join(clone, '.tmp', 'elsewhere');

  beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'kalisto-clone-'));
    copyRepository(clone);
    mkdirSync(sandboxDir(), { recursive: true });
    mkdirSync(elsewhere(), { recursive: true });
    // Offline: the packages come from the store the workspace's own install filled.
    install = await pnpm(clone, 'install', '--offline', '--frozen-lockfile', '--reporter=append-only');
  });

  afterAll(async () => {
    if (sandbox?.pid !== undefined && sandbox.exitCode === null) {
      const exited = new Promise((done) => sandbox?.once('exit', done));
      process.kill(-sandbox.pid, 'SIGTERM');
      await exited;
    }
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('pnpm install prints no warning (every bin links: the launchers are committed)', () => {
    expect(install.code).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/WARN|Failed to create bin/);
    expect(existsSync(join(clone, 'apps/cli/node_modules/.bin/kalisto-sandbox'))).toBe(true);
    expect(existsSync(join(clone, 'packages/sandbox/dist'))).toBe(false);
  });

  it('pnpm kalisto --help, from a directory of its own', async () => {
    const run = await pnpm(elsewhere(), 'kalisto', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: kalisto [options] [command]');
  });

  it('pnpm kalisto-sandbox --write-properties writes the file where it was run', async () => {
    sandbox = spawn('pnpm', ['-s', 'kalisto-sandbox', '--write-properties', 'sandbox.properties'], {
      cwd: sandboxDir(),
      env,
      detached: true, // its own process group, so that pnpm, the shell and node stop together
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = sandbox;
    await new Promise<void>((ready, failed) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        sandboxOutput += chunk.toString();
        if (sandboxOutput.includes('Try: kalisto')) ready();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        sandboxOutput += chunk.toString();
      });
      child.once('exit', (code) => failed(new Error(`kalisto-sandbox exited (${code}): ${sandboxOutput}`)));
    });
    expect(sandboxOutput).toContain(`Wrote ${join(sandboxDir(), 'sandbox.properties')}`);
    expect(readdirSync(sandboxDir()).sort()).toEqual(['sandbox-ca.pem', 'sandbox.properties']);
    // The files it writes are ignored by git.
    const ignored = execFileSync('git', ['check-ignore', 'sandbox.properties', 'sandbox-ca.pem'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(ignored.trim().split('\n')).toEqual(['sandbox.properties', 'sandbox-ca.pem']);
  });

  it.each([
    ['doctor', ['doctor']],
    ['token', ['token']],
    ['send', ['send', '--to', 'adele@contoso.example', '--subject', 'First hour', '--text', 'Hello.']],
    ['folders', ['folders']],
    ['pop3 download', ['pop3', 'download', 'mail']],
  ])('pnpm kalisto %s from another directory exits 0', async (_name, args) => {
    const run = await pnpm(elsewhere(), 'kalisto', '--config', '../sandbox/sandbox.properties', ...args);
    expect(run.code, run.stderr).toBe(0);
  });

  it('downloaded the message it sent into the directory the command ran in', () => {
    const saved = readdirSync(join(elsewhere(), 'mail'));
    expect(saved.length).toBeGreaterThanOrEqual(1);
    expect(saved.every((name) => name.endsWith('.eml'))).toBe(true);
  });
});
