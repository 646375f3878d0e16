/** The scenario modules, one per area, loaded on demand (a scenario process imports only its own). */
import type { Scenario } from '../scenario.js';

type ScenarioModule = { scenarios: readonly Scenario[] };

export const MODULES: Readonly<Record<string, () => Promise<ScenarioModule>>> = {
  'hostile-imap': () => import('./hostile-imap.js'),
  'hostile-pop3': () => import('./hostile-pop3.js'),
  'hostile-smtp': () => import('./hostile-smtp.js'),
  'hostile-token': () => import('./hostile-token.js'),
  identity: () => import('./identity.js'),
  'cache-redis': () => import('./cache-redis.js'),
  'cache-file': () => import('./cache-file.js'),
  'credential-binding': () => import('./credential-binding.js'),
  'mail-reset': () => import('./mail-reset.js'),
  'mail-reset-interop': () => import('./mail-reset-interop.js'),
  config: () => import('./config.js'),
  'fuzz-config': () => import('./fuzz-config.js'),
  'fuzz-protocol': () => import('./fuzz-protocol.js'),
  'secrets-library': () => import('./secrets-library.js'),
  'secrets-cli': () => import('./secrets-cli.js'),
  load: () => import('./load.js'),
  relay: () => import('./relay.js'),
};

/** A scenario with its full name `<module>/<id>`. */
export interface NamedScenario {
  name: string;
  scenario: Scenario;
}

/** Stands for a module that does not load (a package it imports is broken): it fails, the run goes on. */
function unloadable(module: string, error: unknown): NamedScenario {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    name: `${module}/load`,
    scenario: {
      id: 'load',
      title: `${module}: the scenario module loads`,
      injected: '-',
      expected: 'the module and the packages it imports load',
      deadlineMs: 60_000,
      run: async () => ({ observed: [reason], figures: [], failures: ['the module does not load'] }),
    },
  };
}

/** Every scenario, in report order. */
export async function allScenarios(): Promise<NamedScenario[]> {
  const named: NamedScenario[] = [];
  for (const [module, load] of Object.entries(MODULES)) {
    try {
      for (const scenario of (await load()).scenarios)
        named.push({ name: `${module}/${scenario.id}`, scenario });
    } catch (error) {
      named.push(unloadable(module, error));
    }
  }
  return named;
}

export async function findScenario(name: string): Promise<Scenario> {
  const [module = '', id] = name.split('/');
  const load = MODULES[module];
  const scenario = load && (await load()).scenarios.find((s) => s.id === id);
  if (scenario === undefined) throw new Error(`no scenario "${name}"`);
  return scenario;
}
