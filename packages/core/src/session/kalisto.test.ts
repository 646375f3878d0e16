import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  expectNoSecretsSeen,
  type FakeClock,
  FIXTURE_SECRETS,
  fakeClock,
  fakeProvider,
  recordError,
  recordingLogger,
  rejectionOf,
  testCache,
  testConfig,
  testProtocol,
} from '../../test/runtime-fixtures.js';
import { tokenCacheKey } from '../cache/key.js';
import type { CacheBackend } from '../cache/types.js';
import type { ProtocolSettings } from '../config/types.js';
import { defineProtocolProvider } from '../define/protocol-provider.js';
import { defineTokenProvider } from '../define/token-provider.js';
import { isKalistoError, type KalistoError } from '../errors/errors.js';
import type { TokenProviderDefinition } from '../token/types.js';
import { type CreateKalistoOptions, createKalisto } from './kalisto.js';

/** What the fake protocol providers open: enough to see which provider, settings and token were used. */
interface FakeClient {
  protocol: string;
  settings: ProtocolSettings;
  token: string;
}

declare module '@kalisto/core' {
  interface ProtocolClients {
    fake: FakeClient;
  }
}

afterAll(() => expectNoSecretsSeen());

function fakeProtocols(closed: string[], gate?: Promise<void>) {
  const make = (protocol: string, type: 'store' | 'transport') =>
    defineProtocolProvider<FakeClient>({
      protocol,
      type,
      async create({ session, settings }) {
        const token = await session.tokens.getToken();
        if (gate) await gate;
        return { protocol, settings, token: token.accessToken };
      },
      async close(client) {
        closed.push(client.protocol);
      },
    });
  return [make('imap', 'store'), make('imaps', 'store'), make('fake', 'store'), make('smtp', 'transport')];
}

function fakeTokenProvider(closes: { count: number }, clock: FakeClock): TokenProviderDefinition {
  return defineTokenProvider({
    name: 'fake',
    create: () => {
      const provider = fakeProvider({ clock });
      return {
        getToken: (request) => provider.getToken(request),
        close: async () => {
          closes.count++;
        },
      };
    },
  });
}

function setup(options: Partial<CreateKalistoOptions> = {}, gate?: Promise<void>) {
  const closed: string[] = [];
  const providerCloses = { count: 0 };
  const logger = recordingLogger();
  const clock = fakeClock();
  const kalisto = createKalisto({
    protocols: fakeProtocols(closed, gate),
    tokenProviders: [fakeTokenProvider(providerCloses, clock)],
    logger,
    clock,
    ...options,
  });
  return { kalisto, closed, providerCloses, logger };
}

async function thrownBy(run: () => unknown): Promise<KalistoError> {
  try {
    await run();
  } catch (error) {
    recordError(error);
    expect(isKalistoError(error)).toBe(true);
    return error as KalistoError;
  }
  throw new Error('expected a throw');
}

describe('token cache keys of fixed token endpoints', () => {
  const fixed = (url: string, tenant?: string) => ({
    'o365.oauth.provider': 'fake',
    'o365.oauth.url': url,
    'o365.oauth.clientId': 'kalisto-client',
    'o365.oauth.clientSecret': FIXTURE_SECRETS.clientSecret,
    'o365.oauth.scope': 'mail',
    ...(tenant === undefined ? {} : { 'o365.oauth.tenant': tenant }),
  });

  it('two sessions with two fixed URLs on one host and one client id have two keys', () => {
    const { kalisto } = setup();
    const a = kalisto.session(fixed('https://idp.example/realms/a/token'));
    const b = kalisto.session(fixed('https://idp.example/realms/b/token'));
    const again = kalisto.session(fixed('https://idp.example/realms/a/token/'));
    expect(a.tokens.keyFor()).not.toBe(b.tokens.keyFor());
    expect(again.tokens.keyFor()).toBe(a.tokens.keyFor());
  });

  it('keeps the key of a tenant configuration with the standard endpoint as it was', () => {
    const { kalisto } = setup();
    const config = testConfig({ oauth: { flow: 'client_credentials' } });
    const { authority, tenant, clientId, scopes } = config.oauth;
    // What every earlier version computed for this configuration: no token URL in the key.
    const before = tokenCacheKey({ authority, tenant, clientId, flow: 'client_credentials', scopes });
    expect(kalisto.session(config).tokens.keyFor()).toBe(before);
  });
});

