/** One request in progress for a key, shared by every caller that asks meanwhile. */
interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers still waiting; when the last one aborts, the flight is aborted. */
  waiters: number;
}

/** Single flight inside one process: concurrent callers of one key share one request. */
export interface Flights<T> {
  /**
   * Joins the flight under `key`, starting it with `start` when there is none. A caller's `signal`
   * abandons only its own wait; the flight is aborted (through the signal `start` got) once every
   * waiter has given up.
   */
  join(key: string, start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Whether a flight is in progress under `key` (a `join` now would wait for it). */
  has(key: string): boolean;
}

export function createFlights<T>(): Flights<T> {
  const flights = new Map<string, Flight<T>>();

  function begin(key: string, start: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const flight: Flight<T> = { controller, waiters: 0, promise: undefined as unknown as Promise<T> };
    flight.promise = start(controller.signal).finally(() => {
      if (flights.get(key) === flight) flights.delete(key);
    });
    // Rejections reach each waiter through join(); this keeps an abandoned flight from being "unhandled".
    flight.promise.catch(() => {});
    flights.set(key, flight);
    return flight;
  }

  return {
    has: (key) => flights.has(key),
    async join(key, start, signal) {
      signal?.throwIfAborted();
      const flight = flights.get(key) ?? begin(key, start);
      flight.waiters++;
      try {
        return await (signal === undefined ? flight.promise : raceAbort(flight.promise, signal));
      } finally {
        flight.waiters--;
        if (signal?.aborted && flight.waiters === 0) flight.controller.abort(signal.reason);
      }
    },
  };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
