/**
 * Every Graph failure as a Kalisto error with a stable code and a fix: the rules are data (one row
 * per failure a user must act on differently, first match wins), `graphError` applies them with
 * the refused token's claims. A message never holds the token or an upload URL.
 */
import {
  AuthenticationError,
  type ClaimsFinding,
  type CloudName,
  ConnectionError,
  decodeTokenClaims,
  type TokenClaimsSummary,
} from '@kalisto/core';
import { createRedactor, scrubTokenLike } from '@kalisto/core/plugin';
import { auditGraphClaims, type GraphOperation, hasPermission, isAppOnlyToken } from './graph-claims.js';

/** A Graph error reply: status and `{"error":{"code","message","innerError":{…}}}`. */
export interface GraphFailure {
  status: number;
  /** Graph's `error.code`, e.g. `ErrorAccessDenied`. */
  code?: string | undefined;
  /** Graph's `error.message`. */
  message?: string | undefined;
  /** `innerError['request-id']` (or the `request-id` header): what Microsoft support asks for. */
  requestId?: string | undefined;
  /** The server's `Retry-After`, ms. */
  retryAfterMs?: number | undefined;
}

/** What the failed request was, for the message and the fix. */
export interface GraphErrorContext {
  operation: GraphOperation;
  /** `POST /users/{mailbox}/sendMail` (no query string). */
  request: string;
  mailbox: string;
  host: string;
  port: number;
  cloud: CloudName;
  /** App-only flow (client credentials, managed identity); inferred from the token when absent. */
  appOnly?: boolean | undefined;
  /** The access token the request carried: its claims explain a refusal; it is never shown. */
  accessToken?: string | undefined;
  /** The From of a refused send (Send As). */
  from?: string | undefined;
}

/** What a rule is given to decide and to write its fix. */
interface RuleInput {
  failure: GraphFailure;
  context: GraphErrorContext;
  claims: TokenClaimsSummary | undefined;
  appOnly: boolean;
}

/** One row of the table. */
export interface GraphErrorRule {
  /** Stable Kalisto code. */
  code: string;
  matches(input: RuleInput): boolean;
  /** `authentication`: the identity may not do this (AuthenticationError); `connection`: anything else. */
  kind: 'authentication' | 'connection';
  meaning: string;
  hint(input: RuleInput): string;
  transient: boolean;
  /** Use the token's audience/permission findings as the hint when there are any. */
  findings?: boolean;
}

const codeIs =
  (...codes: string[]) =>
  ({ failure }: RuleInput) =>
    codes.some((c) => c.toLowerCase() === failure.code?.toLowerCase());

/** The Exchange role of RBAC for Applications that grants an operation. */
const APPLICATION_ROLE: Readonly<Record<GraphOperation, string>> = {
  read: 'Application Mail.Read',
  write: 'Application Mail.ReadWrite',
  send: 'Application Mail.Send',
};

/** The PowerShell that finds and fixes an application access policy or RBAC scope excluding a mailbox. */
function accessPolicyFix({ context, claims }: RuleInput): string {
  const app = claims?.appId ?? '<application (client) id>';
  const mailbox = context.mailbox;
  return `An application access policy or an RBAC for Applications scope keeps app ${app} out of ${mailbox} (Exchange Online PowerShell). Check: Test-ApplicationAccessPolicy -Identity ${mailbox} -AppId ${app}. Fix a policy: add ${mailbox} to the mail-enabled security group the policy scopes (Get-ApplicationAccessPolicy), or New-ApplicationAccessPolicy -AppId ${app} -PolicyScopeGroupId <group containing ${mailbox}> -AccessRight RestrictAccess. With RBAC for Applications: New-ManagementRoleAssignment -App <service principal object id> -Role "${APPLICATION_ROLE[context.operation]}" -CustomResourceScope <management scope including ${mailbox}>, then Test-ServicePrincipalAuthorization -Identity <service principal object id> -Resource ${mailbox}. Changes can take an hour to reach Graph.`;
}

