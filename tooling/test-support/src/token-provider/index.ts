// Suites and beds for token provider tests; they register vitest hooks, so they live on their own subpath.
export * from './endpoint-bounds.js';
export * from './restart-bed.js';
export * from './sandbox-conformance.js';
