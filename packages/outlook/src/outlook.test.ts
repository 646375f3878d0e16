import { memoryCache } from '@kalisto/cache-memory';
import { encodeXor, type SecretDecoder } from '@kalisto/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutlook, createOutlookSession } from './outlook.js';

const PROPERTIES = {
  'o365.oauth.tenant': '161ee23e-798c-481d-975a-39345f76032a',
  'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  'o365.oauth.clientSecret': encodeXor('a-client-secret'),
  'security.encoder.class': 'com.ibm.ws.security.util.WSEncoderDecoder',
};

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of toClose.splice(0)) await item.close();
});

describe('createOutlook', () => {
  it('registers the whole WebSphere provider table, by protocol and by Java class', () => {
    const kalisto = createOutlook();
    toClose.push(kalisto);
    for (const name of ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps']) {
      expect(kalisto.protocols.has(name)).toBe(true);
    }
    expect(kalisto.protocols.resolve('graph', 'store').type).toBe('store');
    expect(kalisto.protocols.resolve('graph', 'transport').type).toBe('transport');
    expect(kalisto.protocols.has('pl.slawas.mail.outlook.smtp.OutlookSSLTransport')).toBe(true);
    expect(kalisto.protocols.has('com.sun.mail.pop3.POP3SSLStore')).toBe(true);
    expect(kalisto.tokenProviders.names()).toEqual(['msal']);
  });

  it('the websphere.cache name becomes the default cache; a config naming none uses it too', () => {
    const kalisto = createOutlook();
    toClose.push(kalisto);
    const named = kalisto.session({ ...PROPERTIES, 'websphere.cache': 'services/cache/tokenO365' });
    const unnamed = kalisto.session(PROPERTIES);

    expect(named.cache).toBe(kalisto.caches.get('memory'));
    expect(unnamed.cache).toBe(named.cache);
    expect(kalisto.caches.get('services/cache/tokenO365')).toBe(named.cache);
  });

  it('a cache of the application replaces the memory cache; extra caches stay selectable by name', () => {
    const shared = memoryCache({ name: 'shared' });
    const other = memoryCache({ name: 'other' });
    const kalisto = createOutlook({ cache: shared, caches: [other] });
    toClose.push(kalisto);

    expect(kalisto.session(PROPERTIES).cache).toBe(shared);
    expect(kalisto.session({ ...PROPERTIES, 'kalisto.cache': 'other' }).cache).toBe(other);
    expect(kalisto.caches.has('memory')).toBe(false);
  });

  it('passes secret decoders through, and accepts a resolved configuration', () => {
    const vault: SecretDecoder = { name: 'vault', decode: (value) => value.replace(/^vault:/, '') };
    const kalisto = createOutlook({ secretDecoders: [vault] });
    toClose.push(kalisto);
    const config = kalisto.resolveConfig({
      ...PROPERTIES,
      'security.encoder.class': 'vault',
      'o365.oauth.clientSecret': 'vault:from-the-vault',
    });

    const session = kalisto.session(config);

    expect(session.config.oauth.clientSecret?.reveal()).toBe('from-the-vault');
  });
});

describe('createOutlookSession', () => {
  it('closing the session closes the Kalisto made for it', async () => {
    const session = createOutlookSession(PROPERTIES);
    await session.close();
    await expect(session.transport('smtp')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('a bad configuration throws the ConfigError naming the property', () => {
    expect(() => createOutlookSession({ ...PROPERTIES, 'mail.smtp.port': 'x' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        issues: [expect.objectContaining({ property: 'mail.smtp.port' })],
      }),
    );
  });
});
