import { runCacheBackendSuite } from '@kalisto/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { mapCache } from './map-cache.example.js';

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'README example (map)',
    create: () => mapCache(),
    supportsLock: false,
  },
);
