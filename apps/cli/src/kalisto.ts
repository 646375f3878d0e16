import type { Kalisto, Logger } from '@kalisto/core';
import type { DeviceCodeInfo } from '@kalisto/token-msal';

export interface CliKalistoOptions {
  logger: Logger;
  /** Shows the device code sign-in instruction (flow `device_code`). */
  onDeviceCode: (info: DeviceCodeInfo) => void;
}

/**
 * The CLI's Kalisto: the `@kalisto/outlook` preset (all six protocol providers, `msal`, a memory
 * cache that also answers to a WebSphere `websphere.cache` name) plus the `oauth2` token provider.
 * The plugins load on first use, so that `config`, `import-websphere` and `--help` start without
 * MSAL, imapflow and nodemailer.
 */
export async function createCliKalisto(options: CliKalistoOptions): Promise<Kalisto> {
  const [{ createOutlook }, { oauth2TokenProvider }] = await Promise.all([
    import('@kalisto/outlook'),
    import('@kalisto/token-oauth2'),
  ]);
  return createOutlook({
    logger: options.logger,
    onDeviceCode: options.onDeviceCode,
    tokenProviders: [oauth2TokenProvider()],
  });
}
