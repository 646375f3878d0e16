import { createKalisto } from '@kalisto/core';
import { defineTokenProvider } from '@kalisto/core/plugin';
import { OFFLINE_PROPERTIES } from '@kalisto/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { pop3, pop3s } from './provider.js';

/** A token provider that must never be asked: these failures come before any token. */
const untouchable = defineTokenProvider({
  name: 'msal',
  create: () => ({
    getToken: () => Promise.reject(new Error('no token expected in this test')),
  }),
});

const kalisto = createKalisto({ protocols: [pop3(), pop3s()], tokenProviders: [untouchable] });
afterAll(async () => {
  await kalisto.close();
});

// Without a mailbox user: these failures come before any token.
const { 'o365.user': _user, ...base } = OFFLINE_PROPERTIES;

describe('pop3/pop3s providers', () => {
  it("register as store providers; the JavaMail class names resolve to them through core's table", () => {
    expect(pop3s()).toMatchObject({ protocol: 'pop3s', type: 'store' });
    expect(pop3()).toMatchObject({ protocol: 'pop3', type: 'store' });
    expect(kalisto.protocols.resolve('com.sun.mail.pop3.POP3SSLStore', 'store').protocol).toBe('pop3s');
    expect(kalisto.protocols.resolve('com.sun.mail.pop3.POP3Store', 'store').protocol).toBe('pop3');
  });

  it('without a mailbox user, fail with a ConfigError naming mail.pop3s.user', async () => {
    const session = kalisto.session(base);
    await expect(session.store('pop3s')).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [expect.objectContaining({ property: 'mail.pop3s.user' })],
    });
  });
});
