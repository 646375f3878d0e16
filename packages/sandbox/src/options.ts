/**
 * What a sandbox directory looks like: tenants, their app registrations, users and mailboxes, and
 * the Exchange Online grants between them. Defaults are data: `defaultDirectory(seed)` builds the
 * fixture tenant every `startSandbox()` gets when no tenants are given.
 */
import { createHash } from 'node:crypto';
import type { ImapBehaviour } from './imap/index.js';
import type { Pop3Behaviour } from './pop3/index.js';
import type { SmtpBehaviour } from './smtp/index.js';

/** A client secret ("Certificates & secrets" → "Client secrets"). */
export interface AppSecretOptions {
  /** The secret's *Value* (what a client sends). */
  value: string;
  /** The secret's ID (what users paste by mistake; sending it yields AADSTS7000215). */
  id?: string;
  /** Expiry, epoch ms; an expired secret yields AADSTS7000222. Default: never. */
  expiresAt?: number;
}

/** A certificate credential: only the public part is registered, like in Entra ID. */
export interface AppCertificateOptions {
  /** The certificate, PEM. Clients sign client assertions with its private key (RS256 or PS256). */
  certificate: string;
}

/** API permissions of an app registration, by resource. Names without the resource prefix. */
export interface AppPermissionsOptions {
  /** Delegated permissions on Office 365 Exchange Online, e.g. `IMAP.AccessAsUser.All`, `SMTP.Send`. */
  exchangeDelegated?: readonly string[];
  /** Application permissions on Office 365 Exchange Online: `IMAP.AccessAsApp`, `POP.AccessAsApp`, `SMTP.SendAsApp`. */
  exchangeApplication?: readonly string[];
  /** Delegated permissions on Microsoft Graph, e.g. `Mail.Read`, `User.Read`. */
  graphDelegated?: readonly string[];
  /** Application permissions on Microsoft Graph, e.g. `Mail.Read`. */
  graphApplication?: readonly string[];
}

/** An app registration (and its enterprise application) in one tenant. */
export interface AppOptions {
  /** Application (client) id, a GUID. */
  clientId: string;
  displayName?: string;
  /** Object id of the enterprise application (service principal); the `oid` of its app-only tokens. */
  objectId?: string;
  secrets?: readonly AppSecretOptions[];
  certificates?: readonly AppCertificateOptions[];
  /** "Allow public client flows": password and device code grants without a client credential. */
  publicClient?: boolean;
  permissions?: AppPermissionsOptions;
  /** "Grant admin consent" was clicked: without it delegated requests fail with AADSTS65001 and app tokens carry no roles. Default true. */
  adminConsent?: boolean;
  /**
   * `New-ServicePrincipal -AppId … -ObjectId …` as run in Exchange Online: the object id given.
   * Absent = never registered (app-only logins get `no_mailbox_access`). Registering the app
   * registration's object id instead of the enterprise app's is the classic mistake: give a
   * different GUID than `objectId` to reproduce it.
   */
  exchangeServicePrincipalId?: string;
}

/** A user account; `mailbox` false makes an unlicensed user without a mailbox. */
export interface UserOptions {
  /** User principal name, also the primary SMTP address. */
  upn: string;
  password: string;
  displayName?: string;
  /** Object id (`oid`); default derived from the seed. */
  objectId?: string;
  /** Conditional Access demands MFA: the password grant fails with AADSTS50076. */
  mfaRequired?: boolean;
  /** `Set-CASMailbox -SmtpClientAuthenticationDisabled $true`: SMTP AUTH answers 535 5.7.139. */
  smtpAuthDisabled?: boolean;
  /** Has an Exchange mailbox. Default true. */
  mailbox?: boolean;
}

/** `Add-MailboxPermission -Identity mailbox -User trustee -AccessRights FullAccess`. */
export interface MailboxPermissionOptions {
  /** The mailbox address, or `*` for every mailbox of the tenant (a sandbox shortcut). */
  mailbox: string;
  /** A user's UPN, or an app's client id / service principal object id. */
  trustee: string;
}

/** `Add-RecipientPermission -Identity mailbox -Trustee trustee -AccessRights SendAs`. */
export interface SendAsPermissionOptions {
  mailbox: string;
  /** A user's UPN, or an app's client id. */
  trustee: string;
}

