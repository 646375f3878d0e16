/**
 * One relay instance of the multi-instance test, in its own process: createRelay over a Kalisto
 * whose token cache is `@kalisto/cache-redis` (the cache `websphere.cache` names), configured by the
 * property map in KALISTO_RELAY_PROPERTIES and the cache's Redis in KALISTO_CACHE_URL. Prints
 * `{"event":"listening","port":…}` once it listens; SIGTERM stops it gracefully. Log lines
 * (warnings and errors) go to stderr.
 */
import { redisCache } from '@kalisto/cache-redis';
import { consoleLogger, createKalisto } from '@kalisto/core';
import { smtp } from '@kalisto/protocol-smtp';
import { msalTokenProvider } from '@kalisto/token-msal';
import { createRelay } from '../src/index.js';

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const properties = JSON.parse(process.env.KALISTO_RELAY_PROPERTIES ?? '{}') as Record<string, string>;
const logger = consoleLogger({ level: 'warn' });

const kalisto = createKalisto({
  protocols: [smtp()],
  tokenProviders: [msalTokenProvider()],
  caches: {
    [properties['websphere.cache'] ?? 'tokens']: redisCache({
      url: process.env.KALISTO_CACHE_URL as string,
      keyPrefix: process.env.KALISTO_CACHE_PREFIX ?? 'kalisto:',
    }),
  },
  logger,
});
const relay = createRelay({ kalisto, properties, logger });
await relay.start();
say({ event: 'listening', pid: process.pid, port: relay.addresses.devices?.port });

process.once('SIGTERM', () => {
  void relay
    .stop({ timeoutMs: 5_000 })
    .then(() => kalisto.close())
    .then(() => {
      say({ event: 'stopped' });
      process.exit(0);
    });
});
