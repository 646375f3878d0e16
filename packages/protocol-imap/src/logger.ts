/** ImapFlow's logger interface (one object per call) onto a pino-shaped Kalisto logger. */
import type { Logger } from '@kalisto/core';
import type { Logger as ImapFlowLogger } from 'imapflow';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * An ImapFlow logger writing through `logger` (the session's, which redacts tokens before anything
 * is written). ImapFlow's `msg` becomes the message; its other fields stay fields. ImapFlow's own
 * protocol log already hides the AUTHENTICATE payload; redaction is the second guard.
 */
export function imapflowLogger(logger: Logger): ImapFlowLogger {
  const forward =
    (level: Level) =>
    (entry: unknown): void => {
      if (typeof entry !== 'object' || entry === null) {
        logger[level]({}, String(entry));
        return;
      }
      const { msg, ...fields } = entry as { msg?: unknown };
      logger[level](fields, typeof msg === 'string' ? msg : undefined);
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
