// session/ — createKalisto, its registries and the sessions it opens.

export type { SessionTokenOptions } from './create-session.js';
export { type CreateKalistoOptions, createKalisto, type Kalisto } from './kalisto.js';
export type { ProtocolRegistry, Registry } from './registry.js';
export type { KalistoSession } from './types.js';
