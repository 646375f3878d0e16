import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSandboxArgs, type RunningSandboxCli, runSandboxCli } from '../src/cli.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('kalisto-sandbox command line', () => {
  let running: RunningSandboxCli | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('parses port flags and the seed, and refuses what it does not know', () => {
    expect(
      parseSandboxArgs(['--imap-port', '1143', '--smtps-port', '0', '--seed', '4', '--print-properties']),
    ).toEqual({
      host: undefined,
      ports: { imap: 1143, smtps: 0 },
      seed: 4,
      caFile: undefined,
      printProperties: true,
      help: false,
    });
    expect(() => parseSandboxArgs(['--imap-port', '70000'])).toThrow(
      /--imap-port needs a whole number 0-65535/,
    );
    expect(() => parseSandboxArgs(['--bogus'])).toThrow(/--help/);
  });

  it('starts, prints endpoints and fixtures, writes the CA file and prints properties referring to it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-test-'));
    const caFile = join(dir, 'sandbox-ca.pem');
    const output: string[] = [];
    running = await runSandboxCli(['--seed', '3', '--ca-file', caFile, '--print-properties'], (t) =>
      output.push(t),
    );
    const text = output.join('\n');
    const sandbox = running?.sandbox;
    expect(sandbox).toBeDefined();
    expect(readFileSync(caFile, 'utf8')).toBe(sandbox?.ca);
    expect(text).toContain(sandbox?.endpoints.authority);
    expect(text).toContain(`imaps ${sandbox?.endpoints.imaps.host}:${sandbox?.endpoints.imaps.port}`);
    expect(text).toContain(sandbox?.fixtures.confidentialApp.clientId);
    expect(text).toContain(`kalisto.tls.ca=file:${caFile}\n`);
    expect(text).toContain(`o365.oauth.tenant=${sandbox?.fixtures.tenant.id}`);
  });

  it('writes the properties and the CA beside them, referring to the CA relative to the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-test-'));
    const file = join(dir, 'nested', 'sandbox.properties');
    const output: string[] = [];
    running = await runSandboxCli(['--write-properties', file], (t) => output.push(t));
    const sandbox = running?.sandbox;
    const written = readFileSync(file, 'utf8');
    expect(readFileSync(join(dir, 'nested', 'sandbox-ca.pem'), 'utf8')).toBe(sandbox?.ca);
    expect(written).toContain('\nkalisto.tls.ca=file:sandbox-ca.pem\n');
    expect(written).toContain(`o365.oauth.clientSecret=${sandbox?.fixtures.confidentialApp.secret}\n`);
    expect(written).toContain(`mail.imaps.port=${sandbox?.endpoints.imaps.port}\n`);
    // Fixture secrets: readable by the owner only.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = output.join('\n');
    expect(text).toContain(`Wrote ${file}`);
    expect(text).toContain("They hold this sandbox's fixture secrets");
    expect(text).toContain('.gitignore ignores sandbox.properties and sandbox-ca.pem');
    expect(text).toContain(`Try: kalisto --config ${file} doctor`);
  });

  it('keeps an explicit --ca-file, referring to it by its absolute path when it is elsewhere', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-test-'));
    const file = join(dir, 'props', 'sandbox.properties');
    const caFile = join(dir, 'certs', 'ca.pem');
    await mkdir(join(dir, 'certs'));
    running = await runSandboxCli(['--write-properties', file, '--ca-file', caFile], () => {});
    expect(readFileSync(caFile, 'utf8')).toBe(running?.sandbox.ca);
    expect(readFileSync(file, 'utf8')).toContain(`\nkalisto.tls.ca=file:${caFile}\n`);
    expect(existsSync(join(dir, 'props', 'sandbox-ca.pem'))).toBe(false);
  });

  it('removes the temporary CA directory it created when stopped', async () => {
    running = await runSandboxCli([], () => {});
    const caFile = running?.caFile ?? '';
    expect(existsSync(caFile)).toBe(true);
    await running?.stop();
    running = undefined;
    expect(existsSync(caFile)).toBe(false);
  });

  it('runs as a program and exits cleanly on Ctrl-C (SIGINT)', async () => {
    const child = spawn(
      process.execPath,
      [
        createRequire(import.meta.url).resolve('tsx/cli'),
        '--conditions',
        'dev-source',
        'src/cli.ts',
        '--seed',
        '2',
      ],
      { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('Ctrl-C stops it')) resolve();
      });
      child.once('exit', () => reject(new Error(`the CLI exited early: ${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Stopped.');
  });

  it('runs through its committed bin from any directory, writing the properties where it is told', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-test-'));
    const child = spawn(
      process.execPath,
      [join(packageDir, 'bin/kalisto-sandbox.js'), '--write-properties', 'sandbox.properties'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('Try: kalisto')) resolve();
      });
      child.once('exit', () => reject(new Error(`the bin exited early: ${stderr}`)));
    });
    expect(readFileSync(join(dir, 'sandbox.properties'), 'utf8')).toContain(
      'kalisto.tls.ca=file:sandbox-ca.pem',
    );
    expect(existsSync(join(dir, 'sandbox-ca.pem'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Stopped.');
    expect(stderr).toBe('');
  });
});
