/**
 * The sandbox's live state: the directory resolved from the options (lower-cased, indexed) plus
 * everything tests change while it runs — lifetimes, revocations, refresh tokens, device codes,
 * request counters and injected faults. The identity server and the mail-auth verifier share it.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { GraphControls } from './graph/controls.js';
import {
  type AppOptions,
  DEFAULT_GRAPH_MAX_SEND_SIZE,
  DEFAULT_LIFETIMES,
  type LifetimeOptions,
  type SandboxOptions,
  seededGuid,
  type TenantOptions,
} from './options.js';

/** A registered client secret (mutable: `hooks.expireSecret`). */
export interface SandboxSecret {
  readonly id: string;
  value: string;
  expiresAt: number | undefined;
}

/** A registered certificate credential, with the thumbprints clients name it by. */
export interface SandboxCertificate {
  readonly pem: string;
  /** SHA-1 thumbprint, upper-case hex (what the portal shows; `x5t` carries it base64url). */
  readonly thumbprint: string;
  /** SHA-256 thumbprint, upper-case hex (`x5t#S256`). */
  readonly thumbprintSha256: string;
  readonly publicKey: KeyObject;
}

/** An app registration as resolved from the options (client id lower case). */
export interface SandboxApp {
  readonly tenant: SandboxTenant;
  readonly clientId: string;
  readonly displayName: string;
  readonly objectId: string;
  readonly secrets: SandboxSecret[];
  readonly certificates: SandboxCertificate[];
  publicClient: boolean;
  adminConsent: boolean;
  /** Configured permissions: lower-case name → name as configured. */
  readonly permissions: {
    exchangeDelegated: Map<string, string>;
    exchangeApplication: Map<string, string>;
    graphDelegated: Map<string, string>;
    graphApplication: Map<string, string>;
  };
  exchangeServicePrincipalId: string | undefined;
}

/** A user as resolved from the options. */
export interface SandboxUser {
  readonly tenant: SandboxTenant;
  /** Lower case. */
  readonly upn: string;
  password: string;
  readonly displayName: string;
  readonly objectId: string;
  mfaRequired: boolean;
  smtpAuthDisabled: boolean;
  readonly hasMailbox: boolean;
}

/** A mailbox of the directory (a user's or a shared one). */
export interface SandboxMailboxEntry {
  readonly tenant: SandboxTenant;
  /** Lower case. */
  readonly address: string;
  /** The user owning it; undefined for a shared mailbox. */
  readonly owner: SandboxUser | undefined;
  smtpAuthDisabled: boolean;
}

/** An application access policy as resolved from the options (lower case). */
export interface SandboxAccessPolicy {
  readonly appId: string;
  readonly accessRight: 'RestrictAccess' | 'DenyAccess';
  readonly mailboxes: ReadonlySet<string>;
}

/** How the tenant's Exchange Online treats Microsoft Graph mail requests (mutable in tests). */
export interface SandboxGraphTenant {
  readonly accessPolicies: SandboxAccessPolicy[];
  /** Mailbox addresses Graph answers MailboxNotEnabledForRESTAPI for. */
  readonly restApiDisabled: Set<string>;
  /** Mailbox addresses over their storage quota (ErrorQuotaExceeded). */
  readonly quotaExceeded: Set<string>;
  /** Largest MIME message a mailbox may send through Graph, bytes. */
  maxSendSize: number;
}

/** A tenant as resolved from the options, indexed by lower-case keys. */
export interface SandboxTenant {
  readonly id: string;
  readonly domain: string;
  readonly displayName: string;
  readonly apps: Map<string, SandboxApp>;
  readonly users: Map<string, SandboxUser>;
  readonly mailboxes: Map<string, SandboxMailboxEntry>;
  /** FullAccess grants: mailbox address (or `*`) → trustees (UPNs, client ids, object ids; lower case). */
  readonly fullAccess: Map<string, Set<string>>;
  /** SendAs grants: mailbox address → trustees (lower case). */
  readonly sendAs: Map<string, Set<string>>;
  /** Microsoft Graph fixtures: application access policies, REST-disabled and over-quota mailboxes. */
  readonly graph: SandboxGraphTenant;
}

/** One issued access token, remembered for revocation and introspection. */
export interface IssuedToken {
  readonly jti: string;
  /** A user's UPN or `app:<clientId>`. */
  readonly principal: string;
  /** Issue order (see `SandboxState.nextSequence`), for revocation. */
  readonly sequence: number;
  /** Epoch seconds. */
  readonly iat: number;
  readonly exp: number;
}

