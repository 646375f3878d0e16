import { createKalisto } from '@kalisto/core';
import { defineProtocolProvider } from '@kalisto/core/plugin';
import { afterAll, describe, expect, it } from 'vitest';
import { smtp, smtps } from './provider.js';

describe('smtp/smtps providers', () => {
  const kalisto = createKalisto({ protocols: [smtp(), smtps()] });
  afterAll(async () => {
    await kalisto.close();
  });

  it.each([
    ['pl.slawas.mail.outlook.smtp.OutlookTransport', 'smtp'],
    ['pl.slawas.mail.outlook.smtp.OutlookSSLTransport', 'smtps'],
    ['com.sun.mail.smtp.SMTPTransport', 'smtp'],
    ['com.sun.mail.smtp.SMTPSSLTransport', 'smtps'],
  ])(
    "the Java class %s of an old configuration resolves to %s through core's table",
    (javaClass, protocol) => {
      expect(kalisto.protocols.resolve(javaClass, 'transport').protocol).toBe(protocol);
    },
  );

  it("registers beside a user's provider that claims a Java class of its own", async () => {
    const relay = defineProtocolProvider({
      protocol: 'relay',
      type: 'transport',
      javaClasses: ['com.example.mail.RelayTransport'],
      create: async () => ({}),
    });
    const both = createKalisto({ protocols: [smtp(), smtps(), relay] });
    expect(both.protocols.resolve('com.example.mail.RelayTransport', 'transport').protocol).toBe('relay');
    expect(both.protocols.resolve('com.sun.mail.smtp.SMTPTransport', 'transport').protocol).toBe('smtp');
    await both.close();
  });
});
