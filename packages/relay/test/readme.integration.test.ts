/**
 * The README's example run as written: its fenced `properties` block becomes relay.properties and
 * its `ts` block runs unchanged (from a file in this package, so its imports resolve as a user's
 * would); `kalisto relay hash-password` makes RELAY_ERP_HASH and `kalisto relay --config
 * relay.properties` runs the same file as a service. The only changes are the ones a user makes to
 * point the example at their own tenant — here the sandbox: tenant and client id, the secret in
 * O365_CLIENT_SECRET, the mailboxes, ports and paths, loopback instead of the printer network — plus
 * the sandbox's endpoints (what Microsoft 365's defaults stand for), each checked to apply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURE, type Sandbox, startSandbox } from '@kalisto/sandbox';
import { freePorts } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const packageDir = join(import.meta.dirname, '..');
const cliMain = join(packageDir, '..', '..', 'apps', 'cli', 'src', 'main.ts');
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const { adele, megan } = FIXTURE.users;
const ERP_PASSWORD = 'Erp-Relay-Password-42!';
/** tsx by location: the example runs from a directory of its own, as a user's would. */
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The fenced blocks of `markdown` in the given language, in order. */
function fencedBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) blocks.push(match[1] as string);
  return blocks;
}

/** `text` with each [from, to] replaced; a `from` that is not in the text fails (the README changed). */
function substitute(text: string, replacements: readonly (readonly [string, string])[]): string {
  let result = text;
  for (const [from, to] of replacements) {
    expect(result, `the README's example contains ${from}`).toContain(from);
    result = result.split(from).join(to);
  }
  return result;
}

let sandbox: Sandbox;
let dir: string;
let ports: { printers: number; submit: number; admin: number };
let env: Record<string, string>;
/** The README's ts block, written inside this package (so `@kalisto/relay` resolves to it). */
let exampleFile: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'kalisto-relay-readme-'));
  const [printers, submit, admin] = (await freePorts(3)) as [number, number, number];
  ports = { printers, submit, admin };
  writeFileSync(join(dir, 'relay.crt'), sandbox.tls.cert);
  writeFileSync(join(dir, 'relay.key'), sandbox.tls.key, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), sandbox.ca);
  exampleFile = join(import.meta.dirname, `.readme-example-${process.pid}.ts`);
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (exampleFile) rmSync(exampleFile, { force: true });
});

/** The README's properties block, pointed at the sandbox the way a user points it at a tenant. */
function relayProperties(): string {
  const [block] = fencedBlocks(readme, 'properties');
  const own = substitute(block as string, [
    ['o365.oauth.tenant=contoso.onmicrosoft.com', `o365.oauth.tenant=${sandbox.tenant.id}`],
    [
      'o365.oauth.clientId=00000000-0000-0000-0000-000000000000',
      `o365.oauth.clientId=${sandbox.fixtures.confidentialApp.clientId}`,
    ],
    ['scans@contoso.com', adele],
    ['erp@contoso.com', megan],
    ['host=0.0.0.0', 'host=127.0.0.1'],
    ['trustedNetworks=192.168.50.0/24', 'trustedNetworks=127.0.0.0/8'],
    ['port=2525', `port=${ports.printers}`],
    ['port=587', `port=${ports.submit}`],
    ['admin.port=9325', `admin.port=${ports.admin}`],
    ['file:/etc/kalisto/relay.crt', `file:${join(dir, 'relay.crt')}`],
    ['file:/etc/kalisto/relay.key', `file:${join(dir, 'relay.key')}`],
  ]);
  // Where Microsoft 365 is, for the sandbox: its identity platform, its SMTP server, and its CA.
  const endpoints = Object.entries(sandbox.properties)
    .filter(([name]) => /^(o365\.oauth\.(authority|url)|mail\.smtp\.(host|port))$/.test(name))
    .map(([name, value]) => `${name}=${value}`);
  endpoints.push(`kalisto.tls.ca=file:${join(dir, 'ca.pem')}`);
  return `${own}\n# The sandbox's endpoints\n${endpoints.join('\n')}\n`;
}

