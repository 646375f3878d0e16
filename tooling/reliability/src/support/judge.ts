/** The judgements most scenarios share: a typed Kalisto error, nothing secret said, bounded memory. */
import type { Findings } from '../scenario.js';
import { type ClientRun, clientEnd } from './client-process.js';
import { type ErrorSummary, errorLabel } from './errors.js';

/** Client RSS growth over its baseline allowed while a hostile server floods it, MB. */
export const RSS_BOUND_MB = 64;

export interface ExpectedError {
  /** Core's class: ConnectionError, TokenError, ConfigError, AuthenticationError, CacheError. */
  class: string;
  /** When given, the code must be one of these (else any code of that class). */
  codes?: readonly string[];
  /** Accept the Kalisto error as a `cause` of what the call threw (a library's own client API). */
  asCause?: boolean;
  /** Text the message must contain (e.g. the property at fault). */
  mentions?: string;
}

/** Checks an error summary against `expected`; records what was seen (after `label`, when given). */
export function judgeError(
  findings: Findings,
  error: ErrorSummary,
  expected: ExpectedError,
  label?: string,
): void {
  const k = error.kalisto;
  const seen = `${label === undefined ? '' : `${label}: `}${errorLabel(error)}${k && k.depth > 0 ? ` (cause: ${k.class} ${k.code})` : ''}: "${error.message}"`;
  const typed =
    k !== undefined &&
    k.class === expected.class &&
    (k.depth === 0 || expected.asCause === true) &&
    (expected.codes === undefined || expected.codes.includes(k.code)) &&
    (expected.mentions === undefined || error.message.includes(expected.mentions));
  const want = `a Kalisto ${expected.class}${expected.codes ? ` (${expected.codes.join('/')})` : ''}${expected.mentions ? ` naming ${expected.mentions}` : ''}`;
  findings.check(typed, seen, `expected ${want}, got ${errorLabel(error)}`);
  findings.check(
    error.leaks.length === 0,
    error.leaks.length === 0
      ? 'the error says no secret or token'
      : `the error leaks ${error.leaks.join(', ')}`,
  );
}

/** Judges a client run that must end in `expected` with its RSS under {@link RSS_BOUND_MB}. */
export function judgeClientFailure(findings: Findings, run: ClientRun, expected: ExpectedError): void {
  const result = run.result;
  if (result?.event === 'error') judgeError(findings, result.error as ErrorSummary, expected);
  else if (result?.event === 'result') findings.check(false, `no error: ${JSON.stringify(result)}`);
  else findings.check(false, clientEnd(run));
  judgeGrowth(findings, run);
}

/** RSS growth under the bound, and the memory and time figures. */
export function judgeGrowth(findings: Findings, run: ClientRun, boundMb = RSS_BOUND_MB): void {
  findings.check(
    run.baselineMb !== undefined && run.growthMb < boundMb,
    `client RSS +${run.growthMb.toFixed(1)} MB (bound ${boundMb} MB)`,
  );
  runFigures(findings, run);
}

/** The memory and time figures of a client run (information only). */
export function runFigures(findings: Findings, run: ClientRun): void {
  if (run.baselineMb !== undefined) {
    findings.figure(`RSS ${run.baselineMb.toFixed(0)} → peak ${run.peakMb.toFixed(0)} MB`);
  }
  const elapsed = run.result?.elapsedMs;
  if (typeof elapsed === 'number') findings.figure(`answer after ${(elapsed / 1000).toFixed(1)} s`);
}