export interface SharedMailboxOptions {
  address: string;
  displayName?: string;
  smtpAuthDisabled?: boolean;
}

/**
 * `New-ApplicationAccessPolicy -AppId … -PolicyScopeGroupId … -AccessRight …`: scopes an app's
 * application permissions on Microsoft Graph to some mailboxes.
 */
export interface ApplicationAccessPolicyOptions {
  /** The app's client id. */
  appId: string;
  /** `RestrictAccess`: the app reaches only `mailboxes`; `DenyAccess`: every mailbox but `mailboxes`. */
  accessRight: 'RestrictAccess' | 'DenyAccess';
  /** The addresses in the policy's scope group. */
  mailboxes: readonly string[];
}

/** How the tenant's Exchange Online treats Microsoft Graph mail requests. */
export interface GraphTenantOptions {
  /** Application access policies (Graph answers 403 ErrorAccessDenied for an excluded mailbox). */
  applicationAccessPolicies?: readonly ApplicationAccessPolicyOptions[];
  /** Mailboxes Graph answers 404 MailboxNotEnabledForRESTAPI for (hosted on-premises, inactive, soft-deleted). */
  restApiDisabledMailboxes?: readonly string[];
  /** Mailboxes over their storage quota: sends, drafts and uploads answer 507 ErrorQuotaExceeded. */
  quotaExceededMailboxes?: readonly string[];
  /** Largest message a mailbox may send through Graph, bytes of MIME (`Set-Mailbox -MaxSendSize`). Default 35 MB. */
  maxSendSize?: number;
}

/** One Entra ID tenant with its Exchange Online organisation. */
export interface TenantOptions {
  /** Directory (tenant) id, a GUID. */
  id: string;
  /** The verified domain (also accepted in place of the id in authority URLs). */
  domain: string;
  displayName?: string;
  apps?: readonly AppOptions[];
  users?: readonly UserOptions[];
  sharedMailboxes?: readonly SharedMailboxOptions[];
  mailboxPermissions?: readonly MailboxPermissionOptions[];
  sendAsPermissions?: readonly SendAsPermissionOptions[];
  /** Microsoft Graph behaviour: application access policies, REST-disabled and over-quota mailboxes, size limit. */
  graph?: GraphTenantOptions;
}

/** Token and code lifetimes, in seconds. */
export interface LifetimeOptions {
  /** Access and id tokens. Default 3599 (Entra ID gives 60-90 minutes). */
  accessToken?: number;
  /** Refresh tokens: 90 days, like Entra ID's inactivity limit. */
  refreshToken?: number;
  /** Device codes. Default 900. */
  deviceCode?: number;
  /** Suggested device code polling interval (may be fractional in tests). Default 5. */
  deviceCodeInterval?: number;
}

/** Every option of `startSandbox()`. All are optional. */
export interface SandboxOptions {
  /** The directory. Default: `defaultDirectory(seed)` (tenants contoso.example and fabrikam.example). */
  tenants?: readonly TenantOptions[];
  /** Seed for the fixture ids and secrets of the default directory and of generated messages. Default 1. */
  seed?: number;
  lifetimes?: LifetimeOptions;
  /** Host to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Fixed ports; 0 or absent = ephemeral. */
  ports?: Partial<
    Record<'identity' | 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps' | 'graph', number>
  >;
  /** TLS material; default `createSandboxTls()` (a fresh CA per sandbox). */
  tls?: { ca: string; key: string; cert: string };
  /**
   * Client credentials the introspection endpoint (RFC 7662) demands, HTTP Basic or form fields.
   * Absent: introspection answers any caller connected from a loopback address and refuses others.
   */
  introspection?: { clientId: string; clientSecret: string };
  /** Time source (epoch ms) for token issuance and validation; tests move it to expire tokens. Default `Date.now`. */
  clock?: () => number;
  /** Start the mail servers (IMAP, POP3, SMTP, Microsoft Graph). Default true; false starts the identity platform only. */
  mail?: boolean;
  /** Per-protocol switches passed to the mail servers as `MailServerOptions.behaviour`. */
  behaviour?: { imap?: ImapBehaviour; pop3?: Pop3Behaviour; smtp?: SmtpBehaviour };
}

