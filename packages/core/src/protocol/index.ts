// protocol/ — protocol providers: their interface and typed clients, the shared TLS context, and
// the login that retries once with a fresh token.

export {
  CONNECT_RESET_RETRY,
  isConnectionReset,
  type RetryConnectResetOptions,
  retryConnectReset,
} from './connect-retry.js';
export {
  INCURABLE_FINDINGS,
  isCurableRefusal,
  loginWithTokenRetry,
  RETRYABLE_REFUSAL_CODES,
} from './login-retry.js';
export { requireMailUser } from './mail-user.js';
export { isPlainTextReply, plainPortHint } from './plain-port.js';
export { type TrustedSecureContextOptions, trustedSecureContext } from './tls-context.js';
export type {
  ProtocolClient,
  ProtocolClients,
  ProtocolContext,
  ProtocolName,
  ProtocolProvider,
  ProtocolType,
  StoreClient,
  StoreClients,
  TransportClient,
  TransportClients,
} from './types.js';
