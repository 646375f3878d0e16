import { describe, expect, it } from 'vitest';
import { APP, resolveError } from '../../test/config-fixtures.js';
import { resolveConfig } from './resolve.js';

/**
 * `count` custom `mail.<x>.*` properties, four per protocol: a host, a port, a property Kalisto
 * does not know and a near miss of `timeout` (a warning). `broken`: `prot` instead of `port`, so
 * that every protocol is reported, with a near-miss hint.
 */
function customProperties(count: number, broken: boolean): Record<string, string> {
  const properties: Record<string, string> = { ...APP };
  for (let i = 0; i < count / 4; i++) {
    properties[`mail.custom${i}.host`] = `mail${i}.example`;
    properties[broken ? `mail.custom${i}.prot` : `mail.custom${i}.port`] = '25';
    properties[`mail.custom${i}.keepalive`] = 'true';
    properties[`mail.custom${i}.tiemout`] = '1000';
  }
  return properties;
}

/** CPU time of the fastest of three runs of `run`, in µs (CPU time: other processes do not count). */
function cpuMicros(run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

// Each test resolves 5,000 properties four times: generous timeouts for a busy machine.
describe('resolving many custom mail.<x>.* properties', { timeout: 120_000 }, () => {
  it('resolves 5,000 of them, and 10 times as many costs far less than the 100 times of a quadratic loop', () => {
    const small = customProperties(500, false);
    const large = customProperties(5_000, false);
    const config = resolveConfig(large);
    expect(Object.keys(config.protocols)).toHaveLength(6 + 1 + 1_250); // the six, graph, the custom ones
    expect(config.warnings).toHaveLength(1_250);
    expect(config.protocols.custom1?.port).toBe(25);

    const ratio = cpuMicros(() => resolveConfig(large)) / cpuMicros(() => resolveConfig(small));
    // Measured here: about 13 after the fix, 63 before (the quadratic loops); linear would be 10.
    expect(ratio).toBeLessThan(40);
  });

  it('reports 5,000 broken ones, each with its near-miss hint, in comparable time', () => {
    const small = customProperties(500, true);
    const large = customProperties(5_000, true);
    const issues = (properties: Record<string, string>) => resolveError(properties).issues;
    const reported = issues(large);
    expect(reported).toHaveLength(1_250);
    expect(reported[0]?.expected).toContain('found "mail.custom0.prot": did you mean mail.custom0.port?');

    const ratio = cpuMicros(() => issues(large)) / cpuMicros(() => issues(small));
    expect(ratio).toBeLessThan(40);
  });
});
