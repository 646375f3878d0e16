import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anchorFileReferences,
  flattenJson,
  loadProperties,
  MAX_CONFIG_FILE_BYTES,
  parseDefine,
  readConfigFile,
} from './config-sources.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalisto-cli-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseDefine', () => {
  it('splits at the first = and keeps the rest of the value', () => {
    expect(parseDefine('o365.oauth.url=https://x/%s?a=b')).toEqual(['o365.oauth.url', 'https://x/%s?a=b']);
    expect(parseDefine('o365.password=')).toEqual(['o365.password', '']);
  });

  it('refuses a flag without a property name', () => {
    expect(() => parseDefine('novalue')).toThrow('property=value');
    expect(() => parseDefine('=x')).toThrow('property=value');
  });
});

describe('flattenJson', () => {
  it('flattens nested objects into dotted names; numbers and booleans become text, arrays space-separated', () => {
    expect(
      flattenJson(
        {
          o365: { oauth: { tenant: 't', scope: ['a', 'b'] } },
          'mail.imaps.port': 993,
          'mail.debug': true,
          x: null,
        },
        'f',
      ),
    ).toEqual({
      'o365.oauth.tenant': 't',
      'o365.oauth.scope': 'a b',
      'mail.imaps.port': '993',
      'mail.debug': 'true',
    });
  });

  it('refuses a document that is not an object', () => {
    expect(() => flattenJson([1], 'f.json')).toThrow(
      'f.json: expected a JSON object of properties, not an array.',
    );
    expect(() => flattenJson('x', 'f.json')).toThrow('f.json: expected a JSON object of properties.');
  });
});

describe('loadProperties', () => {
  it('reads files in order (later wins), then -D flags', async () => {
    const first = join(dir, 'a.properties');
    const second = join(dir, 'b.json');
    await writeFile(first, 'o365.user=first@contoso.example\nmail.imaps.port=993\n');
    await writeFile(second, JSON.stringify({ 'o365.user': 'second@contoso.example' }));
    const properties = await loadProperties({
      config: [first, second],
      define: ['mail.imaps.port=1993'],
    });
    expect(properties).toEqual({ 'o365.user': 'second@contoso.example', 'mail.imaps.port': '1993' });
  });

  it('names the file it cannot read or parse', async () => {
    await expect(loadProperties({ config: [join(dir, 'missing.properties')] })).rejects.toThrow(
      /Cannot read the configuration file .*missing\.properties \(ENOENT\)/,
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await expect(loadProperties({ config: [bad] })).rejects.toThrow(/bad\.json is not valid JSON/);
  });
});

describe('readConfigFile bounds', () => {
  it('refuses a "file" that never ends (/dev/zero) after MAX_CONFIG_FILE_BYTES, instead of reading gigabytes', async () => {
    const before = process.memoryUsage().rss;
    await expect(readConfigFile('/dev/zero')).rejects.toThrow(
      'The configuration file /dev/zero is larger than 4 MiB',
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('still reads a file of exactly the limit', async () => {
    const file = join(dir, 'big.properties');
    await writeFile(file, `o365.user=${'a'.repeat(MAX_CONFIG_FILE_BYTES - 'o365.user='.length)}`);
    expect((await readConfigFile(file))['o365.user']).toHaveLength(MAX_CONFIG_FILE_BYTES - 10);
  });
});

describe('file: references in a configuration file', () => {
  it('reads a relative file: path beside the file, whatever the current directory', async () => {
    const nested = join(dir, 'conf');
    await mkdir(nested, { recursive: true });
    const file = join(nested, 'sandbox.properties');
    await writeFile(
      file,
      [
        'kalisto.tls.ca=file:sandbox-ca.pem',
        'o365.oauth.clientSecret=file:../secrets/client-secret',
        'o365.password=file:/etc/kalisto/password',
        'o365.oauth.certificate.privateKey=env:KEY',
        'o365.user=adele@contoso.example',
      ].join('\n'),
    );
    expect(await readConfigFile(file)).toEqual({
      'kalisto.tls.ca': `file:${join(nested, 'sandbox-ca.pem')}`,
      'o365.oauth.clientSecret': `file:${join(dir, 'secrets', 'client-secret')}`,
      'o365.password': 'file:/etc/kalisto/password',
      'o365.oauth.certificate.privateKey': 'env:KEY',
      'o365.user': 'adele@contoso.example',
    });
  });

  it('anchors JSON files the same way, and leaves -D values relative to the current directory', async () => {
    const file = join(dir, 'refs.json');
    await writeFile(file, JSON.stringify({ kalisto: { tls: { ca: 'file:ca.pem' } } }));
    expect(await loadProperties({ config: [file], define: ['o365.password=file:pw.txt'] })).toEqual({
      'kalisto.tls.ca': `file:${join(dir, 'ca.pem')}`,
      'o365.password': 'file:pw.txt',
    });
  });

  it('keeps a value that is only the prefix (core names the problem)', () => {
    expect(anchorFileReferences({ a: 'file:', b: 'file:  ', c: 'files:x' }, '/x/y.properties')).toEqual({
      a: 'file:',
      b: 'file:  ',
      c: 'files:x',
    });
  });
});
