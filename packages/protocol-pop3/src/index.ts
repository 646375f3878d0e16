export { chooseMechanism, type Pop3Capabilities, parseCapabilities } from './capabilities.js';
export {
  type Pop3Endpoint,
  Pop3ReplyError,
  type Pop3ReplyErrorOptions,
  type Pop3StatusLine,
} from './errors.js';
export { POP3_DEFAULTS, type Pop3ConnectOptions, pop3OptionsFromSettings } from './options.js';
export { connectPop3, Pop3Client } from './pop3-client.js';
export { pop3, pop3s } from './provider.js';
export {
  DEFAULT_MAX_LINE_LENGTH,
  DEFAULT_MAX_RESPONSE_BYTES,
  type Pop3ReplyHandler,
  type Pop3ReplyKind,
  Pop3ResponseParser,
  type Pop3ResponseParserOptions,
} from './response-parser.js';
// Every shape of the client's results is public.
export type * from './types.js';
