import { readFileSync } from 'node:fs';
import { createKalisto } from '@kalisto/core';
import { runCacheBackendSuite } from '@kalisto/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { mapCache } from './map-cache.example.js';

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  { name: 'README example (map)', create: () => mapCache(), supportsLock: false },
);

describe('the README example', () => {
  it('is this file, verbatim', () => {
    const readme = readFileSync(new URL('../../../docs/cache-memory.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./map-cache.example.ts', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('//'))
      .join('\n');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('is a factory: createKalisto takes what it returns, and refuses the factory itself', () => {
    const kalisto = createKalisto({ caches: [mapCache({ name: 'tokens' })] });
    expect(kalisto.caches.names()).toEqual(['tokens']);
    expect(() => createKalisto({ caches: [mapCache as never] })).toThrow(/pass mapCache\(\)/);
  });
});
