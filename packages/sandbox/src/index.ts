export { createAuthVerifier } from './auth-verifier.js';
export type * from './contracts.js';
export {
  GRAPH_REQUEST_KINDS,
  type GraphRequestKind,
  type GraphServerOptions,
  type GraphThrottleOptions,
  type RunningGraphServer,
  startGraphServer,
} from './graph/index.js';
export { AADSTS, type AadstsCode } from './identity/aadsts.js';
export { type AppCertificate, createAppCertificate } from './identity/app-certificate.js';
export type { IntrospectionResponse } from './identity/introspection.js';
export { type ImapBehaviour, type ImapServerOptions, startImapServer } from './imap/index.js';
export { createMailStore, DEFAULT_FOLDERS, type MailStoreOptions } from './mail-store.js';
export * from './msal-config.js';
export * from './options.js';
export { type Pop3Behaviour, type Pop3ServerOptions, startPop3Server } from './pop3/index.js';
export * from './properties.js';
export * from './sandbox.js';
export {
  type ParsedSaslAuthCommand,
  parseOAuthBearerResponse,
  parseSaslAuthCommand,
  parseSaslResponse,
  parseXOAuth2Response,
} from './sasl.js';
export { type SmtpBehaviour, type SmtpServerOptions, startSmtpServer } from './smtp/index.js';
export type {
  DeviceCodeRecord,
  IdentityRequestKind,
  IssuedToken,
  SandboxAccessPolicy,
  SandboxApp,
  SandboxGraphTenant,
  SandboxMailboxEntry,
  SandboxTenant,
  SandboxUser,
  TokenFault,
} from './state.js';
export { SandboxState } from './state.js';
export * from './tls.js';
