/**
 * A fuzz scenario: fast-check runs a target on 10,000 generated inputs; each must give a value or
 * throw a Kalisto error (never a crash, a plain TypeError or RangeError).
 */
import { inspect } from 'node:util';
import { isKalistoError } from '@kalisto/core';
import fc from 'fast-check';
import { Findings, type Scenario } from '../scenario.js';
import { summarizeError } from './errors.js';

/** Cases per target, in both forms. */
export const FUZZ_RUNS = 10_000;

export interface FuzzCase<T> {
  id: string;
  title: string;
  /** What is generated, in words. */
  inputs: string;
  arbitrary: fc.Arbitrary<T>;
  /** Runs the code under test on one input (its result is dropped). */
  target(input: T): unknown;
}

/** Throws (failing the case) unless `run` returns or throws a Kalisto error; counts the latter. */
function onlyValuesOrTyped<T>(target: (input: T) => unknown, counts: { typed: number }) {
  return (input: T) => {
    try {
      target(input);
    } catch (error) {
      if (!isKalistoError(error)) throw error;
      counts.typed++;
    }
  };
}

export function fuzzScenario<T>(c: FuzzCase<T>): Scenario {
  return {
    id: c.id,
    title: `Fuzz: ${c.title}`,
    injected: `${FUZZ_RUNS.toLocaleString('en')} generated inputs: ${c.inputs}`,
    expected: 'every input gives a value or a Kalisto error (never a crash, TypeError or RangeError)',
    deadlineMs: 180_000,
    async run() {
      const counts = { typed: 0 };
      const started = Date.now();
      const result = fc.check(fc.property(c.arbitrary, onlyValuesOrTyped(c.target, counts)), {
        numRuns: FUZZ_RUNS,
      });
      const findings = new Findings();
      if (result.failed) {
        const error = summarizeError(result.errorInstance);
        const example = inspect(result.counterexample, {
          depth: 3,
          maxStringLength: 60,
          breakLength: Number.POSITIVE_INFINITY,
        });
        findings.check(
          false,
          `after ${result.numRuns} runs: ${error.name}: ${error.message} on ${example.slice(0, 160)} (seed ${result.seed}, path ${result.counterexamplePath})`,
        );
      } else {
        findings.check(
          true,
          `${result.numRuns.toLocaleString('en')} inputs, none crashed: ${counts.typed.toLocaleString('en')} Kalisto errors, the rest values`,
        );
      }
      findings.figure(`seed ${result.seed}`);
      findings.figure(`${((Date.now() - started) / 1000).toFixed(1)} s`);
      return findings.outcome();
    },
  };
}
