import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  FIXTURE_SECRETS,
  recordError,
  recordingLogger,
} from '../../test/runtime-fixtures.js';
import { consoleLogger, createLogger, silentLogger, withRedaction } from './logger.js';
import { createRedactor } from './redactor.js';

afterAll(() => expectNoSecretsSeen());

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
