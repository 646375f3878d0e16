/**
 * A real redis-server per scenario (free port, no persistence), killed at the scenario's end. The
 * process handling is test-support's `startRedisServer`, shared with cache-redis's tests and the bench.
 */
import { type RedisServer, rawCommand, startRedisServer } from '@kalisto/test-support';
import type { ScenarioContext } from '../scenario.js';

export { type RedisServer, rawCommand };

export async function scenarioRedis(
  context: ScenarioContext,
  extraArgs: string[] = [],
): Promise<RedisServer> {
  const server = await startRedisServer(extraArgs);
  context.defer(() => server.stop());
  return server;
}