/** Exchange's answer when an application access policy blocks the app ("Access to OData is disabled"). */
const POLICY_TEXT = /Access to OData is disabled|AccessPolicy|\[RAOP\]/i;

/** Graph's failures, first match wins (Microsoft's codes; statuses as fallbacks). */
export const GRAPH_ERROR_RULES: readonly GraphErrorRule[] = [
  {
    code: 'GRAPH_TOKEN_REJECTED',
    matches: ({ failure }) => failure.status === 401,
    kind: 'authentication',
    meaning: 'Microsoft Graph refused the token (a fresh one was refused too)',
    hint: () =>
      "Check the token's audience and permissions: mail.graph.scope must name Microsoft Graph's resource (https://graph.microsoft.com/.default app-only), not Outlook's.",
    transient: false,
    findings: true,
  },
  {
    code: 'GRAPH_ACCESS_POLICY_DENIED',
    matches: (input) =>
      codeIs('ErrorAccessDenied')(input) &&
      (POLICY_TEXT.test(input.failure.message ?? '') ||
        (input.appOnly && input.claims !== undefined && hasPermission(input.claims, graphContext(input)))),
    kind: 'authentication',
    meaning: 'the app holds the permission, but Exchange keeps it out of this mailbox',
    hint: accessPolicyFix,
    transient: false,
  },
  {
    code: 'GRAPH_PERMISSION_MISSING',
    matches: (input) =>
      codeIs('ErrorAccessDenied')(input) &&
      input.claims !== undefined &&
      !hasPermission(input.claims, graphContext(input)),
    kind: 'authentication',
    meaning: 'the token lacks the Microsoft Graph permission this needs',
    hint: ({ context }) =>
      `Grant the ${context.operation === 'send' ? 'Mail.Send' : context.operation === 'write' ? 'Mail.ReadWrite' : 'Mail.Read'} permission of Microsoft Graph and admin consent.`,
    transient: false,
    findings: true,
  },
  {
    code: 'GRAPH_MAILBOX_ACCESS_DENIED',
    matches: codeIs('ErrorAccessDenied'),
    kind: 'authentication',
    meaning: 'access to this mailbox is denied',
    hint: (input) =>
      input.appOnly || input.claims === undefined
        ? `${input.claims === undefined ? 'The token is not a JWT, so its permissions cannot be checked. Check the app has the Microsoft Graph permission (Mail.Send to send, Mail.ReadWrite to change, Mail.Read to read) with admin consent. ' : ''}${accessPolicyFix(input)}`
        : `The signed-in user ${input.claims.user ?? ''} has no access to ${input.context.mailbox}: grant it (Add-MailboxPermission -Identity ${input.context.mailbox} -User ${input.claims.user ?? '<user>'} -AccessRights FullAccess) and request the .Shared scopes (Mail.ReadWrite.Shared, Mail.Send.Shared) in mail.graph.scope.`,
    transient: false,
  },
  {
    code: 'GRAPH_SEND_AS_DENIED',
    matches: codeIs('ErrorSendAsDenied'),
    kind: 'authentication',
    meaning: 'the sender may not send as the From address',
    hint: ({ context, claims }) => {
      const from = context.from ?? '<From address>';
      const trustee = claims?.user ?? context.mailbox;
      return `Send as ${context.mailbox} (mail.graph.user), or grant Send As: Add-RecipientPermission -Identity ${from} -Trustee ${trustee} -AccessRights SendAs (or Send on Behalf: Set-Mailbox -Identity ${from} -GrantSendOnBehalfTo ${trustee}, with Sender set to ${trustee}); a delegated token sending from another mailbox needs Mail.Send.Shared.`;
    },
    transient: false,
  },
  {
    code: 'GRAPH_INVALID_USER',
    matches: codeIs('ErrorInvalidUser'),
    kind: 'authentication',
    meaning: 'Microsoft Graph knows no such mailbox',
    hint: ({ context }) =>
      `Check mail.graph.user (else o365.user), now ${context.mailbox}: the user principal name, primary SMTP address or object id of a user or shared mailbox in this tenant (o365.oauth.tenant).`,
    transient: false,
  },
  {
    code: 'GRAPH_MAILBOX_NOT_ENABLED',
    matches: codeIs('MailboxNotEnabledForRESTAPI', 'MailboxNotSupportedForRESTAPI'),
    kind: 'authentication',
    meaning: 'the mailbox cannot be reached through Microsoft Graph',
    hint: ({ context }) =>
      `${context.mailbox} is inactive, soft-deleted or hosted on-premises, or has no Exchange Online licence: assign a licence with Exchange Online (a shared mailbox needs none), wait for the mailbox to be provisioned, or for an on-premises mailbox use IMAP/SMTP or move it to Exchange Online.`,
    transient: false,
  },
  {
    code: 'GRAPH_QUOTA_EXCEEDED',
    matches: codeIs('ErrorQuotaExceeded', 'ErrorQuotaExceededOnDelete'),
    kind: 'connection',
    meaning: 'the mailbox is full',
    hint: ({ context }) =>
      `Free space in ${context.mailbox} (empty Deleted Items, archive old mail) or raise its quota (Set-Mailbox -ProhibitSendReceiveQuota); retrying does not help.`,
    transient: false,
  },
  {
    code: 'GRAPH_MESSAGE_TOO_LARGE',
    matches: (input) =>
      input.failure.status === 413 ||
      codeIs(
        'ErrorMessageSizeExceeded',
        'RequestEntityTooLarge',
        'ErrorAttachmentSizeShouldNotBeMoreThanMaximumSize',
      )(input),
    kind: 'connection',
    meaning: 'the message or request is larger than Exchange Online accepts',
    hint: ({ context }) =>
      `Send a smaller message: Exchange Online takes at most 150 MB, and the mailbox's own limit may be lower (Get-Mailbox ${context.mailbox} | Format-List MaxSendSize, raise it with Set-Mailbox -MaxSendSize); mail.graph.maxMessageBytes bounds what Kalisto sends.`,
    transient: false,
  },
  {
    code: 'GRAPH_THROTTLED',
    matches: ({ failure }) => failure.status === 429,
    kind: 'connection',
    meaning: 'Microsoft Graph is throttling this app for this mailbox',
    hint: () =>
      'Wait for the time Graph asks (retryAfterMs) and send fewer requests at once: Exchange allows 4 concurrent requests per app and mailbox and 10,000 per 10 minutes; mail.graph.maxRetries and mail.graph.retryBudget bound how long Kalisto waits by itself.',
    transient: true,
  },
  {
    code: 'GRAPH_SYNC_RESET',
    matches: (input) => input.failure.status === 410 || codeIs('SyncStateNotFound', 'resyncRequired')(input),
    kind: 'connection',
    meaning: 'the delta state is no longer available',
    hint: () => 'Start the delta round again without a token (watch() does this by itself).',
    transient: true,
  },
  {
    code: 'GRAPH_NOT_FOUND',
    matches: (input) =>
      input.failure.status === 404 ||
      codeIs('ErrorItemNotFound', 'ErrorFolderNotFound', 'ErrorInvalidIdMalformed')(input),
    kind: 'connection',
    meaning: 'no such message or folder',
    hint: () =>
      'Check the id or folder name: a message moved to another folder gets a new id (move() returns it); folders() lists the folders.',
    transient: false,
  },
  {
    code: 'GRAPH_INVALID_RECIPIENTS',
    matches: codeIs('ErrorInvalidRecipients'),
    kind: 'connection',
    meaning: 'the message has no valid recipient',
    hint: () => 'Give at least one valid To, Cc or Bcc address.',
    transient: false,
  },
  {
    code: 'GRAPH_UNAVAILABLE',
    matches: ({ failure }) => failure.status >= 500,
    kind: 'connection',
    meaning: 'Microsoft Graph is unavailable',
    hint: () => 'Retry later (retryAfterMs when Graph names a wait).',
    transient: true,
  },
  {
    code: 'GRAPH_BAD_REQUEST',
    matches: () => true,
    kind: 'connection',
    meaning: 'Microsoft Graph refused the request',
    hint: () =>
      'Read the server text; this is a request Kalisto should not have sent: report it with the request id.',
    transient: false,
  },
];