/** What the sandbox remembers about an opaque refresh token. */
export interface RefreshTokenRecord {
  readonly tenantId: string;
  readonly clientId: string;
  readonly upn: string;
  /** The resource scopes (full URIs) and OIDC scopes of the original grant. */
  readonly scopes: readonly string[];
  /** Issue order, for revocation. */
  readonly sequence: number;
  /** Epoch seconds. */
  readonly iat: number;
  readonly exp: number;
}

/** One device code flow, from the device authorization request to its redemption. */
export interface DeviceCodeRecord {
  readonly tenantId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly userCode: string;
  readonly deviceCode: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  upn?: string;
}

/** A failure the identity server produces instead of answering the next token requests. */
export interface TokenFault {
  /** Delay before answering (or before the fault), ms. */
  latencyMs?: number;
  /** Answer with this HTTP status (429 or 5xx) and Microsoft's `temporarily_unavailable` body. */
  status?: number;
  /** `Retry-After` header value, seconds. */
  retryAfterSeconds?: number;
  /** Close the connection without an answer. */
  drop?: boolean;
}

/** Kinds of identity requests counted by `requestCounts()`. */
export type IdentityRequestKind =
  | 'client_credentials'
  | 'password'
  | 'refresh_token'
  | 'device_code'
  | 'devicecode_request'
  | 'discovery'
  | 'introspect'
  | 'other';

function byLowerCase(values: readonly string[] | undefined): Map<string, string> {
  return new Map((values ?? []).map((v) => [v.toLowerCase(), v]));
}

function readCertificate(pem: string): SandboxCertificate {
  const cert = new X509Certificate(pem);
  return {
    pem,
    thumbprint: cert.fingerprint.replaceAll(':', '').toUpperCase(),
    thumbprintSha256: cert.fingerprint256.replaceAll(':', '').toUpperCase(),
    publicKey: cert.publicKey,
  };
}

function resolveApp(tenant: SandboxTenant, app: AppOptions, seed: number): SandboxApp {
  const perms = app.permissions ?? {};
  return {
    tenant,
    clientId: app.clientId.toLowerCase(),
    displayName: app.displayName ?? app.clientId,
    objectId: (app.objectId ?? seededGuid(seed, `sp:${app.clientId}`)).toLowerCase(),
    secrets: (app.secrets ?? []).map((s, i) => ({
      id: s.id ?? seededGuid(seed, `secret:${app.clientId}:${i}`),
      value: s.value,
      expiresAt: s.expiresAt,
    })),
    certificates: (app.certificates ?? []).map((c) => readCertificate(c.certificate)),
    publicClient: app.publicClient ?? false,
    adminConsent: app.adminConsent ?? true,
    permissions: {
      exchangeDelegated: byLowerCase(perms.exchangeDelegated),
      exchangeApplication: byLowerCase(perms.exchangeApplication),
      graphDelegated: byLowerCase(perms.graphDelegated),
      graphApplication: byLowerCase(perms.graphApplication),
    },
    exchangeServicePrincipalId: app.exchangeServicePrincipalId?.toLowerCase(),
  };
}

function resolveGraphTenant(options: TenantOptions): SandboxGraphTenant {
  const lower = (values: readonly string[] | undefined) =>
    new Set((values ?? []).map((v) => v.toLowerCase()));
  return {
    accessPolicies: (options.graph?.applicationAccessPolicies ?? []).map((p) => ({
      appId: p.appId.toLowerCase(),
      accessRight: p.accessRight,
      mailboxes: lower(p.mailboxes),
    })),
    restApiDisabled: lower(options.graph?.restApiDisabledMailboxes),
    quotaExceeded: lower(options.graph?.quotaExceededMailboxes),
    maxSendSize: options.graph?.maxSendSize ?? DEFAULT_GRAPH_MAX_SEND_SIZE,
  };
}

