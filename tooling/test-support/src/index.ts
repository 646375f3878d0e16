export * from './child-process.js';
export * from './connect-proxy.js';
export * from './flood.js';
export * from './https-server.js';
export * from './lock-contention.js';
export * from './node-script.js';
export * from './ports.js';
export * from './sandbox-config.js';
