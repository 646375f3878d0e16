export {
  advertisedMechanisms,
  type LoginPolicy,
  narrowMechanisms,
  OAuthImapFlow,
  tokenExpiryOf,
} from './client.js';
export {
  connectionClosedError,
  type ImapEndpoint,
  type ImapLoginContext,
  imapLoginError,
  mechanismUnavailableError,
  type ResponseTooLargeError,
  responseTooLargeError,
  timeoutError,
  tlsError,
  tlsRequiredError,
} from './errors.js';
export { imapflowLogger } from './logger.js';
export { allowedMechanisms, IMAP_DEFAULTS, imapFlowOptions, responseLimits } from './options.js';
export { imap, imaps } from './provider.js';
export type { LimitExceeded, ResponseBound, ResponseLimits } from './response-guard.js';
export {
  DEFAULT_WATCH_QUERY,
  renewalDelay,
  type WatchErrorInfo,
  type WatchFailureKind,
  type WatchHandle,
  type WatchHandler,
  type WatchMessageContext,
  type WatchOptions,
  type WatchPosition,
  type WatchStart,
  watch,
  watchFailureKind,
} from './watch.js';
