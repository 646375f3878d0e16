/**
 * Exchange's per-mailbox submission limits: concurrent authenticated sessions ("sender thread
 * limit") and an optional message quota over a sliding window.
 */
import type { SubmissionQuota } from './options.js';

export class SenderLimits {
  readonly #sessions = new Map<string, number>();
  readonly #submissions = new Map<string, number[]>();

  constructor(
    private readonly maxSessions: number,
    private readonly quota: SubmissionQuota | undefined,
    private readonly now: () => number,
  ) {}

  /** Takes a session slot for `mailbox`; false when all are in use. */
  acquireSession(mailbox: string): boolean {
    const open = this.#sessions.get(mailbox) ?? 0;
    if (open >= this.maxSessions) return false;
    this.#sessions.set(mailbox, open + 1);
    return true;
  }

  releaseSession(mailbox: string): void {
    const open = (this.#sessions.get(mailbox) ?? 0) - 1;
    if (open > 0) this.#sessions.set(mailbox, open);
    else this.#sessions.delete(mailbox);
  }

  activeSessions(mailbox: string): number {
    return this.#sessions.get(mailbox) ?? 0;
  }

  /** Counts one message against the quota; false (and not counted) when the quota is used up. */
  trySubmit(mailbox: string): boolean {
    if (!this.quota) return true;
    const now = this.now();
    const recent = (this.#submissions.get(mailbox) ?? []).filter((at) => now - at < this.quota!.windowMs);
    if (recent.length >= this.quota.messages) {
      this.#submissions.set(mailbox, recent);
      return false;
    }
    recent.push(now);
    this.#submissions.set(mailbox, recent);
    return true;
  }
}
