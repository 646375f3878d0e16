/** `resolveConfig()` of one property map, as an application starting up does it. */
import { resolveConfig } from '@kalisto/core';
import type { ClientAction } from './actions.js';

export const configAction: ClientAction = async (input, { ready }) => {
  const properties = input.properties as Record<string, string>;
  await ready();
  const config = resolveConfig(properties, { env: {} });
  return { protocols: Object.keys(config.protocols).length, warnings: config.warnings?.length ?? 0 };
};
