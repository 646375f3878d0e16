/**
 * Runs the real `kalisto` command line (as a child process, from source) against a sandbox it is
 * pointed at through a properties file, and checks that nothing secret was printed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { expect } from 'vitest';

const cliDir = fileURLToPath(new URL('..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to standard input, then closed; standard input is empty otherwise. */
  stdin?: string;
  /** Extra environment variables. */
  env?: Record<string, string | undefined>;
  /** Called with the child's output so far, each time some arrives (to act on what it printed). */
  onOutput?: (run: CliRun) => void;
}

/** `kalisto ...args` from source; resolves when it exits. Colours off (NO_COLOR). */
export function runKalisto(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=dev-source', '--import', 'tsx', 'src/main.ts', ...args],
      {
        cwd: cliDir,
        env: {
          ...process.env,
          NO_COLOR: '1',
          FORCE_COLOR: undefined,
          KALISTO_CONFIG: undefined,
          ...options.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const run: CliRun = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      options.onOutput?.(run);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      run.stderr += chunk.toString();
      options.onOutput?.(run);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** A running sandbox and a properties file pointing the CLI at it. */
export interface CliSandbox {
  sandbox: Sandbox;
  dir: string;
  /** The sandbox's properties (client credentials, every protocol, `kalisto.tls.ca` inline). */
  propertiesFile: string;
  /** `--config <file>` for runKalisto. */
  config: string[];
  /** Every secret of the sandbox's fixtures: none may ever appear in the CLI's output. */
  secrets: string[];
  stop(): Promise<void>;
}

export async function startCliSandbox(): Promise<CliSandbox> {
  const sandbox = await startSandbox();
  const dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-'));
  const propertiesFile = join(dir, 'sandbox.properties');
  await writeFile(propertiesFile, sandbox.propertiesText);
  const f = sandbox.fixtures;
  const secrets = [
    f.confidentialApp.secret,
    f.confidentialApp.expiredSecret,
    f.unconsentedApp.secret,
    f.foreignApp.secret,
    ...Object.values(f.users).map((u) => u.password),
  ];
  return {
    sandbox,
    dir,
    propertiesFile,
    config: ['--config', propertiesFile],
    secrets,
    async stop() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts that no fixture secret and nothing token-shaped was printed. */
export function expectNoSecrets(run: CliRun, secrets: readonly string[]): void {
  const printed = `${run.stdout}\n${run.stderr}`;
  for (const secret of secrets) expect(printed).not.toContain(secret);
  expect(printed).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
}

/** Whitespace collapsed, for assertions on text the CLI may wrap. */
export function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}
