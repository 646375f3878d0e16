import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKalisto } from './helpers.js';

// `kalisto config` needs no server: these tests only write properties files.
const TENANT = '161ee23e-798c-481d-975a-39345f76032a';
const CLIENT_ID = '782d2e03-9066-4d59-ab6a-a2cfbc0212a1';
const BASE = [`o365.oauth.tenant=${TENANT}`, `o365.oauth.clientId=${CLIENT_ID}`];
const CLIENT_SECRET = 'cli-client-secret-Qx7';

/** Values given under mistyped secret names: none may be printed. */
const MISTYPED = {
  'o365.pasword': 'mistyped-password-A1',
  'o365.oauth.clientSecert': 'mistyped-secret-B2',
  'o365.oauth.certificate.privatKey': 'mistyped-key-C3',
  'o365.apiToken': 'made-up-token-D4',
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-config-trust-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function propertiesFile(name: string, lines: readonly string[]): Promise<string[]> {
  const file = join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return ['--config', file];
}

describe('kalisto config with mistyped secret properties', () => {
  it('prints *** for each of them, as a table, with --given and as JSON', async () => {
    const config = await propertiesFile('mistyped.properties', [
      ...BASE,
      `o365.oauth.clientSecret=${CLIENT_SECRET}`,
      ...Object.entries(MISTYPED).map(([name, value]) => `${name}=${value}`),
    ]);
    for (const args of [['config'], ['config', '--given'], ['--json', 'config']]) {
      const run = await runKalisto([...config, ...args]);
      expect(run.code, args.join(' ')).toBe(0);
      const printed = `${run.stdout}\n${run.stderr}`;
      for (const secret of [CLIENT_SECRET, ...Object.values(MISTYPED)]) expect(printed).not.toContain(secret);
      for (const name of Object.keys(MISTYPED)) expect(run.stdout).toContain(name);
    }
    const json = await runKalisto([...config, '--json', 'config']);
    const rows = JSON.parse(json.stdout).properties as { property: string; value: string }[];
    for (const name of Object.keys(MISTYPED)) {
      expect(rows.find((row) => row.property === name)?.value, name).toBe('***');
    }
  });
});

describe('kalisto config with values that used to fail late', () => {
  it('exits 2 naming mail.imaps.host when it is given empty', async () => {
    const config = await propertiesFile('empty-host.properties', [
      ...BASE,
      `o365.oauth.clientSecret=${CLIENT_SECRET}`,
      'mail.imaps.host=',
    ]);
    const run = await runKalisto([...config, 'config']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('mail.imaps.host');
    expect(run.stderr).toContain('(CONFIG_INVALID)');
  });

  it('exits 2 naming each bad property: host with a space, control characters, garbage CA, empty {xor}', async () => {
    const config = await propertiesFile('bad-values.properties', [
      ...BASE,
      'security.encoder.class=com.ibm.ws.security.util.WSEncoderDecoder',
      'o365.oauth.clientSecret={xor}',
      'mail.smtp.host=smtp office365.com',
      'o365.user=someone\\u001b[2J@contoso.example',
      'kalisto.tls.ca=-----BEGIN CERTIFICATE-----\\nMIIBgarbage\\n-----END CERTIFICATE-----',
    ]);
    const run = await runKalisto([...config, 'config']);
    expect(run.code).toBe(2);
    for (const property of ['o365.oauth.clientSecret', 'mail.smtp.host', 'o365.user', 'kalisto.tls.ca']) {
      expect(run.stderr).toContain(property);
    }
    expect(run.stderr).not.toContain('\u001b');
  });

  it('exits 2 without printing a secret that a stray line continuation joined to the line before', async () => {
    const config = await propertiesFile('continuation.properties', [
      ...BASE,
      'mail.imaps.port=993\\',
      `o365.oauth.clientSecret=${CLIENT_SECRET}`,
    ]);
    const run = await runKalisto([...config, 'config']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('mail.imaps.port');
    expect(run.stderr).toContain('stray');
    expect(`${run.stdout}\n${run.stderr}`).not.toContain(CLIENT_SECRET);
  });

  it('exits 2 for a file: reference to a device, naming the property, without reading it', async () => {
    const config = await propertiesFile('device.properties', [
      ...BASE,
      'o365.oauth.clientSecret=file:/dev/zero',
    ]);
    const run = await runKalisto([...config, 'config']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('o365.oauth.clientSecret');
    expect(run.stderr).toContain('a regular file at /dev/zero, not a device');
  });
});
