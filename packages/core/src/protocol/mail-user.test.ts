import { describe, expect, it } from 'vitest';
import { testProtocol } from '../../test/runtime-fixtures.js';
import { ConfigError } from '../errors/errors.js';
import { requireMailUser } from './mail-user.js';

describe('requireMailUser', () => {
  it('is the configured mailbox', () => {
    expect(requireMailUser(testProtocol('imaps', { user: 'shared@contoso.example' }))).toBe(
      'shared@contoso.example',
    );
  });

  it('is a ConfigError naming mail.<p>.user when no mailbox is set', () => {
    const error = (() => {
      try {
        requireMailUser(testProtocol('pop3s', { user: undefined }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('mail.pop3s.user');
  });
});
