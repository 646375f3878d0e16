import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  FIXTURE_SECRETS,
  recordError,
  recordingLogger,
} from '../test/runtime-fixtures.js';
import { TokenError } from './errors.js';
import {
  consoleLogger,
  createLogger,
  createRedactor,
  redactSecrets,
  silentLogger,
  withRedaction,
} from './logging.js';
import { Secret } from './secret.js';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJlLXZhbHVl';
const XOAUTH2 = Buffer.from(
  `user=someone@contoso.example\x01auth=Bearer ${FIXTURE_SECRETS.tokenPrefix}1\x01\x01`,
).toString('base64');

afterAll(() => expectNoSecretsSeen());

describe('createRedactor', () => {
  it('scrubs known secret values, Secret instances included', () => {
    const r = createRedactor([FIXTURE_SECRETS.password, new Secret(FIXTURE_SECRETS.clientSecret), undefined]);
    expect(r.text(`login with ${FIXTURE_SECRETS.password} and ${FIXTURE_SECRETS.clientSecret}`)).toBe(
      'login with *** and ***',
    );
  });

  it('scrubs bearer tokens, JWTs, SASL payloads and credentials in form bodies whatever their value', () => {
    const r = createRedactor();
    expect(r.text(`Authorization: Bearer ${FIXTURE_SECRETS.tokenPrefix}9`)).toBe('Authorization: Bearer ***');
    expect(r.text(`token ${JWT} refused`)).toBe('token *** refused');
    expect(r.text(`C: A1 AUTHENTICATE XOAUTH2 ${XOAUTH2}`)).toBe('C: A1 AUTHENTICATE XOAUTH2 ***');
    expect(r.text('grant_type=password&password=p4ss&client_secret=s3cr3t&scope=x')).toBe(
      'grant_type=password&password=***&client_secret=***&scope=x',
    );
  });

  it('keeps ephemeral values (tokens) in a bounded set', () => {
    const r = createRedactor();
    for (let i = 0; i < 100; i++) r.add(`${FIXTURE_SECRETS.tokenPrefix}${i}-x`, { ephemeral: true });
    expect(r.text(`${FIXTURE_SECRETS.tokenPrefix}99-x`)).toBe('***');
    expect(r.text(`${FIXTURE_SECRETS.tokenPrefix}0-x`)).toBe(`${FIXTURE_SECRETS.tokenPrefix}0-x`);
  });

  it('copies log objects with secret-named keys, Secrets, errors and cycles handled', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const err = new TokenError(`bad ${FIXTURE_SECRETS.password}`, { code: 'TOKEN_X' });
    const out = redactSecrets(
      {
        accessToken: 'opaque-value',
        nested: { client_secret: 'abc123456', list: [new Secret('x'), 'plain'] },
        err,
        cyclic,
        when: new Date(0),
      },
      [FIXTURE_SECRETS.password],
    ) as { accessToken: unknown; nested: unknown; err: unknown; cyclic: { self: unknown }; when: unknown };
    expect(out.accessToken).toBe('***');
    expect(out.nested).toEqual({ client_secret: '***', list: ['***', 'plain'] });
    expect(out.err).toMatchObject({ type: 'TokenError', message: 'bad ***', code: 'TOKEN_X' });
    expect(out.cyclic.self).toBe('[Circular]');
    expect(out.when).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('withRedaction', () => {
  it('redacts objects, messages and child bindings before the wrapped logger sees them', () => {
    const base = recordingLogger();
    const logger = withRedaction(base, [FIXTURE_SECRETS.clientSecret]);
    logger.info(
      { detail: `secret=${FIXTURE_SECRETS.clientSecret}` },
      `header Bearer ${FIXTURE_SECRETS.tokenPrefix}2`,
    );
    logger.child?.({ password: FIXTURE_SECRETS.password }).warn({ n: 1 });
    expect(base.lines[0]).toMatchObject({ obj: { detail: 'secret=***' }, msg: 'header Bearer ***' });
    expect(base.lines[1]).toMatchObject({ level: 'warn', obj: { password: '***', n: 1 } });
    expect(base.lines[1]!.msg).toBeUndefined();
  });

  it('gives a logger without child() one that merges bindings', () => {
    const lines: object[] = [];
    const bare = { debug() {}, info: (obj: object) => void lines.push(obj), warn() {}, error() {} };
    createLogger(bare).child?.({ plugin: 'x' }).info({ a: 1 });
    expect(lines).toEqual([{ plugin: 'x', a: 1 }]);
  });

  it('learns tokens added to its redactor later', () => {
    const base = recordingLogger();
    const redactor = createRedactor();
    const logger = withRedaction(base, redactor);
    redactor.add(`${FIXTURE_SECRETS.tokenPrefix}opaque`, { ephemeral: true });
    logger.debug({ seen: `${FIXTURE_SECRETS.tokenPrefix}opaque` });
    expect(base.lines[0]!.obj.seen).toBe('***');
  });
});

describe('consoleLogger', () => {
  it('writes one line per call at or above its level, with child bindings', () => {
    const out: string[] = [];
    const logger = consoleLogger({ level: 'info', write: (line) => out.push(line) });
    logger.debug({ a: 1 }, 'hidden');
    logger.child?.({ protocol: 'imaps' }).warn({ attempt: 2 }, 'retrying');
    logger.error({}, 'failed');
    expect(out).toEqual(['WARN retrying {"protocol":"imaps","attempt":2}\n', 'ERROR failed\n']);
  });

  it('is quiet at level silent, and so is silentLogger', () => {
    const out: string[] = [];
    consoleLogger({ level: 'silent', write: (line) => out.push(line) }).error({}, 'x');
    silentLogger.error({}, 'x');
    expect(silentLogger.child?.({})).toBe(silentLogger);
    expect(out).toEqual([]);
    recordError(new Error('logging tests produce no errors of their own'));
  });
});
