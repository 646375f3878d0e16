import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Kalisto, Logger } from '@kalisto/core';
import type { DeviceCodeInfo, MsalTokenProviderOptions } from '@kalisto/token-msal';

export interface CliKalistoOptions {
  logger: Logger;
  /** Shows the device code sign-in instruction (flow `device_code`). */
  onDeviceCode: (info: DeviceCodeInfo) => void;
  /** More options of the `msal` token provider (`kalisto login`'s sign-in). */
  msal?: MsalTokenProviderOptions;
  /** The environment: `KALISTO_CACHE_FILE` (and `KALISTO_CACHE_KEY`, read by the file cache). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Register the `file` cache (only when the configuration names it: creating it warns when unencrypted). */
  fileCache?: boolean;
}

/** Where `websphere.cache=file` keeps tokens unless `KALISTO_CACHE_FILE` says otherwise. */
export function defaultCacheFile(env: Readonly<Record<string, string | undefined>>): string {
  return env.KALISTO_CACHE_FILE || join(homedir(), '.kalisto', 'token-cache.json');
}

/**
 * The CLI's Kalisto: the `@kalisto/outlook` preset (all six protocol providers, `msal`, a memory
 * cache that also answers to a WebSphere `websphere.cache` name, the `file` cache when named) plus
 * the `oauth2` token provider.
 * The plugins load on first use, so that `config`, `import-websphere` and `--help` start without
 * MSAL, imapflow and nodemailer.
 */
export async function createCliKalisto(options: CliKalistoOptions): Promise<Kalisto> {
  const [{ createOutlook }, { oauth2TokenProvider }, { fileCache }] = await Promise.all([
    import('@kalisto/outlook'),
    import('@kalisto/token-oauth2'),
    import('@kalisto/cache-file'),
  ]);
  const env = options.env ?? process.env;
  return createOutlook({
    logger: options.logger,
    onDeviceCode: options.onDeviceCode,
    ...(options.msal === undefined ? {} : { msal: options.msal }),
    // websphere.cache=file: tokens (and `kalisto login`'s refresh token) outlive the process;
    // encrypted with KALISTO_CACHE_KEY (32 bytes), which the file cache reads itself.
    ...(options.fileCache ? { caches: [fileCache({ path: defaultCacheFile(env), name: 'file' })] } : {}),
    tokenProviders: [oauth2TokenProvider()],
  });
}
