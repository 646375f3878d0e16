/**
 * The client side of the endless-body test, in its own process so that its memory is its own.
 * KALISTO_TEST_PROVIDER is `<module path>#<export>` of a token provider factory; the provider runs
 * once per property map in KALISTO_TEST_RUNS (a JSON array; the first one warms up TLS and the
 * HTTP stack). Per run it reports the outcome and how far the resident set grew above where it
 * stood before that run (the peak, sampled while the run lasts).
 */
import { pathToFileURL } from 'node:url';
import { isKalistoError, resolveConfig, type TokenError, type TokenProviderDefinition } from '@kalisto/core';

const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const [path, name] = (process.env.KALISTO_TEST_PROVIDER ?? '').split('#') as [string, string];
const factory = (await import(pathToFileURL(path).href))[name] as (options: {
  noProxy: string;
}) => TokenProviderDefinition;
const runs = JSON.parse(process.env.KALISTO_TEST_RUNS ?? '[]') as Record<string, string>[];
const silent = { debug() {}, info() {}, warn() {}, error() {} };

for (const properties of runs) {
  const config = resolveConfig(properties);
  const provider = factory({ noProxy: '' }).create({ config, cache: undefined, logger: silent });
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let outcome: Record<string, unknown>;
  try {
    await provider.getToken({ scopes: config.oauth.scopes });
    outcome = { event: 'token' };
  } catch (error) {
    const e = error as TokenError;
    outcome = isKalistoError(error)
      ? { event: 'error', code: e.code, message: e.message, transient: e.transient }
      : { event: 'error', name: e.name, message: e.message };
  } finally {
    clearInterval(sampler);
    await provider.close?.();
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  report({ ...outcome, rssGrowthBytes: peak - baseline });
}
