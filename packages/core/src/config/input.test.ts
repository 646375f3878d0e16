import { describe, expect, it } from 'vitest';
import { CLIENT_ID, resolveError, TENANT } from '../../test/config-fixtures.js';
import type { ConfigInput } from './input.js';

describe('property maps with keys that are not property names', () => {
  it('reports a Map key that is not a string as a ConfigError naming the entry, not a TypeError', () => {
    const error = resolveError(new Map([[1, 2]]) as unknown as ConfigInput);
    expect(error.issues[0]).toEqual({
      property: '(Map key 1)',
      expected: 'a property name (a string such as mail.imap.host)',
    });
  });

  it('reports every bad key of a Map along with the other problems', () => {
    const error = resolveError(
      new Map<unknown, unknown>([
        ['o365.oauth.tenant', TENANT],
        ['o365.oauth.clientId', CLIENT_ID],
        ['o365.oauth.clientSecret', 'app-secret'],
        [Symbol('x'), 'a'],
        [{ not: 'a name' }, 'b'],
        ['mail.imap.port', 'x'],
      ]) as unknown as ConfigInput,
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
      const error = resolveError({ [key]: '' } as ConfigInput);
      expect(
        error.issues.map((i) => i.property),
        key,
      ).toEqual(expect.arrayContaining([key]));
    }
    expect(resolveError({ imaps: { toString: 'x' } } as ConfigInput).issues.map((i) => i.property)).toContain(
      'imaps.toString',
    );
  });
});
