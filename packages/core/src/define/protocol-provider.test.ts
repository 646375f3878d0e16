import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  FIXTURE_SECRETS,
  recordingLogger,
  rejectionOf,
  testConfig,
  testProtocol,
  thrownBy,
} from '../../test/runtime-fixtures.js';
import { ConnectionError } from '../errors/errors.js';
import { silentLogger } from '../logging/logger.js';
import type { KalistoSession } from '../session/types.js';
import { defineProtocolProvider } from './protocol-provider.js';

afterAll(() => expectNoSecretsSeen());

describe('defineProtocolProvider', () => {
  const session = { config: testConfig() } as KalistoSession;

  it('wraps connection failures into a prefixed ConnectionError with host and port', async () => {
    const provider = defineProtocolProvider({
      protocol: 'imaps',
      type: 'store',
      create: async () => {
        throw Object.assign(new Error(`connect ECONNREFUSED; login ${FIXTURE_SECRETS.password}`), {
          code: 'ECONNREFUSED',
        });
      },
    });
    const settings = testProtocol('imaps', { host: '127.0.0.1', port: 9993 });
    const error = await rejectionOf(provider.create({ session, settings, logger: silentLogger }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({
      code: 'CONNECTION_FAILED',
      protocol: 'imaps',
      host: '127.0.0.1',
      port: 9993,
    });
    expect(error.message).toBe(
      '[protocol:imaps] Connecting to 127.0.0.1:9993 failed: connect ECONNREFUSED; login ***',
    );
    expect((error as ConnectionError).transient).toBe(true);
  });

  it('gives create a logger bound to the plugin', async () => {
    const logger = recordingLogger();
    const provider = defineProtocolProvider({
      protocol: 'fake',
      type: 'transport',
      create: async (ctx) => {
        ctx.logger.info({ step: 'greeting' }, 'connected');
        return { ok: true };
      },
    });
    expect(await provider.create({ session, settings: testProtocol('fake'), logger })).toEqual({ ok: true });
    expect(logger.lines[0]?.obj).toEqual({ plugin: 'protocol:fake', step: 'greeting' });
  });

  it('checks type and methods at definition time', () => {
    expect(
      thrownBy(() =>
        defineProtocolProvider({ protocol: 'x', type: 'mailbox' as never, create: async () => 1 }),
      ).message,
    ).toBe('[protocol:x] A protocol provider\'s type is "store" or "transport" (got "mailbox").');
    expect(
      thrownBy(() => defineProtocolProvider({ protocol: 'x', type: 'store', create: 1 as never })).code,
    ).toBe('PLUGIN_INVALID');
  });
});
