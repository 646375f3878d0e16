export { createAuthVerifier } from './auth-verifier.js';
export type * from './contracts.js';
export { AADSTS, type AadstsCode } from './identity/aadsts.js';
export { type AppCertificate, createAppCertificate } from './identity/app-certificate.js';
export type { IntrospectionResponse } from './identity/introspection.js';
export * from './msal-config.js';
export * from './options.js';
export * from './properties.js';
export * from './sandbox.js';
export type {
  DeviceCodeRecord,
  IdentityRequestKind,
  IssuedToken,
  SandboxApp,
  SandboxMailboxEntry,
  SandboxTenant,
  SandboxUser,
  TokenFault,
} from './state.js';
export { SandboxState } from './state.js';
export * from './tls.js';
