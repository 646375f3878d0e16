/**
 * Microsoft Graph's error responses: `{"error":{"code","message","innerError":{"date",
 * "request-id","client-request-id"}}}` with the codes, statuses and wording Exchange Online's
 * Graph mail endpoints use, one constructor per failure.
 */

/** A Graph error answer: HTTP status, Graph `code`, `message` and extra response headers. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/** Graph's request size limit (4 MB), for request bodies and upload chunks alike. */
export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const ACCESS_DENIED = 'Access is denied. Check credentials and try again.';

/** The errors the sandbox's Graph answers, by failure. */
export const GRAPH_ERRORS = {
  tokenMissing: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
  tokenMalformed: () =>
    new GraphError(
      401,
      'InvalidAuthenticationToken',
      "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
    ),
  tokenInvalid: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.'),
  tokenBadAudience: () =>
    new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'),
  tokenExpired: () =>
    new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'),
  tokenRevoked: () =>
    new GraphError(
      401,
      'InvalidAuthenticationToken',
      'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokensRevoked',
    ),
  tokenNoPermissions: () =>
    new GraphError(
      401,
      'InvalidAuthenticationToken',
      'Either scp or roles claim need to be present in the token.',
    ),
  accessDenied: () => new GraphError(403, 'ErrorAccessDenied', ACCESS_DENIED),
  /** An application access policy (or RBAC for Applications scope) excludes the mailbox. */
  accessPolicyDenied: () =>
    new GraphError(
      403,
      'ErrorAccessDenied',
      'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.',
    ),
  sendAsDenied: () =>
    new GraphError(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
    ),
  meNeedsUser: () =>
    new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.'),
  invalidUser: (user: string) =>
    new GraphError(404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`),
  mailboxNotEnabled: () =>
    new GraphError(
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    ),
  quotaExceeded: () =>
    new GraphError(507, 'ErrorQuotaExceeded', 'Mailbox has exceeded maximum mailbox size.'),
  requestTooLarge: () =>
    new GraphError(
      413,
      'RequestEntityTooLarge',
      `The request body is larger than Microsoft Graph's limit of ${GRAPH_MAX_REQUEST_BYTES} bytes (4 MB). Send larger messages as a draft with attachment upload sessions.`,
    ),
  messageTooLarge: (size: number, limit: number) =>
    new GraphError(
      413,
      'ErrorMessageSizeExceeded',
      `The message exceeds the maximum supported size. (${size} bytes; the mailbox may send ${limit})`,
    ),
  attachmentTooLarge: () =>
    new GraphError(
      413,
      'ErrorAttachmentSizeShouldNotBeMoreThanMaximumSize',
      'Attachment size must not exceed the maximum size of 150 MB.',
    ),
  attachmentTooSmall: () =>
    new GraphError(
      400,
      'ErrorAttachmentSizeShouldNotBeLessThanMinimiumSize',
      'Attachment size must be greater than the minimum size (3 MB); attach smaller files with POST .../attachments.',
    ),
  mimeNotBase64: () =>
    new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.'),
  noRecipients: () =>
    new GraphError(
      400,
      'ErrorInvalidRecipients',
      "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    ),
  badJson: (detail: string) =>
    new GraphError(400, 'BadRequest', `Unable to read JSON request payload. ${detail}`),
  badRequest: (message: string) => new GraphError(400, 'BadRequest', message),
  unsupportedMediaType: (type: string) =>
    new GraphError(
      415,
      'BadRequest',
      `The content type '${type}' is not supported here: use application/json, or text/plain for base64 MIME.`,
    ),
  segmentNotFound: (segment: string) =>
    new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: (method: string) =>
    new GraphError(405, 'BadRequest', `The HTTP method '${method}' is not allowed for this resource.`),
  idMalformed: () => new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.'),
  itemNotFound: () =>
    new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
  folderNotFound: () =>
    new GraphError(404, 'ErrorFolderNotFound', 'The specified folder could not be found in the store.'),
  unknownProperty: (name: string, type: string) =>
    new GraphError(
      400,
      'RequestBroker--ParseUri',
      `Could not find a property named '${name}' on type 'microsoft.graph.${type}'.`,
    ),
  invalidQuery: (message: string) => new GraphError(400, 'ErrorInvalidUrlQuery', message),
  sentMessageUpdate: () =>
    new GraphError(
      400,
      'ErrorInvalidPropertyUpdateSentMessage',
      'Update operation is invalid for property of a sent message.',
    ),
  notADraft: () => new GraphError(400, 'ErrorInvalidOperation', 'Only a draft message can be sent.'),
  syncStateInvalid: () =>
    new GraphError(400, 'ErrorInvalidSyncStateData', 'The sync state data is corrupt or otherwise invalid.'),
  syncStateNotFound: () =>
    new GraphError(
      410,
      'SyncStateNotFound',
      'The sync state for this delta round is no longer available; start a new round without a token.',
    ),
  uploadSessionNotFound: () =>
    new GraphError(404, 'ErrorItemNotFound', 'The upload session does not exist or has expired.'),
  uploadWithAuthorization: () =>
    new GraphError(
      401,
      'InvalidAuthenticationToken',
      'The upload URL is pre-authenticated: send its PUT requests without an Authorization header.',
    ),
  invalidRange: (message: string) => new GraphError(416, 'InvalidRange', message),
  throttled: (status: 429 | 503, code: string, message: string, retryAfterSeconds: number) =>
    new GraphError(status, code, message, { 'retry-after': String(retryAfterSeconds) }),
} as const;

/** Graph's innerError date: ISO 8601 without milliseconds or zone (`2024-05-01T10:00:00`). */
export function innerErrorDate(now: Date): string {
  return now.toISOString().slice(0, 19);
}

/** The JSON body of a Graph error answer. */
export function graphErrorBody(
  error: GraphError,
  now: Date,
  requestId: string,
  clientRequestId: string,
): { error: { code: string; message: string; innerError: Record<string, string> } } {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: innerErrorDate(now),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}
