import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/runtime-fixtures.js';
import { Secret } from '../config/secret.js';
import {
  type CredentialMaterial,
  createCredentialVerifier,
  credentialMaterial,
  type VerifierRecord,
} from './credential-verifier.js';

const KEY = 'kalisto:token:v1:aaaa';
const DATA = '["eyJ0eXAi.token",1767229200000]';
const GOOD: CredentialMaterial = [['password', new Secret('Adele-Sandbox-1!')]];
const WRONG: CredentialMaterial = [['password', new Secret('Adele-Sandbox-1?')]];

function counting(material: CredentialMaterial) {
  const counter = { derivations: 0 };
  const verifier = createCredentialVerifier(material, { onDerive: () => counter.derivations++ });
  return Object.assign(counter, { verifier });
}

describe('createCredentialVerifier', () => {
  it('verifies what the same credential signed, in another verifier (another process) too', async () => {
    const record = await createCredentialVerifier(GOOD).sign(KEY, DATA);
    expect(await createCredentialVerifier(GOOD).verify(KEY, DATA, record)).toBe(true);
  });

  it('refuses another credential, another cache key and other data', async () => {
    const record = await createCredentialVerifier(GOOD).sign(KEY, DATA);
    expect(await createCredentialVerifier(WRONG).verify(KEY, DATA, record)).toBe(false);
    expect(await createCredentialVerifier([]).verify(KEY, DATA, record)).toBe(false);
    const good = createCredentialVerifier(GOOD);
    expect(await good.verify(`${KEY}b`, DATA, record)).toBe(false);
    expect(await good.verify(KEY, DATA.replace('token', 'other'), record)).toBe(false);
  });

  it('refuses missing, malformed and tampered records', async () => {
    const good = createCredentialVerifier(GOOD);
    const record = await good.sign(KEY, DATA);
    const flipped = Buffer.from(record.mac, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    for (const bad of [
      undefined,
      null,
      'x',
      {},
      { ...record, v: 2 },
      { ...record, salt: 'c2hvcnQ' },
      { ...record, mac: record.mac.slice(4) },
      { ...record, mac: flipped.toString('base64url') },
    ]) {
      expect(await good.verify(KEY, DATA, bad)).toBe(false);
    }
  });

  it('stores neither the credential nor a fast hash of it: a random salt per entry', async () => {
    const a = await createCredentialVerifier(GOOD).sign(KEY, DATA);
    const b = await createCredentialVerifier(GOOD).sign(KEY, DATA);
    expect(a.salt).not.toBe(b.salt);
    expect(a.mac).not.toBe(b.mac);
    expect(JSON.stringify(a)).not.toContain('Adele');
    expect(Object.keys(a).sort()).toEqual(['mac', 'salt', 'v']);
  });

  it('derives once per entry salt: later reads and writes under that key cost no scrypt', async () => {
    const writer = counting(GOOD);
    const first = await writer.verifier.sign(KEY, DATA);
    const second = await writer.verifier.sign(KEY, `${DATA}!`);
    expect(second.salt).toBe(first.salt);
    expect(writer.derivations).toBe(1);

    const reader = counting(GOOD);
    for (let i = 0; i < 5; i++) expect(await reader.verifier.verify(KEY, DATA, first)).toBe(true);
    expect(reader.derivations).toBe(1);
    // The reader writes under the salt it verified.
    expect((await reader.verifier.sign(KEY, DATA)).salt).toBe(first.salt);
    expect(reader.derivations).toBe(1);

    const wrong = counting(WRONG);
    for (let i = 0; i < 5; i++) expect(await wrong.verifier.verify(KEY, DATA, first)).toBe(false);
    expect(wrong.derivations).toBe(1);
    // A refused salt is not adopted for this credential's own writes.
    expect((await wrong.verifier.sign(KEY, DATA)).salt).not.toBe(first.salt);
  });

  it('collapses concurrent derivations for one salt into one', async () => {
    const record = await createCredentialVerifier(GOOD).sign(KEY, DATA);
    const reader = counting(GOOD);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reader.verifier.verify(KEY, DATA, record)),
    );
    expect(results.every(Boolean)).toBe(true);
    expect(reader.derivations).toBe(1);
  });

  it('bounds its memo', async () => {
    const writer = createCredentialVerifier(GOOD);
    const records: VerifierRecord[] = [];
    for (let i = 0; i < 3; i++) records.push(await writer.sign(`${KEY}${i}`, DATA));
    const reader = counting(GOOD);
    const small = createCredentialVerifier(GOOD, { memoSize: 2, onDerive: () => reader.derivations++ });
    for (const [i, record] of records.entries()) await small.verify(`${KEY}${i}`, DATA, record);
    await small.verify(`${KEY}0`, DATA, records[0]);
    expect(reader.derivations).toBe(4);
  });
});

describe('credentialMaterial', () => {
  const labels = (material: CredentialMaterial) =>
    material.filter(([, value]) => value !== undefined).map(([label]) => label);

  it('is the client credential, plus the password for the password flow', () => {
    expect(labels(credentialMaterial(testConfig().oauth))).toEqual(['clientSecret', 'password']);
    expect(labels(credentialMaterial(testConfig({ oauth: { flow: 'client_credentials' } }).oauth))).toEqual([
      'clientSecret',
    ]);
    expect(labels(credentialMaterial(testConfig({ oauth: { flow: 'device_code' } }).oauth))).toEqual([
      'clientSecret',
    ]);
    const certificate = { thumbprint: 'ab:cd', privateKey: new Secret('-----BEGIN PRIVATE KEY-----') };
    const withCertificate = testConfig({ oauth: { flow: 'client_credentials', certificate } }).oauth;
    expect(credentialMaterial(withCertificate).slice(0, 2)).toEqual([
      ['certificate.thumbprint', 'ABCD'],
      ['certificate.privateKey', certificate.privateKey],
    ]);
  });

  it('has nothing configured for managed identity; a provider adds what it presents', () => {
    const oauth = testConfig({ oauth: { flow: 'managed_identity' } }).oauth;
    expect(labels(credentialMaterial(oauth))).toEqual([]);
    expect(labels(credentialMaterial(oauth, [['identity', '{"clientId":"x"}']]))).toEqual(['identity']);
  });
});