function resolveTenant(options: TenantOptions, seed: number): SandboxTenant {
  const tenant: SandboxTenant = {
    id: options.id.toLowerCase(),
    domain: options.domain.toLowerCase(),
    displayName: options.displayName ?? options.domain,
    apps: new Map(),
    users: new Map(),
    mailboxes: new Map(),
    fullAccess: new Map(),
    sendAs: new Map(),
    graph: resolveGraphTenant(options),
  };
  for (const app of options.apps ?? []) {
    const resolved = resolveApp(tenant, app, seed);
    tenant.apps.set(resolved.clientId, resolved);
  }
  for (const u of options.users ?? []) {
    const upn = u.upn.toLowerCase();
    const user: SandboxUser = {
      tenant,
      upn,
      password: u.password,
      displayName: u.displayName ?? upn,
      objectId: (u.objectId ?? seededGuid(seed, `user:${upn}`)).toLowerCase(),
      mfaRequired: u.mfaRequired ?? false,
      smtpAuthDisabled: u.smtpAuthDisabled ?? false,
      hasMailbox: u.mailbox ?? true,
    };
    tenant.users.set(upn, user);
    if (user.hasMailbox) {
      tenant.mailboxes.set(upn, {
        tenant,
        address: upn,
        owner: user,
        smtpAuthDisabled: user.smtpAuthDisabled,
      });
    }
  }
  for (const shared of options.sharedMailboxes ?? []) {
    const address = shared.address.toLowerCase();
    tenant.mailboxes.set(address, {
      tenant,
      address,
      owner: undefined,
      smtpAuthDisabled: shared.smtpAuthDisabled ?? false,
    });
  }
  const grant = (map: Map<string, Set<string>>, mailbox: string, trustee: string) => {
    const key = mailbox.toLowerCase();
    const set = map.get(key) ?? new Set<string>();
    set.add(trustee.toLowerCase());
    map.set(key, set);
  };
  for (const p of options.mailboxPermissions ?? []) grant(tenant.fullAccess, p.mailbox, p.trustee);
  for (const p of options.sendAsPermissions ?? []) grant(tenant.sendAs, p.mailbox, p.trustee);
  return tenant;
}

/** Bound on remembered access tokens; expired ones are dropped first. */
const MAX_REMEMBERED_TOKENS = 50_000;

/**
 * The directory plus the mutable identity state, shared by the identity server and the verifier.
 * Tests may change it directly (e.g. `findUser(upn).mfaRequired = true`); `sandbox.hooks` wraps
 * the common changes.
 */
export class SandboxState {
  readonly tenants = new Map<string, SandboxTenant>();
  readonly lifetimes: Required<LifetimeOptions>;
  readonly now: () => number;
  readonly introspection: { clientId: string; clientSecret: string } | undefined;

  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly deviceCodes = new Map<string, DeviceCodeRecord>();
  private readonly issued = new Map<string, IssuedToken>();
  private readonly revokedTokens = new Set<string>();
  /**
   * principal → issue sequence at revocation: tokens issued up to it are revoked. A sequence, not
   * a time, so that a sign-in right after a revocation (same second, or a frozen test clock) works.
   */
  private readonly revokedPrincipals = new Map<string, number>();
  private sequence = 0;
  private readonly counts = new Map<IdentityRequestKind, number>();
  private readonly faults: { fault: TokenFault; remaining: number }[] = [];
  /** Microsoft Graph request counters and injected throttling (`hooks.graph`). */
  readonly graph = new GraphControls();

  constructor(tenants: readonly TenantOptions[], options: SandboxOptions = {}) {
    const seed = options.seed ?? 1;
    for (const t of tenants) {
      const tenant = resolveTenant(t, seed);
      this.tenants.set(tenant.id, tenant);
    }
    this.lifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
    this.now = options.clock ?? Date.now;
    this.introspection = options.introspection;
  }

