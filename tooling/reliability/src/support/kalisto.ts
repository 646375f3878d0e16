/** A Kalisto with every protocol and token provider, as an application using the whole suite has. */
import { inspect } from 'node:util';
import { type CacheBackend, type Clock, createKalisto, type Kalisto, type Logger } from '@kalisto/core';
import { imap, imaps } from '@kalisto/protocol-imap';
import { pop3, pop3s } from '@kalisto/protocol-pop3';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import type { recordingLogger } from '@kalisto/test-support';
import { msalTokenProvider } from '@kalisto/token-msal';
import { oauth2TokenProvider } from '@kalisto/token-oauth2';

export interface SuiteKalistoOptions {
  caches?: readonly CacheBackend[];
  logger?: Logger;
  clock?: Clock;
}

export function suiteKalisto(options: SuiteKalistoOptions = {}): Kalisto {
  return createKalisto({
    protocols: [imap(), imaps(), pop3(), pop3s(), smtp(), smtps()],
    tokenProviders: [msalTokenProvider(), oauth2TokenProvider()],
    ...(options.caches === undefined ? {} : { caches: options.caches }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

type RecordedLine = ReturnType<typeof recordingLogger>['lines'][number];

/** A recorded log line as text: level, message and every field (errors with their causes). */
export function logLineText(line: RecordedLine): string {
  return `${line.level} ${line.msg ?? ''} ${inspect(line.obj, { depth: 8, breakLength: Number.POSITIVE_INFINITY })}`;
}
