export { chooseMechanism, type Pop3Capabilities, parseCapabilities } from './capabilities.js';
export {
  type Pop3Endpoint,
  Pop3ReplyError,
  type Pop3ReplyErrorOptions,
  type Pop3StatusLine,
} from './errors.js';
export { POP3_DEFAULTS, type Pop3ConnectOptions, pop3OptionsFromSettings } from './options.js';
export {
  connectPop3,
  type Pop3BatchOptions,
  Pop3Client,
  type Pop3Credentials,
  type Pop3DownloadedMessage,
  type Pop3ListEntry,
  type Pop3Message,
  type Pop3Stat,
  type Pop3UidlEntry,
} from './pop3-client.js';
export { pop3, pop3s } from './provider.js';
export {
  DEFAULT_MAX_LINE_LENGTH,
  type Pop3ReplyHandler,
  type Pop3ReplyKind,
  Pop3ResponseParser,
  type Pop3ResponseParserOptions,
} from './response-parser.js';