interface Service {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once `text` was printed (on stdout or stderr); rejects if the process ends first. */
  printed(text: string): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function startService(args: readonly string[], cwd: string): Service {
  const child = spawn(process.execPath, ['--conditions=dev-source', '--import', tsx, ...args], {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: '1', KALISTO_CONFIG: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: (() => void)[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of waiters.splice(0)) waiter();
    });
  }
  return {
    child,
    output: () => output,
    printed: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (output.includes(text)) resolve();
          else waiters.push(check);
        };
        check();
        void exited.then((code) =>
          reject(new Error(`exited with ${code} before printing ${text}: ${output}`)),
        );
      }),
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The printer: swaks from loopback, no AUTH, no TLS, as the allowed sender. */
function printerSends(subject: string) {
  return run('swaks', [
    ...['--server', `127.0.0.1:${ports.printers}`, '--from', adele, '--to', megan],
    ...['--header', `Subject: ${subject}`],
  ]);
}

/** The ERP: STARTTLS (the relay's certificate verified) and AUTH with the relay credential. */
function erpSends(subject: string) {
  return run('swaks', [
    ...[
      '--server',
      `127.0.0.1:${ports.submit}`,
      '--tls',
      '--tls-verify',
      '--tls-ca-path',
      join(dir, 'ca.pem'),
    ],
    ...['--auth', 'PLAIN', '--auth-user', 'erp', '--auth-password', ERP_PASSWORD],
    ...['--from', megan, '--to', adele, '--header', `Subject: ${subject}`],
  ]);
}

const inbox = (address: string, subject: string) =>
  (sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? []).filter((m) => m.raw.includes(subject));

describe("the README's relay example, as written", () => {
  it('names packages this workspace has', () => {
    const [install] = fencedBlocks(readme, 'sh');
    const names = (install as string).match(/@kalisto\/[a-z0-9-]+/g) ?? [];
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const folder = name.replace('@kalisto/', '');
      const manifest = JSON.parse(readFileSync(join(packageDir, '..', folder, 'package.json'), 'utf8'));
      expect(manifest.name).toBe(name);
    }
  });

  it('kalisto relay hash-password makes RELAY_ERP_HASH; the ts block relays the printer and the ERP, serves /healthz and stops on SIGTERM', async () => {
    writeFileSync(join(dir, 'relay.properties'), relayProperties());
    const hashed = await run(
      'node',
      ['--conditions=dev-source', '--import', 'tsx', cliMain, 'relay', 'hash-password'],
      `${ERP_PASSWORD}\n`,
    );
    expect(hashed.code).toBe(0);
    env = {
      O365_CLIENT_SECRET: sandbox.fixtures.confidentialApp.secret,
      RELAY_ERP_HASH: hashed.stdout.trim(),
    };

    const [example] = fencedBlocks(readme, 'ts');
    writeFileSync(exampleFile, example as string);
    const service = startService([exampleFile], dir);
    // console.log(relay.addresses): both listeners, on the ports the file gives.
    await service.printed(`port: ${ports.submit}`);
    expect(service.output()).toContain(`port: ${ports.printers}`);

    const printed = `readme printer ${Date.now()}`;
    expect((await printerSends(printed)).stdout).toMatch(/<- {2}250 2\.0\.0 Delivered upstream: 250/);
    expect(inbox(megan, printed)).toHaveLength(1);
    const erp = `readme erp ${Date.now()}`;
    expect((await erpSends(erp)).stdout).toMatch(/<~ {2}250 2\.0\.0 Delivered upstream: 250/);
    expect(inbox(adele, erp)).toHaveLength(1);
    const health = await fetch(`http://127.0.0.1:${ports.admin}/healthz`);
    expect(health.status).toBe(200);

    expect(await service.stop()).toBe(0);
    for (const secret of [ERP_PASSWORD, env.RELAY_ERP_HASH, env.O365_CLIENT_SECRET])
      expect(service.output()).not.toContain(secret);
  }, 120_000);

  it('kalisto relay --config relay.properties runs the same file as a service', async () => {
    const service = startService([cliMain, 'relay', '--config', 'relay.properties'], dir);
    await service.printed('Relay started');
    const subject = `readme service ${Date.now()}`;
    expect((await printerSends(subject)).stdout).toMatch(/<- {2}250 2\.0\.0 Delivered upstream: 250/);
    expect(inbox(megan, subject)).toHaveLength(1);
    const erp = `readme service erp ${Date.now()}`;
    expect((await erpSends(erp)).stdout).toMatch(/<~ {2}250 2\.0\.0 Delivered upstream: 250/);
    expect(await service.stop()).toBe(0);
    for (const secret of [ERP_PASSWORD, env.RELAY_ERP_HASH, env.O365_CLIENT_SECRET])
      expect(service.output()).not.toContain(secret);
  }, 120_000);
});
