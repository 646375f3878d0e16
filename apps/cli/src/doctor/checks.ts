/**
 * The doctor's check runner: checks run in order; one whose prerequisite failed (or was skipped) is
 * skipped and says which, so every independent check still reports.
 */
import { isKalistoError } from '@kalisto/core';
import { type ExitCode, exitCodeFor } from '../exit-codes.js';
import { withCliHint } from '../hints.js';

export interface Check {
  /** Stable id, e.g. `tls:imaps`; prerequisites refer to it. */
  readonly id: string;
  readonly title: string;
  /** Ids of checks that must pass first. */
  readonly needs: readonly string[];
  /**
   * Does the check; resolves with a one-line finding, or a {@link CheckWarning} for something that
   * works but should be fixed; rejects with the problem.
   */
  run(): Promise<string | CheckWarning>;
}

/** A check that passed with a finding to act on: printed with its fix, the exit code stays 0. */
export interface CheckWarning {
  readonly warning: string;
  readonly fix: string;
  readonly code: string;
  /** What the check found, as for a pass. */
  readonly detail?: string;
}

/** `warning` passed (dependent checks run) but has a problem and a fix to show. */
export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What the check found (ok) or why it was skipped. */
  readonly detail?: string;
  /** The problem (failed, warning). */
  readonly problem?: string;
  /** What to do about it, in words (failed, warning). */
  readonly fix?: string;
  /** The error's or warning's stable code (failed, warning). */
  readonly code?: string;
  /** The exit code this failure means (failed). */
  readonly exitCode?: ExitCode;
}

/** Splits an error into the problem and the fix: Kalisto messages often end with their hint. */
export function problemAndFix(error: unknown): {
  problem: string;
  fix: string | undefined;
  code: string | undefined;
} {
  if (!isKalistoError(error)) {
    return {
      problem: error instanceof Error ? error.message : String(error),
      fix: undefined,
      code: undefined,
    };
  }
  const hint = error.hint?.trim();
  if (!hint) return { problem: error.message, fix: undefined, code: error.code };
  const problem = error.message.includes(hint)
    ? error.message.replace(hint, '').replace(/\s+$/, '')
    : error.message;
  return { problem: problem.replace(/\s{2,}/g, ' '), fix: hint, code: error.code };
}

/** Runs every check in order, reporting each result as it is known. */
export async function runChecks(
  checks: readonly Check[],
  onResult: (result: CheckResult) => void,
): Promise<CheckResult[]> {
  const results = new Map<string, CheckResult>();
  for (const check of checks) {
    const blocked = check.needs
      .map((id) => results.get(id))
      .filter((r) => r !== undefined && (r.status === 'failed' || r.status === 'skipped'));
    let result: CheckResult;
    if (blocked.length > 0) {
      result = {
        id: check.id,
        title: check.title,
        status: 'skipped',
        detail: `skipped: needs ${blocked.map((r) => r!.title).join(', ')}`,
      };
    } else {
      try {
        const found = await check.run();
        result =
          typeof found === 'string'
            ? { id: check.id, title: check.title, status: 'ok', detail: found }
            : {
                id: check.id,
                title: check.title,
                status: 'warning',
                ...(found.detail === undefined ? {} : { detail: found.detail }),
                problem: found.warning,
                fix: found.fix,
                code: found.code,
              };
      } catch (raw) {
        const error = withCliHint(raw);
        result = {
          id: check.id,
          title: check.title,
          status: 'failed',
          ...problemAndFix(error),
          exitCode: exitCodeFor(error),
        };
      }
    }
    results.set(check.id, result);
    onResult(result);
  }
  return [...results.values()];
}
