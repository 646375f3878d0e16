import { kalistoProject } from '@kalisto/vitest-config';

// Packing needs built packages: the suite builds them first (turbo's cache makes that quick after `pnpm check`).
export default kalistoProject('pack-check', { testTimeout: 120_000, hookTimeout: 600_000 });
