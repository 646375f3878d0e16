/** `pnpm demo`: runs the tour; exit code 1 when any step failed. */
import { runTour } from './tour.js';

const outcome = await runTour();
process.exitCode = outcome.ok ? 0 : 1;
