import { afterAll, describe, expect, it } from 'vitest';
import { expectNoSecretsSeen, thrownBy } from '../../test/runtime-fixtures.js';
import { defineProtocolProvider } from '../define/protocol-provider.js';
import type { ProtocolType } from '../protocol/types.js';
import { createProtocolRegistry, createRegistry, JAVA_PROVIDER_CLASSES } from './registry.js';

afterAll(() => expectNoSecretsSeen());

const provider = (protocol: string, type: ProtocolType, javaClasses?: string[]) =>
  defineProtocolProvider({
    protocol,
    type,
    ...(javaClasses ? { javaClasses } : {}),
    create: async () => ({ protocol }),
  });

describe('createRegistry', () => {
  const caches = () => createRegistry<string>({ kind: 'cache', registerWith: 'createKalisto({ caches })' });

  it('gets what was registered, by name or alias', () => {
    const registry = caches();
    registry.register('redis', 'R');
    registry.alias('services/cache/tokenO365', 'redis');
    expect(registry.get('redis')).toBe('R');
    expect(registry.get('services/cache/tokenO365')).toBe('R');
    expect(registry.names()).toEqual(['redis']);
  });

  it('refuses a duplicate name', () => {
    const registry = caches();
    registry.register('redis', 'R');
    const error = thrownBy(() => registry.register('redis', 'again'));
    expect(error.code).toBe('REGISTRY_DUPLICATE');
    expect(error.message).toBe('A cache named "redis" is already registered.');
  });

  it('names what is registered and the package to install for a standard name', () => {
    const registry = caches();
    registry.register('memory', 'M');
    const error = thrownBy(() => registry.get('redis'));
    expect(error.code).toBe('REGISTRY_MISSING');
    expect(error.message).toBe('No cache "redis" (have: memory). Install @kalisto/cache-redis.');
  });

  it('says how to register a custom name', () => {
    expect(thrownBy(() => caches().get('services/cache/tokenO365')).message).toBe(
      'No cache "services/cache/tokenO365" (have: none). Register one with createKalisto({ caches }).',
    );
  });

  it('keeps registries apart (no global state)', () => {
    const a = caches();
    a.register('x', 'X');
    expect(caches().has('x')).toBe(false);
  });
});

describe('createProtocolRegistry', () => {
  const registry = () => {
    const r = createProtocolRegistry();
    r.register(provider('imap', 'store'));
    r.register(provider('imaps', 'store'));
    r.register(provider('smtp', 'transport'));
    return r;
  };

  it('gives the exact missing-provider message', () => {
    const error = thrownBy(() => registry().resolve('pop3s', 'store'));
    expect(error.message).toBe(
      'No protocol provider "pop3s" (have: imap, imaps, smtp). Install @kalisto/protocol-pop3.',
    );
  });

  it('resolves the Java class names of the reference table', () => {
    const r = registry();
    expect(r.resolve('pl.slawas.mail.outlook.store.OutlookStore', 'store').protocol).toBe('imap');
    expect(r.resolve('pl.slawas.mail.outlook.store.OutlookSSLStore', 'store').protocol).toBe('imaps');
    expect(r.resolve('pl.slawas.mail.outlook.smtp.OutlookTransport', 'transport').protocol).toBe('smtp');
    expect(JAVA_PROVIDER_CLASSES['com.sun.mail.pop3.POP3SSLStore']).toBe('pop3s');
    expect(JAVA_PROVIDER_CLASSES['pl.slawas.mail.outlook.smtp.OutlookSSLTransport']).toBe('smtps');
  });

  it('lets mail.<p>.class pick the implementation of a protocol', () => {
    expect(registry().resolve('imap', 'store', 'pl.slawas.mail.outlook.store.OutlookSSLStore').protocol).toBe(
      'imaps',
    );
  });

  it('names the class when the protocol it stands for is not installed', () => {
    expect(thrownBy(() => registry().resolve('com.sun.mail.pop3.POP3Store', 'store')).message).toBe(
      'No protocol provider "pop3" for class "com.sun.mail.pop3.POP3Store" (have: imap, imaps, smtp). Install @kalisto/protocol-pop3.',
    );
  });

  it('refuses a transport asked as a store, and the other way round', () => {
    const r = registry();
    const asStore = thrownBy(() => r.resolve('smtp', 'store'));
    expect(asStore.code).toBe('PROTOCOL_WRONG_TYPE');
    expect(asStore.message).toBe(
      `Protocol provider "smtp" is a transport, not a store. Use session.transport('smtp'), or set mail.store.protocol (and mail.<protocol>.class) to a store protocol.`,
    );
    expect(
      thrownBy(() => r.resolve('pl.slawas.mail.outlook.store.OutlookStore', 'transport')).message,
    ).toMatch(
      /^Protocol provider "pl\.slawas\.mail\.outlook\.store\.OutlookStore" \(imap\) is a store, not a transport\./,
    );
  });

  it("registers a provider's own Java classes, but not one that already means another protocol", () => {
    const r = registry();
    r.register(provider('graph', 'store', ['com.example.GraphStore']));
    expect(r.resolve('com.example.GraphStore', 'store').protocol).toBe('graph');
    expect(
      thrownBy(() => r.register(provider('evil', 'store', ['pl.slawas.mail.outlook.store.OutlookStore'])))
        .code,
    ).toBe('REGISTRY_DUPLICATE');
  });

  it('refuses a second provider for a protocol', () => {
    expect(thrownBy(() => registry().register(provider('imap', 'store'))).message).toBe(
      'A protocol provider named "imap" is already registered.',
    );
  });

  it('gives a name a store and a transport (graph), each resolved by its type', () => {
    const r = registry();
    const store = provider('graph', 'store');
    const transport = provider('graph', 'transport');
    r.register(store);
    r.register(transport);
    expect(r.resolve('graph', 'store')).toBe(store);
    expect(r.resolve('graph', 'transport')).toBe(transport);
    expect(r.names()).toEqual(['imap', 'imaps', 'smtp', 'graph']);
    expect(r.names('transport')).toEqual(['smtp', 'graph']);
    expect(r.values()).toHaveLength(5);
    expect(r.has('graph', 'store') && r.has('graph', 'transport') && r.has('graph')).toBe(true);
    expect(thrownBy(() => r.register(provider('graph', 'transport'))).code).toBe('REGISTRY_DUPLICATE');
  });

  it('builds the wrong-type hint from what is registered, and says when the other half of a name is missing', () => {
    const r = registry();
    r.register(provider('graph', 'store'));
    expect(r.has('graph', 'transport')).toBe(false);
    const error = thrownBy(() => r.resolve('graph', 'transport'));
    expect(error.code).toBe('PROTOCOL_WRONG_TYPE');
    expect(error.message).toBe(
      `Protocol provider "graph" is a store, not a transport. Use session.store('graph'), or set mail.transport.protocol (and mail.<protocol>.class) to a transport protocol. @kalisto/protocol-graph provides a transport "graph" too: register it.`,
    );
    expect(error.hint).toBe(
      'Stores: imap, imaps, graph. Transports: smtp. @kalisto/protocol-graph provides a transport "graph" too: register it.',
    );
    const onlyStores = createProtocolRegistry();
    onlyStores.register(provider('imaps', 'store'));
    expect(thrownBy(() => onlyStores.resolve('imaps', 'transport')).hint).toBe(
      'Stores: imaps. Transports: none.',
    );
  });
});
