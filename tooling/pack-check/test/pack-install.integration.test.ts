import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTarballs, linkModule } from '../src/consumer.js';
import { type LocalRegistry, packedClosure, startLocalRegistry } from '../src/local-registry.js';
import {
  manifestProblems,
  type PublishablePackage,
  pack,
  publishablePackages,
  tarballFiles,
  tarballManifest,
} from '../src/packing.js';

const root = resolve(import.meta.dirname, '../../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
// Asynchronous: the sandbox answering the program runs in this process.
const run = promisify(execFile);
const FORMATS = { esm: 'module', cjs: 'commonjs' } as const;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

// What a user meets: each publishable package packed as npm would publish it, then installed
// into a project outside the workspace (a temporary folder) and used from ESM and CommonJS.
describe('packed packages installed in a clean project', () => {
  const packages = new Map<string, PublishablePackage>();
  const tarballs = new Map<string, string>();
  let packDir: string;

  beforeAll(() => {
    for (const pkg of publishablePackages(root)) packages.set(pkg.name, pkg);
    const filters = [...packages.keys()].map((name) => `--filter=${name}`);
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    packDir = mkdtempSync(join(tmpdir(), 'kalisto-packs-'));
    for (const pkg of packages.values()) tarballs.set(pkg.name, pack(pkg, packDir));
  });

  afterAll(() => {
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  });

  it('packs every publishable package, each manifest pointing only at shipped files', () => {
    expect([...packages.keys()]).toEqual(
      expect.arrayContaining(['@kalisto/core', '@kalisto/token-msal', 'kalisto']),
    );
    const problems = Object.fromEntries(
      [...tarballs].map(([name, tarball]) => [
        name,
        manifestProblems(tarballManifest(tarball), tarballFiles(tarball)),
      ]),
    );
    expect(problems).toEqual(Object.fromEntries([...tarballs.keys()].map((name) => [name, []])));
  });

  describe('core + token-msal + protocol-imap + a custom cache', () => {
    let sandbox: Sandbox;
    let consumer: string;

    beforeAll(async () => {
      consumer = mkdtempSync(join(tmpdir(), 'kalisto-consumer-'));
      const wanted = ['@kalisto/core', '@kalisto/token-msal', '@kalisto/protocol-imap'];
      installTarballs(consumer, new Map(wanted.map((name) => [name, tarballs.get(name) ?? ''])), packages);
      linkModule(join(consumer, 'node_modules'), '@types/node', join(root, 'node_modules/@types/node'));
      for (const [format, type] of Object.entries(FORMATS)) {
        const project = join(consumer, format);
        cpSync(join(import.meta.dirname, '../fixtures'), join(project, 'src'), { recursive: true });
        writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `consumer-${format}`, type }));
        writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
      }
      sandbox = await startSandbox();
      writeFileSync(join(consumer, 'sandbox.json'), JSON.stringify(sandbox.properties));
    });

    afterAll(async () => {
      await sandbox?.stop();
      if (consumer) rmSync(consumer, { recursive: true, force: true });
    });

    it.each(Object.keys(FORMATS))('type-checks as %s under strict NodeNext TypeScript', (format) => {
      const { status, stdout, stderr } = spawnSync(process.execPath, [tsc, '-p', join(consumer, format)], {
        encoding: 'utf8',
      });
      expect({ status, output: stdout + stderr }).toEqual({ status: 0, output: '' });
    });

    it.each(Object.keys(FORMATS))(
      'runs as %s: signs in over IMAPS with a token from the custom cache',
      async (format) => {
        const program = join(consumer, format, 'dist', 'app.js');
        const { stdout } = await run(process.execPath, [program, join(consumer, 'sandbox.json')], {
          cwd: consumer,
        });
        const result = JSON.parse(stdout);
        expect(result.error).toBeUndefined();
        expect(result).toMatchObject({ format, cachedTokens: 1, oneErrorClass: true });
        expect(result.folders).toContain('INBOX');
      },
    );
  });

  // What the README says: pack the CLI and the @kalisto packages it needs, `npm i -g` the
  // tarballs together. npm resolves every third-party dependency from a loopback registry serving
  // the copies the workspace installed, as from npmjs.org but offline; like npmjs.org today, it
  // has no @kalisto package.
  describe('the kalisto CLI, installed globally with npm from its tarballs', () => {
    let registry: LocalRegistry;
    let prefix: string;
    let sandbox: Sandbox;
    const bin = (name: string) => join(prefix, 'bin', name);

    beforeAll(async () => {
      prefix = mkdtempSync(join(tmpdir(), 'kalisto-global-'));
      const roots = ['kalisto', '@kalisto/sandbox'];
      registry = await startLocalRegistry({
        tarballs,
        workspace: packages,
        roots,
        dir: packDir,
        unpublished: (name) => name === 'kalisto' || name.startsWith('@kalisto/'),
      });
      // Only this test's settings: none of the npm_config_* that pnpm passes to scripts.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)),
      );
      writeFileSync(join(prefix, '.npmrc'), '');
      await run(
        'npm',
        [
          'install',
          '--global',
          '--prefix',
          prefix,
          '--registry',
          registry.url,
          '--cache',
          join(prefix, '.npm-cache'),
          '--userconfig',
          join(prefix, '.npmrc'),
          '--no-audit',
          '--no-fund',
          '--no-update-notifier',
          ...packedClosure(tarballs, roots).map((name) => tarballs.get(name) ?? ''),
        ],
        { env },
      );
      sandbox = await startSandbox();
      writeFileSync(join(prefix, 'sandbox.json'), JSON.stringify(sandbox.properties));
    });

    afterAll(async () => {
      await sandbox?.stop();
      await registry?.close();
      if (prefix) rmSync(prefix, { recursive: true, force: true });
    });

    it('kalisto --version prints the package version', async () => {
      const { version } = JSON.parse(readFileSync(join(root, 'apps/cli/package.json'), 'utf8'));
      const { stdout } = await run(bin('kalisto'), ['--version']);
      expect(stdout).toBe(`${version}\n`);
    });

    it('runs a command end to end against the sandbox (its dependencies resolve)', async () => {
      const { stdout } = await run(bin('kalisto'), ['--config', join(prefix, 'sandbox.json'), 'folders'], {
        cwd: prefix,
      });
      expect(stdout).toContain('INBOX');
    });

    it('kalisto-sandbox from its own tarball', async () => {
      const { stdout } = await run(bin('kalisto-sandbox'), ['--help']);
      expect(stdout).toContain('Usage: kalisto-sandbox [options]');
    });
  });
});
