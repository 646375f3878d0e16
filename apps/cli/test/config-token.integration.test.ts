import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, expectNoSecrets, runKalisto, startCliSandbox } from './helpers.js';

let box: CliSandbox;

beforeAll(async () => {
  box = await startCliSandbox();
});

afterAll(async () => {
  await box?.stop();
});

describe('kalisto config', () => {
  it('prints every property with its source, the secret as ***', async () => {
    const run = await runKalisto([...box.config, 'config']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PROPERTY +VALUE +SOURCE/);
    expect(run.stdout).toMatch(/o365\.oauth\.clientSecret +\*\*\* +input/);
    expect(run.stdout).toMatch(/mail\.imaps\.port +\d+ +input/);
    expect(run.stdout).toMatch(/mail\.imap\.connectiontimeout +\d+ +default/);
    expectNoSecrets(run, box.secrets);
  });

  it('reads -D flags over the file and the environment with --env, and says where each came from', async () => {
    const run = await runKalisto(
      [...box.config, '--env', '-D', 'mail.imaps.timeout=12345', 'config', '--json', '--given'],
      { env: { MAIL_POP3S_TIMEOUT: '54321', O365_OAUTH_TENANT: 'ignored.example' } },
    );
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout).properties as { property: string; value: string; source: string }[];
    const row = (name: string) => rows.find((r) => r.property === name);
    expect(row('mail.imaps.timeout')).toEqual({
      property: 'mail.imaps.timeout',
      value: '12345',
      source: 'input',
    });
    expect(row('mail.pop3s.timeout')).toEqual({
      property: 'mail.pop3s.timeout',
      value: '54321',
      source: 'environment',
    });
    // The file wins over the environment.
    expect(row('o365.oauth.tenant')?.value).toBe(box.sandbox.tenant.id);
    expect(row('o365.oauth.clientSecret')?.value).toBe('***');
    expectNoSecrets(run, box.secrets);
  });

  it('takes JSON files, nested or flat, and warns about near misses', async () => {
    const file = join(box.dir, 'extra.json');
    await writeFile(file, JSON.stringify({ mail: { imaps: { timeout: 777 } }, 'o365.oauth.clientID': 'x' }));
    const run = await runKalisto([...box.config, '--config', file, 'config', '--given']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/mail\.imaps\.timeout +777 +\(input\)/);
    expect(run.stderr).toContain('warning: o365.oauth.clientID');
    expect(run.stderr).toContain('o365.oauth.clientId');
  });

  it('exits 2 with every problem named when the configuration is incomplete', async () => {
    const run = await runKalisto(['config']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error: Invalid Kalisto configuration');
    expect(run.stderr).toContain('o365.oauth.tenant');
    expect(run.stderr).toContain('o365.oauth.clientId');
    expect(run.stderr).toContain('(CONFIG_INVALID)');
    expect(run.stderr).not.toContain('    at '); // no stack without --debug
  });

  it('exits 2 for a missing file, a bad -D and an unknown option', async () => {
    const missing = await runKalisto(['--config', join(box.dir, 'nope.properties'), 'config']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read the configuration file');
    const badDefine = await runKalisto([...box.config, '-D', 'novalue', 'config']);
    expect(badDefine.code).toBe(2);
    expect(badDefine.stderr).toContain('property=value');
    const unknown = await runKalisto(['config', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });

  it('reads KALISTO_CONFIG when no --config is given', async () => {
    const run = await runKalisto(['config', '--json'], { env: { KALISTO_CONFIG: box.propertiesFile } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).properties.length).toBeGreaterThan(50);
  });
});

describe('kalisto token', () => {
  it('shows the claims and expiry, never the token', async () => {
    const run = await runKalisto([...box.config, 'token']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✓ Token acquired (flow client_credentials, provider msal)');
    expect(run.stdout).toContain('audience     https://outlook.office365.com');
    expect(run.stdout).toContain('IMAP.AccessAsApp POP.AccessAsApp SMTP.SendAsApp');
    expect(run.stdout).toMatch(/expires +\d{4}-\d\d-\d\dT.*\(in \d+ min\)/);
    expect(run.stdout).toContain('✓ fit for imaps');
    expect(run.stdout).toContain('✓ fit for smtp');
    expectNoSecrets(run, box.secrets);
  });

  it('works with a WebSphere cache name (websphere.cache) from an imported configuration', async () => {
    const run = await runKalisto([
      ...box.config,
      '-D',
      'websphere.cache=services/cache/tokenO365',
      'token',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).claims.aud).toBe('https://outlook.office365.com');
  });

  it('prints the token only with --show-token, and as JSON with --json', async () => {
    const json = await runKalisto([...box.config, 'token', '--json']);
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document).not.toHaveProperty('accessToken');
    expect(document.claims.aud).toBe('https://outlook.office365.com');
    expect(document.audit.map((a: { protocol: string }) => a.protocol)).toEqual(['imaps', 'smtp']);

    const shown = await runKalisto([...box.config, 'token', '--show-token']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/\neyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
  });

  it('exits 3 with the AADSTS fix for a bad secret; the secret is never echoed', async () => {
    const wrong = 'Wrong8Q~secret-value-that-is-not-registered';
    const run = await runKalisto([...box.config, '-D', `o365.oauth.clientSecret=${wrong}`, 'token']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('AADSTS7000215');
    expect(run.stderr).toContain("Use the secret's Value, not its ID");
    expect(run.stderr).toContain('(TOKEN_INVALID_CLIENT_SECRET)');
    expectNoSecrets(run, [...box.secrets, wrong]);
  });

  it('prints a failure as a JSON document under --json, and the stack only under --debug', async () => {
    const json = await runKalisto([
      ...box.config,
      '-D',
      'o365.oauth.clientSecret=nope-nope',
      'token',
      '--json',
    ]);
    expect(json.code).toBe(3);
    const document = JSON.parse(json.stdout);
    expect(document).toMatchObject({
      ok: false,
      exitCode: 3,
      error: { name: 'TokenError', code: 'TOKEN_INVALID_CLIENT_SECRET' },
    });
    expect(document.error.hint).toContain("secret's Value");

    const debug = await runKalisto([
      ...box.config,
      '-D',
      'o365.oauth.clientSecret=nope-nope',
      '--debug',
      'token',
    ]);
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/\n {4}at /);
    expectNoSecrets(debug, [...box.secrets, 'nope-nope']);
  });
});
