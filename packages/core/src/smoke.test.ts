import { describe, expect, it } from 'vitest';
import { ConfigError, isKalistoError, Secret } from './index.js';

describe('contracts', () => {
  it('brands errors and hides secrets', () => {
    const err = new ConfigError([{ property: 'mail.imap.port', value: 'x', expected: 'a port' }]);
    expect(isKalistoError(err)).toBe(true);
    expect(JSON.stringify({ s: new Secret('hunter2') })).not.toContain('hunter2');
  });
});
