import { describe, expect, it } from 'vitest';
import { nodemailerLogger } from './logger-adapter.js';

describe('nodemailerLogger', () => {
  it('formats bunyan-style calls into pino-style ones and maps the six levels onto four', () => {
    const calls: [string, object, string | undefined][] = [];
    const record = (level: string) => (obj: object, msg?: string) => calls.push([level, obj, msg]);
    const logger = nodemailerLogger({
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    });

    logger.info?.({ tnx: 'smtp' }, 'User %s authenticated', '"adele"');
    logger.trace?.({ tnx: 'client' }, 'C: %s', 'EHLO');
    logger.fatal?.({}, 'boom');
    logger.warn?.('no data %d', 3);

    expect(calls).toEqual([
      ['info', { tnx: 'smtp' }, 'User "adele" authenticated'],
      ['debug', { tnx: 'client' }, 'C: EHLO'],
      ['error', {}, 'boom'],
      ['warn', {}, 'no data 3'],
    ]);
  });
});