  /** Seconds since the epoch by the sandbox clock. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** A tenant by id or verified domain (case-insensitive). */
  findTenant(idOrDomain: string): SandboxTenant | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const tenant of this.tenants.values()) if (tenant.domain === key) return tenant;
    return undefined;
  }

  /** A user by UPN in any tenant. */
  findUser(upn: string): SandboxUser | undefined {
    return this.#findInTenants((tenant) => tenant.users, upn);
  }

  /** An app by client id in any tenant (first match). */
  findApp(clientId: string): SandboxApp | undefined {
    return this.#findInTenants((tenant) => tenant.apps, clientId);
  }

  /** A mailbox (user or shared) by address in any tenant. */
  findMailbox(address: string): SandboxMailboxEntry | undefined {
    return this.#findInTenants((tenant) => tenant.mailboxes, address);
  }

  /** The first entry under `key` (case-insensitive) in the table `tableOf` picks from each tenant. */
  #findInTenants<T>(tableOf: (tenant: SandboxTenant) => Map<string, T>, key: string): T | undefined {
    const lower = key.toLowerCase();
    for (const tenant of this.tenants.values()) {
      const entry = tableOf(tenant).get(lower);
      if (entry) return entry;
    }
    return undefined;
  }

  /** Every mailbox address of every tenant. */
  mailboxAddresses(): string[] {
    return [...this.tenants.values()].flatMap((t) => [...t.mailboxes.keys()]);
  }

  /** True when one of `trustees` holds FullAccess on the mailbox (directly or through `*`). */
  hasFullAccess(mailbox: SandboxMailboxEntry, trustees: readonly string[]): boolean {
    const grants = [mailbox.tenant.fullAccess.get(mailbox.address), mailbox.tenant.fullAccess.get('*')];
    return trustees.some((t) => grants.some((g) => g?.has(t.toLowerCase())));
  }

  /** Addresses of the tenant one of `trustees` holds SendAs on. */
  sendAsGrants(tenant: SandboxTenant, trustees: readonly string[]): string[] {
    const keys = trustees.map((t) => t.toLowerCase());
    return [...tenant.sendAs].filter(([, set]) => keys.some((k) => set.has(k))).map(([address]) => address);
  }

  // ---- tokens: revocation ----

  rememberToken(token: IssuedToken): void {
    if (this.issued.size >= MAX_REMEMBERED_TOKENS) {
      const now = this.nowSeconds();
      for (const [jti, t] of this.issued) if (t.exp < now) this.issued.delete(jti);
      if (this.issued.size >= MAX_REMEMBERED_TOKENS) {
        const oldest = this.issued.keys().next().value;
        if (oldest !== undefined) this.issued.delete(oldest);
      }
    }
    this.issued.set(token.jti, token);
  }

  issuedToken(jti: string): IssuedToken | undefined {
    return this.issued.get(jti);
  }

  revokeToken(jti: string): void {
    this.revokedTokens.add(jti);
  }

  /** Revokes every token and refresh token of a principal issued until now (like revokeSignInSessions). */
  revokePrincipal(principal: string): void {
    this.revokedPrincipals.set(principal.toLowerCase(), this.sequence);
  }

  /** The issue sequence number of a new token or refresh token. */
  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** True when the principal's tokens up to issue `sequence` are revoked. */
  isPrincipalRevoked(principal: string, sequence: number): boolean {
    const upTo = this.revokedPrincipals.get(principal.toLowerCase());
    return upTo !== undefined && sequence <= upTo;
  }

  isTokenRevoked(jti: string): boolean {
    if (this.revokedTokens.has(jti)) return true;
    const token = this.issued.get(jti);
    return token !== undefined && this.isPrincipalRevoked(token.principal, token.sequence);
  }

  /** Drops expired refresh tokens and device codes once there are many (a long-running CLI sandbox). */
  pruneExpired(): void {
    if (this.refreshTokens.size > MAX_REMEMBERED_TOKENS) {
      const now = this.nowSeconds();
      for (const [token, record] of this.refreshTokens)
        if (record.exp <= now) this.refreshTokens.delete(token);
    }
    if (this.deviceCodes.size > 1_000) {
      const now = this.now();
      for (const [code, record] of this.deviceCodes)
        if (record.expiresAt <= now) this.deviceCodes.delete(code);
    }
  }

  // ---- counters ----

  count(kind: IdentityRequestKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  requestCounts(): Record<IdentityRequestKind, number> {
    const kinds: IdentityRequestKind[] = [
      'client_credentials',
      'password',
      'refresh_token',
      'device_code',
      'devicecode_request',
      'discovery',
      'introspect',
      'other',
    ];
    return Object.fromEntries(kinds.map((k) => [k, this.counts.get(k) ?? 0])) as Record<
      IdentityRequestKind,
      number
    >;
  }

  resetCounts(): void {
    this.counts.clear();
  }

  // ---- faults ----

  injectFault(fault: TokenFault, count = 1): void {
    if (count > 0) this.faults.push({ fault, remaining: count });
  }

  /** The fault for the next token request, if any (consumes one). */
  takeFault(): TokenFault | undefined {
    const head = this.faults[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.faults.shift();
    return head.fault;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }
}