/** The Exchange Online permissions each mail protocol needs. */
export const PROTOCOL_PERMISSIONS = {
  imap: { delegated: 'IMAP.AccessAsUser.All', application: 'IMAP.AccessAsApp' },
  pop3: { delegated: 'POP.AccessAsUser.All', application: 'POP.AccessAsApp' },
  smtp: { delegated: 'SMTP.Send', application: 'SMTP.SendAsApp' },
} as const;

export const DEFAULT_LIFETIMES: Required<LifetimeOptions> = {
  accessToken: 3599,
  refreshToken: 90 * 86_400,
  deviceCode: 900,
  deviceCodeInterval: 5,
};

/** A GUID derived from the seed and a label, so fixtures are stable across runs. */
export function seededGuid(seed: number, label: string): string {
  const h = createHash('sha256').update(`kalisto-sandbox:${seed}:${label}`).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A secret value derived from the seed (Entra ID secrets are 40 characters with a `~`). */
export function seededSecret(seed: number, label: string): string {
  const h = createHash('sha256').update(`kalisto-sandbox-secret:${seed}:${label}`).digest('base64url');
  return `${h.slice(0, 3)}8Q~${h.slice(3, 37)}`;
}

/** Names of the default directory's fixtures, for tests and documentation. */
export const FIXTURE = {
  domain: 'contoso.example',
  foreignDomain: 'fabrikam.example',
  users: {
    adele: 'adele@contoso.example',
    megan: 'megan@contoso.example',
    alex: 'alex@contoso.example',
    isaiah: 'isaiah@contoso.example',
    foreign: 'nestor@fabrikam.example',
  },
  sharedMailbox: 'info@contoso.example',
  /** Mailboxes behind Microsoft Graph's error fixtures (shared mailboxes of contoso.example). */
  graph: {
    /** An application access policy denies the daemon app: 403 ErrorAccessDenied (RAOP). */
    policyDeniedMailbox: 'restricted@contoso.example',
    /** Hosted on-premises as far as Graph knows: 404 MailboxNotEnabledForRESTAPI. */
    restApiDisabledMailbox: 'onprem@contoso.example',
    /** Over its storage quota: writes answer 507 ErrorQuotaExceeded. */
    quotaExceededMailbox: 'full@contoso.example',
    /** Not in the directory: 404 ErrorInvalidUser. */
    unknownUser: 'nobody@contoso.example',
  },
} as const;

/** Exchange Online's default MaxSendSize (35 MB), the default of `GraphTenantOptions.maxSendSize`. */
export const DEFAULT_GRAPH_MAX_SEND_SIZE = 35 * 1024 * 1024;

/** Delegated Microsoft Graph permissions the default directory's apps have consent for. */
const GRAPH_DELEGATED = [
  'User.Read',
  'Mail.Read',
  'Mail.ReadWrite',
  'Mail.Send',
  'Mail.Read.Shared',
  'Mail.ReadWrite.Shared',
  'Mail.Send.Shared',
];

/** The password of a default-directory user: `<Name>-Sandbox-1!` (seed 1). */
export function fixturePassword(upn: string, seed = 1): string {
  const name = upn.split('@')[0] ?? upn;
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}-Sandbox-${seed}!`;
}

/**
 * The default directory: contoso.example with a confidential daemon app (secret, an expired
 * secret, optionally a certificate), a public desktop app, four users (one plain, one delegate of
 * the shared mailbox info@, one with SMTP AUTH disabled, one under MFA), a Graph reader app
 * (Mail.Read only), the Graph error fixture mailboxes (FIXTURE.graph) and a foreign tenant
 * fabrikam.example (one user, one app) for cross-tenant cases.
 */
export function defaultDirectory(seed = 1, options: { certificatePem?: string } = {}): TenantOptions[] {
  const id = (label: string) => seededGuid(seed, label);
  const daemonId = id('app:daemon');
  const daemonObjectId = id('sp:daemon');
  const user = (upn: string, extra: Partial<UserOptions> = {}): UserOptions => ({
    upn,
    password: fixturePassword(upn, seed),
    objectId: id(`user:${upn}`),
    ...extra,
  });
  const exchangeDelegated = ['IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send'];
  return [
    {
      id: id('tenant:contoso'),
      domain: FIXTURE.domain,
      displayName: 'Contoso (sandbox)',
      apps: [
        {
          clientId: daemonId,
          displayName: 'Kalisto Daemon',
          objectId: daemonObjectId,
          secrets: [
            { id: id('secret:daemon'), value: seededSecret(seed, 'daemon') },
            {
              id: id('secret:daemon-old'),
              value: seededSecret(seed, 'daemon-old'),
              expiresAt: Date.UTC(2024, 0, 1),
            },
          ],
          certificates: options.certificatePem ? [{ certificate: options.certificatePem }] : [],
          permissions: {
            exchangeApplication: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'],
            exchangeDelegated,
            graphApplication: ['Mail.Read', 'Mail.ReadWrite', 'Mail.Send'],
            graphDelegated: GRAPH_DELEGATED,
          },
          adminConsent: true,
          exchangeServicePrincipalId: daemonObjectId,
        },
        {
          clientId: id('app:desktop'),
          displayName: 'Kalisto Desktop',
          objectId: id('sp:desktop'),
          publicClient: true,
          permissions: { exchangeDelegated, graphDelegated: GRAPH_DELEGATED },
          adminConsent: true,
        },
        {
          clientId: id('app:unconsented'),
          displayName: 'Kalisto Unconsented',
          objectId: id('sp:unconsented'),
          publicClient: true,
          secrets: [{ id: id('secret:unconsented'), value: seededSecret(seed, 'unconsented') }],
          permissions: { exchangeDelegated, exchangeApplication: ['IMAP.AccessAsApp'] },
          adminConsent: false,
        },
        {
          clientId: id('app:graph-reader'),
          displayName: 'Kalisto Graph Reader',
          objectId: id('sp:graph-reader'),
          secrets: [{ id: id('secret:graph-reader'), value: seededSecret(seed, 'graph-reader') }],
          permissions: { graphApplication: ['Mail.Read'] },
          adminConsent: true,
        },
      ],
      users: [
        user(FIXTURE.users.adele, { displayName: 'Adele Vance' }),
        user(FIXTURE.users.megan, { displayName: 'Megan Bowen' }),
        user(FIXTURE.users.alex, { displayName: 'Alex Wilber', smtpAuthDisabled: true }),
        user(FIXTURE.users.isaiah, { displayName: 'Isaiah Langer', mfaRequired: true }),
      ],
      sharedMailboxes: [
        { address: FIXTURE.sharedMailbox, displayName: 'Contoso Info' },
        { address: FIXTURE.graph.policyDeniedMailbox, displayName: 'Contoso Restricted' },
        { address: FIXTURE.graph.restApiDisabledMailbox, displayName: 'Contoso On-Premises' },
        { address: FIXTURE.graph.quotaExceededMailbox, displayName: 'Contoso Full' },
      ],
      mailboxPermissions: [
        { mailbox: FIXTURE.sharedMailbox, trustee: FIXTURE.users.megan },
        { mailbox: '*', trustee: daemonId },
      ],
      sendAsPermissions: [{ mailbox: FIXTURE.sharedMailbox, trustee: FIXTURE.users.megan }],
      graph: {
        applicationAccessPolicies: [
          { appId: daemonId, accessRight: 'DenyAccess', mailboxes: [FIXTURE.graph.policyDeniedMailbox] },
        ],
        restApiDisabledMailboxes: [FIXTURE.graph.restApiDisabledMailbox],
        quotaExceededMailboxes: [FIXTURE.graph.quotaExceededMailbox],
      },
    },
    {
      id: id('tenant:fabrikam'),
      domain: FIXTURE.foreignDomain,
      displayName: 'Fabrikam (sandbox, foreign tenant)',
      apps: [
        {
          clientId: id('app:fabrikam'),
          displayName: 'Fabrikam Daemon',
          objectId: id('sp:fabrikam'),
          publicClient: true,
          secrets: [{ id: id('secret:fabrikam'), value: seededSecret(seed, 'fabrikam') }],
          permissions: {
            exchangeApplication: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'],
            exchangeDelegated,
          },
          exchangeServicePrincipalId: id('sp:fabrikam'),
        },
      ],
      users: [user(FIXTURE.users.foreign, { displayName: 'Nestor Wilke' })],
      mailboxPermissions: [{ mailbox: '*', trustee: id('app:fabrikam') }],
    },
  ];
}
