// proxy/ — the IMAP and POP3 listeners: a relay credential in front, the mailbox's Kalisto session
// (XOAUTH2) behind, bytes carried untouched after login.
export { createImapProxy, createPop3Proxy } from './create-proxies.js';
export type { UpstreamEndpoint, UpstreamFailureReply } from './errors.js';
export { IMAP_REPLIES } from './imap-connection.js';
export type { MailProxy } from './listener.js';
export {
  isLoopbackHost,
  type MailProxyOptions,
  PROXY_DEFAULTS,
  type ProxyLogin,
  type ProxyTlsMode,
  type ProxyTlsOptions,
  type ProxyTlsVersion,
} from './options.js';
export { POP3_REPLIES } from './pop3-connection.js';
