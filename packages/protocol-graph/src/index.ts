export { resolveMessageContent } from './content.js';
export { envelopeProblem, headerEnvelope, type MessageEnvelope } from './envelope.js';
export {
  acceptedPermissions,
  auditGraphClaims,
  GRAPH_HOSTS,
  GRAPH_PERMISSIONS,
  type GraphClaimsContext,
  type GraphOperation,
  hasPermission,
} from './graph-claims.js';
export { GraphClient, type GraphPage, type GraphRequest } from './graph-client.js';
export {
  GRAPH_ERROR_RULES,
  type GraphErrorContext,
  type GraphErrorRule,
  type GraphFailure,
  graphError,
  graphErrorRule,
  parseGraphFailure,
} from './graph-errors.js';
export {
  DEFAULT_MESSAGE_SELECT,
  type GraphEmailAddress,
  type GraphFolder,
  GraphMailbox,
  type GraphMessage,
  type MessagesOptions,
  WELL_KNOWN_FOLDERS,
} from './mailbox.js';
export {
  GRAPH_MAX_ATTACHMENT_BYTES,
  GRAPH_MAX_REQUEST_BYTES,
  type GraphOptions,
  graphOptions,
  UPLOAD_CHUNK_BYTES,
  UPLOAD_SESSION_MIN_BYTES,
} from './options.js';
export { graph, graphStore, graphTransport } from './provider.js';
export {
  isRetryableFailure,
  parseRetryAfter,
  type RetryDecision,
  type RetryInput,
  retryDecision,
} from './retry-policy.js';
export type { GraphSendMethod } from './send.js';
export { type GraphSentMessageInfo, type GraphTransporter, openGraphTransport } from './transport.js';
export {
  type GraphWatchErrorInfo,
  type GraphWatchFailureKind,
  type GraphWatchHandle,
  type GraphWatchHandler,
  type GraphWatchMessage,
  type GraphWatchOptions,
  type GraphWatchPosition,
  type GraphWatchStart,
  graphWatchFailureKind,
  watchFolder,
} from './watch.js';
