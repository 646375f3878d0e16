/** What a scenario is, what it may ask of the runner, and how it states what it saw. */

/** `quick`: the CI form (short soak). `full`: the documented form (10-minute soak). */
export type Mode = 'quick' | 'full';

/** What the scenario process gives each scenario. */
export interface ScenarioContext {
  readonly mode: Mode;
  /** Runs `cleanup` when the scenario ends, however it ends (last registered first). */
  defer(cleanup: () => unknown): void;
  /** A fresh directory, removed at the end. */
  tmpDir(): Promise<string>;
  /** A progress line on stderr. */
  log(message: string): void;
}

/** One row of REPORT.md, as the scenario saw it. */
export interface Outcome {
  /** The facts observed (error class and code, counts, what was (not) found). */
  observed: string[];
  /** Information only, never judged: RSS, bytes, durations. */
  figures: string[];
  /** Every expectation that did not hold; none means the scenario passed. */
  failures: string[];
}

export interface Scenario {
  /** Unique inside its module; the full name is `<module>/<id>`. */
  readonly id: string;
  readonly title: string;
  /** What was done to the system. */
  readonly injected: string;
  /** What must hold for the scenario to pass. */
  readonly expected: string;
  /** Past this the scenario fails with "timed out" and its processes are killed. */
  readonly deadlineMs: number | Readonly<Record<Mode, number>>;
  /** Needs the machine to itself (load and soak): nothing runs beside it. */
  readonly exclusive?: boolean;
  run(context: ScenarioContext): Promise<Outcome>;
}

/** What a report row says of a scenario before it runs. */
export type ScenarioText = Pick<Scenario, 'id' | 'title' | 'injected' | 'expected'>;

/** Just the text fields of `c` (a case description that carries more). */
export function textOf({ id, title, injected, expected }: ScenarioText): ScenarioText {
  return { id, title, injected, expected };
}

/** A scenario whose body collects {@link Findings}. */
export function scenarioOf(
  meta: Omit<Scenario, 'run'>,
  run: (context: ScenarioContext) => Promise<Findings>,
): Scenario {
  return { ...meta, run: async (context) => (await run(context)).outcome() };
}

export function deadlineOf(scenario: Scenario, mode: Mode): number {
  return typeof scenario.deadlineMs === 'number' ? scenario.deadlineMs : scenario.deadlineMs[mode];
}

/** Collects what a scenario observed and which expectations failed. */
export class Findings {
  readonly #observed: string[] = [];
  readonly #figures: string[] = [];
  readonly #failures: string[] = [];

  /** Records a fact. */
  fact(text: string): this {
    this.#observed.push(text);
    return this;
  }

  /** Records a figure (information only). */
  figure(text: string): this {
    this.#figures.push(text);
    return this;
  }

  /** Records `fact`, and `failure` (default: "not: <fact>") when `ok` is false. Returns `ok`. */
  check(ok: boolean, fact: string, failure = `expected otherwise: ${fact}`): boolean {
    this.#observed.push(fact);
    if (!ok) this.#failures.push(failure);
    return ok;
  }

  /** Records a failure without a fact of its own. */
  fail(failure: string): this {
    this.#failures.push(failure);
    return this;
  }

  outcome(): Outcome {
    return { observed: [...this.#observed], figures: [...this.#figures], failures: [...this.#failures] };
  }
}
