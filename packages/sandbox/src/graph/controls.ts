/**
 * What tests turn and read on the Graph server while it runs: request counters per endpoint and
 * injected throttling (429 or 503 with `Retry-After`) per mailbox.
 */

/** The Graph endpoints the sandbox counts requests for (`hooks.graph.requestCounts()`). */
export const GRAPH_REQUEST_KINDS = [
  'sendMail',
  'createMessage',
  'getMessage',
  'getMime',
  'updateMessage',
  'deleteMessage',
  'moveMessage',
  'copyMessage',
  'sendDraft',
  'listAttachments',
  'addAttachment',
  'createUploadSession',
  'uploadChunk',
  'listFolders',
  'getFolder',
  'listChildFolders',
  'listMessages',
  'delta',
  'other',
] as const;

export type GraphRequestKind = (typeof GRAPH_REQUEST_KINDS)[number];

/** An injected throttling answer (`hooks.graph.throttle`). */
export interface GraphThrottleOptions {
  /** How many requests to the mailbox get this answer before requests pass again. Default 1. */
  times?: number;
  /** `Retry-After`, seconds. Default 1. */
  retryAfterSeconds?: number;
  /** 429 (Exchange's ApplicationThrottled) or 503 (service unavailable). Default 429. */
  status?: 429 | 503;
  /** The error code. Default `ApplicationThrottled` for 429, `ServiceNotAvailable` for 503. */
  code?: string;
  /** The error message. Default Exchange's wording for the status. */
  message?: string;
}

/** A throttling answer as the server gives it. */
export interface GraphThrottle {
  readonly status: 429 | 503;
  readonly retryAfterSeconds: number;
  readonly code: string;
  readonly message: string;
}

const DEFAULTS: Record<429 | 503, { code: string; message: string }> = {
  429: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' },
  503: {
    code: 'ServiceNotAvailable',
    message: 'The service is temporarily unavailable. Try the request again after a delay.',
  },
};

/** Counters and throttles, shared by the Graph server and `sandbox.hooks.graph`. */
export class GraphControls {
  readonly #counts = new Map<GraphRequestKind, number>();
  /** Lower-case mailbox address (or `*`) → queue of throttles with the requests they still answer. */
  readonly #throttles = new Map<string, { throttle: GraphThrottle; remaining: number }[]>();

  count(kind: GraphRequestKind): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  requestCounts(): Record<GraphRequestKind, number> {
    return Object.fromEntries(GRAPH_REQUEST_KINDS.map((k) => [k, this.#counts.get(k) ?? 0])) as Record<
      GraphRequestKind,
      number
    >;
  }

  resetCounts(): void {
    this.#counts.clear();
  }

  /** Answers the next `times` requests to `mailbox` (`*` = any mailbox) with a throttling error. */
  throttle(mailbox: string, options: GraphThrottleOptions = {}): void {
    const status = options.status ?? 429;
    const times = options.times ?? 1;
    if (times <= 0) return;
    const key = mailbox.toLowerCase();
    const queue = this.#throttles.get(key) ?? [];
    queue.push({
      throttle: {
        status,
        retryAfterSeconds: options.retryAfterSeconds ?? 1,
        code: options.code ?? DEFAULTS[status].code,
        message: options.message ?? DEFAULTS[status].message,
      },
      remaining: times,
    });
    this.#throttles.set(key, queue);
  }

  /** The throttle for a request to `mailbox`, if any (consumes one use; the mailbox's own first). */
  takeThrottle(mailbox: string): GraphThrottle | undefined {
    for (const key of [mailbox.toLowerCase(), '*']) {
      const queue = this.#throttles.get(key);
      const head = queue?.[0];
      if (!queue || !head) continue;
      head.remaining -= 1;
      if (head.remaining <= 0) queue.shift();
      if (queue.length === 0) this.#throttles.delete(key);
      return head.throttle;
    }
    return undefined;
  }

  clearThrottles(): void {
    this.#throttles.clear();
  }
}
