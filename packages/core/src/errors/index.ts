// errors/ — the error classes, the wrapping of plugin failures, and the classifiers that turn what
// identity platforms and mail servers say into a code and a fix (rules as data, logic apart).

export { classifyMailError, type MailErrorInput } from './classify-mail.js';
export { classifyTokenError, type TokenErrorInput } from './classify-token.js';
export {
  AuthenticationError,
  type AuthenticationErrorOptions,
  CacheError,
  ConfigError,
  type ConfigErrorOptions,
  type ConfigIssue,
  ConnectionError,
  type ConnectionErrorOptions,
  isKalistoError,
  KalistoError,
  type KalistoErrorOptions,
  TokenError,
  type TokenErrorOptions,
} from './errors.js';
export { type PluginFailure, type PluginKind, scrubbedError, wrapPluginError } from './plugin-error.js';
export { scrubTokenLike } from './server-text.js';
