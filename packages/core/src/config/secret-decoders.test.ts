import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  CONFIG_SECRETS,
  configErrorOf as configError,
  TENANT,
} from '../../test/config-fixtures.js';
import { isKalistoError, type KalistoError } from '../errors/errors.js';
import { resolveConfig } from './resolve.js';
import { decodeXor, encodeXor, type SecretDecoder } from './secret-decoders.js';

const WEBSPHERE = 'com.ibm.ws.security.util.WSEncoderDecoder';

/** A client-credentials configuration whose secret is `secret`. */
const appConfig = (secret: string, extra: Record<string, string> = {}) => ({
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': CLIENT_ID,
  'o365.oauth.clientSecret': secret,
  ...extra,
});

describe('WebSphere {xor}', () => {
  it('decodes the known vectors', () => {
    expect(decodeXor('{xor}KzosKw==')).toBe('test');
    expect(encodeXor('test')).toBe('{xor}KzosKw==');
    // é is C3 A9 in UTF-8; XOR 0x5F gives 9C F6.
    expect(encodeXor('é')).toBe('{xor}nPY=');
    expect(decodeXor('{xor}nPY=')).toBe('é');
    expect(decodeXor('{xor}')).toBe('');
  });

  it('round-trips any text, non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (plain) => {
        expect(decodeXor(encodeXor(plain))).toBe(plain);
      }),
      { numRuns: 200 },
    );
  });

  it('passes values without the {xor} prefix through, as WebSphere does', () => {
    expect(decodeXor('secret')).toBe('secret');
    expect(decodeXor('KzosKw==')).toBe('KzosKw==');
  });

  it('rejects malformed values with a KalistoError that does not quote them', () => {
    for (const bad of ['{xor}not base64!', '{xor}KzosKw=', '{xor}oA==', '{aes}ABCDEF']) {
      let caught: unknown;
      try {
        decodeXor(bad);
      } catch (error) {
        caught = error;
      }
      expect(isKalistoError(caught), bad).toBe(true);
      expect((caught as KalistoError).code).toBe('CONFIG_SECRET_MALFORMED');
      expect((caught as KalistoError).message).not.toContain(bad.slice(5));
    }
  });
});

describe('secret decoding in resolveConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kalisto-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes with the decoder security.encoder.class names; properties keep the encoded form', () => {
    const encoded = encodeXor(CONFIG_SECRETS.clientSecret);
    const config = resolveConfig(appConfig(encoded, { 'security.encoder.class': WEBSPHERE }));
    expect(config.oauth.clientSecret?.reveal()).toBe(CONFIG_SECRETS.clientSecret);
    expect(config.properties['o365.oauth.clientSecret']).toBe(encoded);
  });

  it('leaves {xor} text alone under the default plain decoder', () => {
    const config = resolveConfig(appConfig('{xor}KzosKw=='));
    expect(config.oauth.clientSecret?.reveal()).toBe('{xor}KzosKw==');
  });

  it('resolves env:NAME against options.env, then decodes', () => {
    const config = resolveConfig(appConfig('env:APP_SECRET', { 'security.encoder.class': 'websphere' }), {
      env: { APP_SECRET: encodeXor(CONFIG_SECRETS.clientSecret) },
    });
    expect(config.oauth.clientSecret?.reveal()).toBe(CONFIG_SECRETS.clientSecret);
    expect(config.properties['o365.oauth.clientSecret']).toBe('env:APP_SECRET');
  });

  it('resolves file:PATH to the content without its trailing newline, then decodes', () => {
    const path = join(dir, 'secret.txt');
    writeFileSync(path, `${encodeXor(CONFIG_SECRETS.clientSecret)}\n`);
    const config = resolveConfig(appConfig(`file:${path}`, { 'security.encoder.class': WEBSPHERE }));
    expect(config.oauth.clientSecret?.reveal()).toBe(CONFIG_SECRETS.clientSecret);
  });

  it('resolves one level only: a file holding env:X is that text', () => {
    const path = join(dir, 'literal.txt');
    writeFileSync(path, 'env:X\r\n');
    const config = resolveConfig(appConfig(`file:${path}`), { env: { X: 'other' } });
    expect(config.oauth.clientSecret?.reveal()).toBe('env:X');
  });

  it('reports a missing variable or file, naming the property and the reference', () => {
    const error = configError(() =>
      resolveConfig(
        appConfig('env:NOT_SET', {
          'o365.oauth.certificate.thumbprint': 'ab'.repeat(20),
          'o365.oauth.certificate.privateKey': `file:${join(dir, 'missing.pem')}`,
        }),
        { env: {} },
      ),
    );
    expect(error.issues).toEqual([
      {
        property: 'o365.oauth.clientSecret',
        value: 'env:NOT_SET',
        expected: 'the environment variable NOT_SET to be set',
      },
      {
        property: 'o365.oauth.certificate.privateKey',
        value: `file:${join(dir, 'missing.pem')}`,
        expected: `a readable file at ${join(dir, 'missing.pem')} (ENOENT)`,
      },
    ]);
  });

  it('uses user decoders by name or alias', () => {
    const rot13: SecretDecoder = {
      name: 'com.example.Rot13',
      aliases: ['rot13'],
      decode: (value) =>
        value.replace(/[a-z]/gi, (c) => {
          const base = c <= 'Z' ? 65 : 97;
          return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
        }),
    };
    for (const name of ['com.example.Rot13', 'rot13']) {
      const config = resolveConfig(appConfig('frperg', { 'security.encoder.class': name }), {
        secretDecoders: [rot13],
      });
      expect(config.oauth.clientSecret?.reveal()).toBe('secret');
    }
  });

  it('reports an unknown encoder class with the known names', () => {
    const error = configError(() =>
      resolveConfig(appConfig('x', { 'security.encoder.class': 'com.example.Missing' })),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      property: 'security.encoder.class',
      value: 'com.example.Missing',
    });
    expect(error.issues[0]!.expected).toContain(WEBSPHERE);
    expect(error.issues[0]!.expected).toContain('plain');
  });

  it('reports a decoder registered under a taken name', () => {
    const clash: SecretDecoder = { name: 'plain', decode: (v) => v };
    const error = configError(() => resolveConfig(appConfig('x'), { secretDecoders: [clash] }));
    expect(error.issues[0]?.property).toBe('security.encoder.class');
    expect(error.issues[0]?.expected).toContain('"plain" is registered twice');
  });

  it('reports a malformed {xor} secret without showing it', () => {
    const error = configError(() =>
      resolveConfig(appConfig('{xor}@@@@', { 'security.encoder.class': WEBSPHERE })),
    );
    expect(error.issues).toEqual([
      {
        property: 'o365.oauth.clientSecret',
        value: '***',
        expected: `a value the ${WEBSPHERE} decoder accepts: Malformed {xor} value: the text after {xor} is not base64.`,
      },
    ]);
  });

  it("never shows a user decoder's own error message (it may quote the value)", () => {
    const leaky: SecretDecoder = {
      name: 'leaky',
      decode: (value) => {
        throw new Error(`cannot decode ${value}`);
      },
    };
    const error = configError(() =>
      resolveConfig(appConfig(CONFIG_SECRETS.clientSecret, { 'security.encoder.class': 'leaky' }), {
        secretDecoders: [leaky],
      }),
    );
    expect(error.message).not.toContain(CONFIG_SECRETS.clientSecret);
    expect(error.issues[0]?.expected).toBe('a value the leaky decoder accepts');
    expect(error.cause).toBeUndefined();
  });
});
