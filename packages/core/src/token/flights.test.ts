import { describe, expect, it } from 'vitest';
import { createFlights } from './flights.js';

/** A request that answers when told to, and says whether it was aborted. */
function gate() {
  let open!: (value: string) => void;
  const aborted: unknown[] = [];
  const start = (signal: AbortSignal) => {
    starts++;
    signal.addEventListener('abort', () => aborted.push(signal.reason));
    return new Promise<string>((resolve) => {
      open = resolve;
    });
  };
  let starts = 0;
  return { start, open: (value: string) => open(value), aborted, starts: () => starts };
}

describe('createFlights', () => {
  it('shares one request among concurrent callers of a key, and starts a new one once it is over', async () => {
    const flights = createFlights<string>();
    const request = gate();
    const callers = [flights.join('k', request.start), flights.join('k', request.start)];
    request.open('token');
    expect(await Promise.all(callers)).toEqual(['token', 'token']);
    expect(request.starts()).toBe(1);
    const next = flights.join('k', request.start);
    request.open('again');
    expect(await next).toBe('again');
    expect(request.starts()).toBe(2);
  });

  it('lets a caller give up alone, and aborts the request once every caller has', async () => {
    const flights = createFlights<string>();
    const request = gate();
    const first = new AbortController();
    const second = new AbortController();
    const a = flights.join('k', request.start, first.signal);
    const b = flights.join('k', request.start, second.signal);
    first.abort(new Error('first gave up'));
    await expect(a).rejects.toThrow('first gave up');
    expect(request.aborted).toEqual([]);
    second.abort(new Error('second gave up'));
    await expect(b).rejects.toThrow('second gave up');
    expect(request.aborted).toEqual([second.signal.reason]);
  });

  it('starts nothing for a caller whose signal has already aborted', async () => {
    const flights = createFlights<string>();
    const request = gate();
    await expect(flights.join('k', request.start, AbortSignal.abort(new Error('too late')))).rejects.toThrow(
      'too late',
    );
    expect(request.starts()).toBe(0);
  });
});