describe('session protocols', () => {
  it('opens the default store and transport with their settings and a token', async () => {
    const { kalisto } = setup();
    const session = kalisto.session(testConfig({ storeProtocol: 'imaps' }));
    const store = (await session.store()) as FakeClient;
    const transport = (await session.transport()) as FakeClient;
    expect(store.protocol).toBe('imaps');
    expect(store.settings).toBe(session.config.protocols.imaps);
    expect(store.token.startsWith(FIXTURE_SECRETS.tokenPrefix)).toBe(true);
    expect(transport.protocol).toBe('smtp');
    recordError(new Error(`opened ${store.protocol} and ${transport.protocol}`));
  });

  it('honours mail.<p>.class: the Java class picks the provider, the settings stay those of <p>', async () => {
    const { kalisto } = setup();
    const imap = testProtocol('imap', {
      providerClass: 'pl.slawas.mail.outlook.store.OutlookSSLStore',
      port: 993,
    });
    const session = kalisto.session(testConfig({ protocols: { imap } }));
    const client = (await session.store('imap')) as FakeClient;
    expect(client.protocol).toBe('imaps');
    expect(client.settings).toBe(imap);
  });

  it('accepts a Java class name in place of a protocol', async () => {
    const { kalisto } = setup();
    const session = kalisto.session(testConfig());
    const client = (await session.store('pl.slawas.mail.outlook.store.OutlookStore')) as FakeClient;
    expect(client.protocol).toBe('imap');
  });

  it('refuses a store asked as a transport, and a protocol nobody provides', async () => {
    const { kalisto } = setup();
    const session = kalisto.session(testConfig({ transportProtocol: 'imap' }));
    expect((await thrownBy(() => session.transport())).code).toBe('PROTOCOL_WRONG_TYPE');
    expect((await thrownBy(() => session.store('pop3s'))).message).toBe(
      'No protocol provider "pop3s" (have: imap, imaps, fake, smtp). Install @kalisto/protocol-pop3.',
    );
  });

  it('says which settings are missing for a protocol without any', async () => {
    const { kalisto } = setup();
    const error = await thrownBy(() => kalisto.session(testConfig()).store('fake'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('mail.fake.host');
  });

  it('types session.store() by the protocol name through ProtocolClients', () => {
    const { kalisto } = setup();
    const session = kalisto.session(testConfig({ protocols: { fake: testProtocol('fake') } }));
    expectTypeOf(session.store('fake')).toEqualTypeOf<Promise<FakeClient>>();
    expectTypeOf<ReturnType<typeof session.store<'somethingElse'>>>().toEqualTypeOf<Promise<unknown>>();
    return session.store('fake').then((client) => expect(client.protocol).toBe('fake'));
  });
});

describe('session cache and token provider', () => {
  const clock = fakeClock();

  it('uses the cache websphere.cache names, mapped through the caches record', () => {
    const redis = testCache({ clock, name: 'redis' });
    const { kalisto } = setup({ caches: { 'services/cache/tokenO365': redis } });
    expect(kalisto.session(testConfig({ cacheName: 'services/cache/tokenO365' })).cache).toBe(redis);
  });

  it('names the registered caches when the configured one is missing', async () => {
    const { kalisto } = setup({ caches: [testCache({ clock, name: 'memory' })] });
    const error = await thrownBy(() =>
      kalisto.session(testConfig({ cacheName: 'services/cache/tokenO365' })),
    );
    expect(error.message).toBe(
      'No cache "services/cache/tokenO365" (have: memory). Register one with createKalisto({ caches }).',
    );
  });

  it('uses the only registered cache when none is named, and none when none is registered', () => {
    const only = testCache({ clock, name: 'memory' });
    expect(setup({ caches: [only] }).kalisto.session(testConfig()).cache).toBe(only);
    expect(setup().kalisto.session(testConfig()).cache).toBeUndefined();
  });

  it('refuses to guess between several caches', async () => {
    const caches = [testCache({ clock, name: 'memory' }), testCache({ clock, name: 'redis' })];
    const error = await thrownBy(() => setup({ caches }).kalisto.session(testConfig()));
    expect(error.code).toBe('CACHE_AMBIGUOUS');
    expect(error.message).toBe(
      'Several caches are registered (memory, redis) and the configuration names none: set websphere.cache (or kalisto.cache) to one of them.',
    );
  });

  it('warns once, at creation, about each cache that keeps tokens in clear', () => {
    const clear = { ...testCache({ clock, name: 'redis' }), encrypted: false };
    const sealed = { ...testCache({ clock, name: 'file' }), encrypted: true };
    const { logger } = setup({ caches: { a: clear, b: clear, c: sealed, d: testCache({ clock }) } });
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toEqual({ cache: 'redis', option: 'encryptionKey', env: 'KALISTO_CACHE_KEY' });
    expect(warnings[0]?.msg).toMatch(
      /^\[cache:redis\] No encryption key: access and refresh tokens are stored in clear.*encryptionKey option or KALISTO_CACHE_KEY/,
    );
  });

  it('refuses a cache factory passed where its backend belongs, naming the call to make', async () => {
    const mapCache = () => testCache({ clock, name: 'map' });
    const error = await thrownBy(() => setup({ caches: [mapCache as never] }));
    expect(error.code).toBe('PLUGIN_INVALID');
    expect(error.message).toBe(
      '[cache:mapCache] Got a function where a cache backend belongs: pass mapCache() (the backend it returns), not the factory.',
    );
    const incomplete = await thrownBy(() => setup({ caches: { mine: { name: 'mine' } as never } }));
    expect(incomplete.message).toBe('[cache:mine] A cache backend needs a "get" method (it has: none).');
  });

  it('shares tokens between sessions through the cache', async () => {
    const cache = testCache({ clock, name: 'memory' });
    const { kalisto } = setup({ caches: [cache], clock });
    const first = await kalisto.session(testConfig()).tokens.getToken();
    const second = await kalisto.session(testConfig()).tokens.getToken();
    expect(second).toEqual(first);
  });

  it('picks the token provider o365.oauth.provider names, or says which package provides it', async () => {
    const { kalisto } = setup();
    const error = await thrownBy(() => kalisto.session(testConfig({ oauth: { provider: 'msal' } })));
    expect(error.message).toBe('No token provider "msal" (have: fake). Install @kalisto/token-msal.');
  });

  it('gives the session a logger that scrubs the configured secrets', () => {
    const { kalisto, logger } = setup();
    kalisto
      .session(testConfig())
      .logger.warn({ note: `pw ${FIXTURE_SECRETS.password}` }, FIXTURE_SECRETS.clientSecret);
    expect(logger.lines.at(-1)).toMatchObject({ obj: { note: 'pw ***' }, msg: '***' });
  });

  it('resolves configuration input with its secret decoders', async () => {
    const { kalisto } = setup({
      secretDecoders: [{ name: 'reverse', decode: (value) => [...value].reverse().join('') }],
    });
    const session = kalisto.session({
      'security.encoder.class': 'reverse',
      'o365.oauth.tenant': 'contoso.example',
      'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
      'o365.oauth.clientSecret': [...FIXTURE_SECRETS.clientSecret].reverse().join(''),
      'o365.oauth.provider': 'fake',
    });
    expect(session.config.oauth.clientSecret?.reveal()).toBe(FIXTURE_SECRETS.clientSecret);
    expect(session.config.oauth.flow).toBe('client_credentials');
    expect((await session.store()) as FakeClient).toMatchObject({ protocol: 'imap' });
  });
});

describe('closing', () => {
  it('closes every client, then the token provider, once; then refuses new clients', async () => {
    const { kalisto, closed, providerCloses } = setup();
    const session = kalisto.session(testConfig());
    await session.store('imap');
    await session.store('imaps');
    await session.transport();
    await Promise.all([session.close(), session.close()]);
    await session.close();
    expect(closed.sort()).toEqual(['imap', 'imaps', 'smtp']);
    expect(providerCloses.count).toBe(1);
    expect((await thrownBy(() => session.store())).code).toBe('SESSION_CLOSED');
  });

  it('forgets a client that closed by itself, so session.close() does not hold it', async () => {
    const { EventEmitter } = await import('node:events');
    const closedByProvider: string[] = [];
    const disconnects = new EventEmitter();
    const kalisto = createKalisto({
      protocols: [
        defineProtocolProvider({
          protocol: 'imaps',
          type: 'store',
          create: async () => ({ id: 0 }),
          close: async (client: { id: number }) => void closedByProvider.push(`closed ${client.id}`),
          onClosed: (client: { id: number }, forget) => disconnects.once(`gone ${client.id}`, forget),
        }),
      ],
      tokenProviders: [fakeTokenProvider({ count: 0 }, fakeClock())],
    });
    const session = kalisto.session(testConfig());
    await session.store('imaps');
    disconnects.emit('gone 0'); // e.g. the server said BYE
    await session.close();
    expect(closedByProvider).toEqual([]);
  });

  it('closes a client that finishes opening after the session closed', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { kalisto, closed } = setup({}, gate);
    const session = kalisto.session(testConfig());
    const opening = session.store('imap');
    await session.tokens.getToken();
    await session.close();
    open();
    expect((await rejectionOf(opening)) as KalistoError).toMatchObject({ code: 'SESSION_CLOSED' });
    expect(closed).toEqual(['imap']);
  });

  it('closes open sessions and each cache backend once when the instance closes', async () => {
    let cacheCloses = 0;
    const cache: CacheBackend = {
      ...testCache({ clock: fakeClock(), name: 'memory' }),
      close: async () => void cacheCloses++,
    };
    const { kalisto, providerCloses } = setup({
      caches: { memory: cache, 'services/cache/tokenO365': cache },
    });
    kalisto.session(testConfig({ cacheName: 'memory' }));
    kalisto.session(testConfig({ cacheName: 'memory' }));
    await kalisto.close();
    await kalisto.close();
    expect(providerCloses.count).toBe(2);
    expect(cacheCloses).toBe(1);
    expect((await thrownBy(() => kalisto.session(testConfig()))).code).toBe('KALISTO_CLOSED');
  });

  it('logs (redacted) but survives a client that fails to close', async () => {
    const logger = recordingLogger();
    const clock = fakeClock();
    const kalisto = createKalisto({
      logger,
      clock,
      tokenProviders: [fakeTokenProvider({ count: 0 }, clock)],
      protocols: [
        defineProtocolProvider({
          protocol: 'imap',
          type: 'store',
          create: async () => ({}),
          close: async () => {
            throw new Error(`socket closed while sending ${FIXTURE_SECRETS.password}`);
          },
        }),
      ],
    });
    const session = kalisto.session(testConfig());
    await session.store();
    await session.close();
    const warning = logger.lines.find((l) => l.level === 'warn');
    expect(warning?.msg).toBe('Closing a mail client failed.');
    expect(JSON.stringify(warning)).toContain('socket closed while sending ***');
  });
});
