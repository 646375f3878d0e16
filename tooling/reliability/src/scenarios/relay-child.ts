/**
 * A relay process for the relay scenarios: createRelay over a Kalisto with the SMTP provider and
 * MSAL, configured by the property map given as its one argument (JSON). Prints
 * `{"event":"listening","port":…}` for its listener `devices`; SIGTERM stops it gracefully and
 * prints `{"event":"stopped"}`.
 */
import { consoleLogger, createKalisto } from '@kalisto/core';
import { smtp } from '@kalisto/protocol-smtp';
import { createRelay } from '@kalisto/relay';
import { msalTokenProvider } from '@kalisto/token-msal';

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const properties = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const logger = consoleLogger({ level: 'warn' });

const kalisto = createKalisto({ protocols: [smtp()], tokenProviders: [msalTokenProvider()], logger });
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
