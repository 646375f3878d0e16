import { createKalisto } from '@kalisto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { imap, imaps } from './provider.js';

const kalisto = createKalisto({ protocols: [imap(), imaps()] });
afterAll(async () => {
  await kalisto.close();
});

describe('imap/imaps providers', () => {
  it.each([
    ['pl.slawas.mail.outlook.store.OutlookStore', 'imap'],
    ['pl.slawas.mail.outlook.store.OutlookSSLStore', 'imaps'],
    ['com.sun.mail.imap.IMAPStore', 'imap'],
    ['com.sun.mail.imap.IMAPSSLStore', 'imaps'],
  ])(
    "the Java class %s of an old configuration resolves to %s through core's table",
    (javaClass, protocol) => {
      expect(kalisto.protocols.resolve(javaClass, 'store').protocol).toBe(protocol);
    },
  );
});
