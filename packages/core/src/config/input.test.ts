import { describe, expect, it } from 'vitest';
import { CLIENT_ID, TENANT } from '../../test/config-fixtures.js';
import { ConfigError } from '../errors.js';
import type { ConfigInput } from './input.js';
import { resolveConfig } from './resolve.js';

function configError(input: unknown): ConfigError {
  try {
    resolveConfig(input as ConfigInput);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('property maps with keys that are not property names', () => {
  it('reports a Map key that is not a string as a ConfigError naming the entry, not a TypeError', () => {
    const error = configError(new Map([[1, 2]]));
    expect(error.issues[0]).toEqual({
      property: '(Map key 1)',
      expected: 'a property name (a string such as mail.imap.host)',
    });
  });

  it('reports every bad key of a Map along with the other problems', () => {
    const error = configError(
      new Map<unknown, unknown>([
        ['o365.oauth.tenant', TENANT],
        ['o365.oauth.clientId', CLIENT_ID],
        ['o365.oauth.clientSecret', 'app-secret'],
        [Symbol('x'), 'a'],
        [{ not: 'a name' }, 'b'],
        ['mail.imap.port', 'x'],
      ]),
    );
    expect(error.issues.map((i) => i.property)).toEqual([
      '(Map key Symbol(x))',
      '(Map key [object Object])',
      'mail.imap.port',
    ]);
  });
});

describe('typed options named like Object.prototype members', () => {
  it('reports toString, constructor and valueOf as unknown fields, not a TypeError', () => {
    for (const key of ['toString', 'constructor', 'valueOf', 'hasOwnProperty']) {
      const error = configError({ [key]: '' });
      expect(
        error.issues.map((i) => i.property),
        key,
      ).toEqual(expect.arrayContaining([key]));
    }
    expect(configError({ imaps: { toString: 'x' } }).issues.map((i) => i.property)).toContain(
      'imaps.toString',
    );
  });
});
