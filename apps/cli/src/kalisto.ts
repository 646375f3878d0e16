import type { Kalisto, Logger } from '@kalisto/core';
import type { DeviceCodeInfo } from '@kalisto/token-msal';

export interface CliKalistoOptions {
  logger: Logger;
  /** Shows the device code sign-in instruction (flow `device_code`). */
  onDeviceCode: (info: DeviceCodeInfo) => void;
}

/**
 * The CLI's Kalisto: all six protocol providers, the `msal` and `oauth2` token providers and a
 * memory cache (one process, one run: nothing to share). The plugins load on first use, so that
 * `config`, `import-websphere` and `--help` start without MSAL, imapflow and nodemailer.
 */
export async function createCliKalisto(options: CliKalistoOptions): Promise<Kalisto> {
  const [core, cache, imap, pop3, smtp, msal, oauth2] = await Promise.all([
    import('@kalisto/core'),
    import('@kalisto/cache-memory'),
    import('@kalisto/protocol-imap'),
    import('@kalisto/protocol-pop3'),
    import('@kalisto/protocol-smtp'),
    import('@kalisto/token-msal'),
    import('@kalisto/token-oauth2'),
  ]);
  return core.createKalisto({
    protocols: [imap.imap(), imap.imaps(), pop3.pop3(), pop3.pop3s(), smtp.smtp(), smtp.smtps()],
    tokenProviders: [
      msal.msalTokenProvider({ onDeviceCode: options.onDeviceCode }),
      oauth2.oauth2TokenProvider(),
    ],
    caches: [cache.memoryCache()],
    logger: options.logger,
  });
}
