/**
 * Each row of the exit code table, by the literal number, from the real program run as a child
 * process against the sandbox — or against a port where nothing listens.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, expectNoSecrets, flat, runKalisto, startCliSandbox } from './helpers.js';

let box: CliSandbox;
/** A loopback port with nothing listening: connections are refused. */
let closedPort: number;

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  box = await startCliSandbox();
  closedPort = await unusedPort();
});

afterAll(async () => {
  await box?.stop();
});

const defines = (properties: Record<string, string>) =>
  Object.entries(properties).flatMap(([name, value]) => ['-D', `${name}=${value}`]);

/** `kalisto` on the sandbox's properties, with `-D` overrides, then `args`. */
function kalisto(overrides: Record<string, string>, ...args: string[]) {
  return runKalisto([...box.config, ...defines(overrides), ...args]);
}

/** Every command that needs a token, as run against an identity platform nobody answers for. */
const TOKEN_COMMANDS: Record<string, string[]> = {
  token: ['token'],
  folders: ['folders'],
  list: ['list'],
  read: ['read', '1'],
  send: ['send', '--to', 'megan@contoso.example', '--subject', 's', '--text', 't'],
  'pop3 list': ['pop3', 'list'],
  watch: ['watch', '--count', '1'],
  doctor: ['doctor'],
};

describe('exit code 0: ok', () => {
  it('folders on a good configuration', async () => {
    expect((await kalisto({}, 'folders')).code).toBe(0);
  });
});

describe('exit code 1: failure', () => {
  it('read of a message that does not exist', async () => {
    const run = await kalisto({}, 'read', '99999');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(CLI_MESSAGE_NOT_FOUND)');
  });
});

describe('exit code 2: usage or configuration', () => {
  it('an unknown option, and an invalid property', async () => {
    expect((await kalisto({}, 'folders', '--bogus')).code).toBe(2);
    expect((await kalisto({ 'mail.imaps.port': 'abc' }, 'folders')).code).toBe(2);
  });

  it('an unknown mail.<p>.class: the class, the known names, one CLI-facing fix', async () => {
    const run = await kalisto({ 'mail.imaps.class': 'com.example.Nope' }, 'folders');
    expect(run.code).toBe(2);
    const said = flat(run.stderr);
    expect(said).toMatch(
      /^error: mail\.imaps\.class: unknown class com\.example\.Nope; known: imap, imaps, pop3, pop3s[ ,]/,
    );
    expect(said).toContain(
      'Remove mail.imaps.class to use the imaps store, or name one of those. (CONFIG_UNKNOWN_CLASS)',
    );
    expect(said.match(/Remove mail\.imaps\.class/g)).toHaveLength(1);
    expect(run.stderr).not.toContain('createKalisto');
  });

  it('doctor exits with the failed check’s code: 2 for the unknown class', async () => {
    const run = await kalisto({ 'mail.imaps.class': 'com.example.Nope' }, 'doctor');
    expect(run.code).toBe(2);
    expect(flat(run.stdout)).toContain('✗ Login imaps as adele@contoso.example');
  });
});

describe('exit code 3: token or authentication', () => {
  it('a client secret the identity platform refuses', async () => {
    const bad = { 'o365.oauth.clientSecret': 'Bad8Q~not-the-secret-value' };
    const run = await kalisto(bad, 'folders');
    expect(run.code).toBe(3);
    expectNoSecrets(run, [...box.secrets, bad['o365.oauth.clientSecret']]);
  });
});

describe('exit code 4: connection', () => {
  it('an unreachable identity platform, from every command that needs a token', async () => {
    const unreachable = {
      'o365.oauth.authority': `https://127.0.0.1:${closedPort}`,
      'o365.oauth.url': `https://127.0.0.1:${closedPort}/%s/oauth2/v2.0/token`,
    };
    const runs = await Promise.all(
      Object.entries(TOKEN_COMMANDS).map(async ([name, args]) => {
        const run = await kalisto(unreachable, ...args);
        return [
          name,
          { code: run.code, said: /TOKEN_NETWORK_ERROR|DOCTOR_TCP_FAILED/.test(run.stdout + run.stderr) },
        ];
      }),
    );
    expect(Object.fromEntries(runs)).toEqual(
      Object.fromEntries(Object.keys(TOKEN_COMMANDS).map((name) => [name, { code: 4, said: true }])),
    );
  });

  it('an unreachable token endpoint of the oauth2 provider', async () => {
    const run = await kalisto(
      {
        'o365.oauth.provider': 'oauth2',
        'o365.oauth.url': `https://127.0.0.1:${closedPort}/%s/oauth2/v2.0/token`,
      },
      'token',
    );
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('(TOKEN_NETWORK_ERROR)');
  });

  it('a mail port where nothing listens', async () => {
    const run = await kalisto({ 'mail.imaps.port': String(closedPort) }, 'folders');
    expect(run.code).toBe(4);
  });
});

describe('the exit codes in --help', () => {
  it('kalisto --help lists them; doctor --help says it exits with the failed check’s code', async () => {
    const [help, doctorHelp] = await Promise.all([runKalisto(['--help']), runKalisto(['doctor', '--help'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:\n  0  ok\n  1  failure');
    expect(help.stdout).toContain('\n  4  connection error (DNS, TCP, TLS, the server conversation;');
    expect(doctorHelp.code).toBe(0);
    expect(flat(doctorHelp.stdout)).toContain(
      'Exit code: that of the first failed check (1 failure, 2 usage/config, 3 token/auth, 4 connection); 0 when every check passes, warnings (!) included.',
    );
  });
});
