export { CLOUD_PRESETS, type CloudPreset } from './clouds.js';
export { type ConfigRow, describeConfig, formatConfig } from './describe.js';
export { environmentName } from './environment.js';
export type { ConfigInput, PropertyValue } from './input.js';
export { parseProperties, stringifyProperties } from './properties-text.js';
export {
  CLOUD_NAMES,
  findProperty,
  MAIL_PROTOCOLS,
  OAUTH_FLOWS,
  PROPERTY_TABLE,
  PROTOCOL_DEFAULTS,
  type PropertyDefinition,
  type PropertyKind,
} from './property-table.js';
export { isSecretProperty } from './redaction.js';
export { type ResolveConfigOptions, resolveConfig } from './resolve.js';
export { Secret } from './secret.js';
export {
  BUILT_IN_SECRET_DECODERS,
  decodeXor,
  encodeXor,
  plainDecoder,
  type SecretDecoder,
  websphereDecoder,
} from './secret-decoders.js';
export { MAX_REFERENCED_FILE_BYTES, type ReferenceResult, resolveReference } from './secret-references.js';
export { suggest } from './suggest.js';
export {
  type KalistoConfigOptions,
  PROTOCOL_OPTION_PROPERTIES,
  type ProtocolOptions,
  TYPED_OPTION_PROPERTIES,
} from './typed-options.js';
export type {
  CloudName,
  ConfigSource,
  ConfigWarning,
  MailProtocol,
  OAuthFlow,
  OAuthSettings,
  PropertyMap,
  ProtocolSettings,
  ResolvedConfig,
} from './types.js';
