export * from './cache-suite.js';
export * from './token-provider-suite.js';
