/** A source of the current time (epoch ms); replaced by a fake one in tests. */
export interface Clock {
  now(): number;
}

/** The real time. */
export const systemClock: Clock = { now: () => Date.now() };

/** Calls `onTimeout` after `ms` unless the returned function is called first; replaced in tests. */
export type Timer = (ms: number, onTimeout: () => void) => () => void;

/** Real timers that do not keep the process alive. */
export const systemTimer: Timer = (ms, onTimeout) => {
  const handle = setTimeout(onTimeout, ms);
  handle.unref?.();
  return () => clearTimeout(handle);
};