const graphContext = ({ context, appOnly }: RuleInput) => ({
  operation: context.operation,
  mailbox: context.mailbox,
  appOnly,
  cloud: context.cloud,
});

/** The `{"error":{…}}` of a Graph reply, with the request id and Retry-After; tolerant of any body. */
export function parseGraphFailure(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  retryAfterMs: number | undefined,
): GraphFailure {
  let error: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const candidate = (parsed as { error?: unknown } | null)?.error;
    if (typeof candidate === 'object' && candidate !== null) error = candidate as typeof error;
  } catch {
    // Not JSON (a proxy's HTML page): the status alone classifies it.
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const requestId = text(error?.innerError?.['request-id']) ?? headers['request-id'];
  return {
    status,
    code: text(error?.code),
    message:
      text(error?.message) ?? (error === undefined && body.length > 0 ? body.slice(0, 200) : undefined),
    ...(requestId === undefined ? {} : { requestId }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** The rule a failure falls under (always one: the last matches everything). */
export function graphErrorRule(failure: GraphFailure, context: GraphErrorContext): GraphErrorRule {
  return GRAPH_ERROR_RULES.find((rule) => rule.matches(ruleInput(failure, context))) as GraphErrorRule;
}

function ruleInput(failure: GraphFailure, context: GraphErrorContext): RuleInput {
  const claims = context.accessToken === undefined ? undefined : decodeTokenClaims(context.accessToken);
  const appOnly = context.appOnly ?? (claims === undefined ? false : isAppOnlyToken(claims));
  return { failure, context, claims, appOnly };
}

/**
 * The Kalisto error for a Graph error reply: an AuthenticationError when the identity may not do
 * this (token, permission, policy, Send As, mailbox), else a ConnectionError (`transient` for
 * throttling and outages, with Graph's `retryAfterMs`). The server text is kept, scrubbed.
 */
export function graphError(
  failure: GraphFailure,
  context: GraphErrorContext,
): AuthenticationError | ConnectionError {
  const input = ruleInput(failure, context);
  const rule = graphErrorRule(failure, context);
  const redactor = createRedactor([context.accessToken]);
  const serverText = redactor.text(
    scrubTokenLike([failure.code, failure.message].filter((p) => p !== undefined).join(': ')),
  );
  const findings: ClaimsFinding[] =
    rule.findings && input.claims !== undefined ? auditGraphClaims(input.claims, graphContext(input)) : [];
  const hint = findings.length > 0 ? findings.map((f) => f.message).join(' ') : rule.hint(input);
  const reply = `HTTP ${failure.status}${serverText === '' ? '' : ` ${JSON.stringify(serverText)}`}`;
  const requestId = failure.requestId === undefined ? '' : `, request-id ${failure.requestId}`;
  const token =
    input.claims === undefined || rule.kind !== 'authentication'
      ? ''
      : ` Token: ${claimsText(input.claims)}.`;
  const message = `[protocol:graph] ${capitalise(rule.meaning)} (${reply} to ${context.request} on ${context.host}:${context.port}${requestId}).${token} ${hint}`;
  if (rule.kind === 'authentication') {
    return new AuthenticationError(message, {
      code: rule.code,
      hint,
      protocol: 'graph',
      serverText,
      claims: input.claims,
      findings,
      transient: rule.transient,
      retryAfterMs: failure.retryAfterMs,
    });
  }
  return new ConnectionError(message, {
    code: rule.code,
    hint,
    protocol: 'graph',
    host: context.host,
    port: context.port,
    transient: rule.transient,
    retryAfterMs: failure.retryAfterMs,
  });
}

/** A short account of the token's claims (never the token). */
function claimsText(claims: TokenClaimsSummary): string {
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(',') : '-');
  return `aud=${claims.aud ?? '-'} appid=${claims.appId ?? '-'} user=${claims.user ?? '-'} scp=${list(claims.scp)} roles=${list(claims.roles)}`;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
