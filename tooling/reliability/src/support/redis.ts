/**
 * A real redis-server per scenario (free port, no persistence), killed at the scenario's end. The
 * process handling is cache-redis's own test helper, reused as it is.
 */
import {
  type RedisServer,
  rawCommand,
  startRedisServer,
} from '../../../../packages/cache-redis/test/redis-server.js';
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
