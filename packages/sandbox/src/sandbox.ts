/**
 * `startSandbox()`: one offline Office 365 — the identity platform over HTTPS, the mail store
 * and the IMAP, POP3 and SMTP servers (plain+STARTTLS and implicit TLS each), all on loopback
 * with ephemeral ports, sharing one directory, one signing key and one CA.
 */
import { KalistoError } from '@kalisto/core';
import { createAuthVerifier } from './auth-verifier.js';
import type { MailAuthVerifier, MailServerOptions, MailStore, RunningMailServer } from './contracts.js';
import { type AppCertificate, createAppCertificate } from './identity/app-certificate.js';
import { approveDeviceCode, denyDeviceCode } from './identity/grants.js';
import { type IntrospectionResponse, introspect } from './identity/introspection.js';
import { EXCHANGE } from './identity/scopes.js';
import { startIdentityServer } from './identity/server.js';
import { createSigningKey } from './identity/tokens.js';
import { startImapServer } from './imap/index.js';
import { createMailStore } from './mail-store.js';
import { type MsalConfigOptions, msalConfigFor, type SandboxMsalConfig } from './msal-config.js';
import {
  defaultDirectory,
  FIXTURE,
  fixturePassword,
  type SandboxOptions,
  seededGuid,
  seededSecret,
} from './options.js';
import { startPop3Server } from './pop3/index.js';
import { type MailEndpoint, propertiesText, sandboxProperties } from './properties.js';
import { startSmtpServer } from './smtp/index.js';
import { type IdentityRequestKind, type SandboxApp, SandboxState, type TokenFault } from './state.js';
import { createSandboxTls, type SandboxTls } from './tls.js';

/** Where everything listens. Mail endpoints have port 0 when started with `mail: false`. */
export interface SandboxEndpoints {
  /** Authority host URL, `https://127.0.0.1:PORT` (MSAL authority = `${authority}/${tenantId}`). */
  readonly authority: string;
  /** The default tenant's v2.0 token endpoint. */
  readonly tokenUrl: string;
  /** RFC 7662 introspection endpoint (for Dovecot's oauth2 passdb). */
  readonly introspectionUrl: string;
  /** IMAP with STARTTLS. */
  readonly imap: MailEndpoint;
  /** IMAP over implicit TLS (993-like). */
  readonly imaps: MailEndpoint;
  /** POP3 with STLS. */
  readonly pop3: MailEndpoint;
  /** POP3 over implicit TLS (995-like). */
  readonly pop3s: MailEndpoint;
  /** SMTP submission with STARTTLS (587-like). */
  readonly smtp: MailEndpoint;
  /** SMTP over implicit TLS (465-like). */
  readonly smtps: MailEndpoint;
}

/** Names and credentials of the default directory (seeded; test fixtures, not secrets). */
export interface SandboxFixtures {
  tenant: { id: string; domain: string };
  foreignTenant: { id: string; domain: string };
  /** Confidential daemon app: secret, an expired secret, a certificate; Exchange app roles; SP registered; FullAccess on every mailbox. */
  confidentialApp: {
    clientId: string;
    objectId: string;
    secret: string;
    secretId: string;
    expiredSecret: string;
    certificate: AppCertificate;
  };
  /** Public desktop app ("Allow public client flows"): delegated IMAP/POP/SMTP scopes with admin consent. */
  publicApp: { clientId: string };
  /** App without admin consent (public flows allowed, also has a secret). */
  unconsentedApp: { clientId: string; secret: string };
  /** The foreign tenant's app (secret; app roles; SP registered there). */
  foreignApp: { clientId: string; secret: string };
  users: Record<keyof typeof FIXTURE.users, { upn: string; password: string }>;
  /** Shared mailbox with FullAccess and SendAs for megan. */
  sharedMailbox: string;
}

/** Knobs tests turn while the sandbox runs. */
export interface SandboxHooks {
  /** Identity requests received, per grant type and endpoint. */
  requestCounts(): Record<IdentityRequestKind, number>;
  resetRequestCounts(): void;
  /** Revokes one access token by its `jti`: mail logins and introspection refuse it. */
  revokeToken(jti: string): void;
  /** Revokes every token and refresh token issued so far to a user (revokeSignInSessions). */
  revokeUser(upn: string): void;
  /** Revokes every token issued so far to an app (client credentials). */
  revokeApp(clientId: string): void;
  /** Lifetime of access tokens issued from now on, seconds. */
  setTokenLifetime(seconds: number): void;
  /** Makes an app's secrets expired (all, or the one with this value or id): AADSTS7000222. */
  expireSecret(clientId: string, secretValueOrId?: string): void;
  /** Approves a pending device code as `upn` (what the user does at the verification page). */
  approveDeviceCode(userCode: string, upn: string): void;
  /** Declines a pending device code: the next poll fails with authorization_declined. */
  denyDeviceCode(userCode: string): void;
  /** Fails the next `count` token/device-code requests: latency, 429 + Retry-After, 5xx, dropped connection. */
  injectFault(fault: TokenFault, count?: number): void;
  clearFaults(): void;
  /** Signs a token directly (no HTTP), e.g. expired or with foreign claims, for mail-server tests. */
  mintToken(request: MintTokenRequest): Promise<MintedToken>;
  /** What the introspection endpoint would answer for `token`. */
  introspect(token: string): IntrospectionResponse;
}

export interface MintTokenRequest {
  /** Delegated token for this user (in the user's tenant); omit for an app-only token. */
  upn?: string;
  /** The app; default: the tenant's first app with a secret (app-only) or allowing public flows (delegated). */
  clientId?: string;
  /** Tenant id or domain for app-only tokens; default the first tenant. */
  tenant?: string;
  /** `aud`; default `https://outlook.office.com`. */
  audience?: string;
  /** Delegated scopes; default IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send. */
  scp?: readonly string[];
  /** App roles; default the app's Exchange application permissions. */
  roles?: readonly string[];
  /** Lifetime, seconds (negative = already expired). */
  lifetimeSeconds?: number;
  extraClaims?: Record<string, unknown>;
}

export interface MintedToken {
  token: string;
  jti: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  /** The CA certificate (PEM) clients must trust. */
  readonly ca: string;
  readonly tls: SandboxTls;
  /** The first tenant of the directory (the default tenant). */
  readonly tenant: { readonly id: string; readonly domain: string };
  /** JavaMail properties for the default tenant's confidential app (client credentials) and first user. */
  readonly properties: Readonly<Record<string, string>>;
  /** `properties` as `.properties` text. */
  readonly propertiesText: string;
  /** Fixture names; throws for a custom directory. */
  readonly fixtures: SandboxFixtures;
  /** The live directory and identity state. */
  readonly state: SandboxState;
  readonly store: MailStore;
  readonly verifier: MailAuthVerifier;
  readonly hooks: SandboxHooks;
  /** Running mail servers (empty with `mail: false`). */
  readonly servers: readonly RunningMailServer[];
  /** MSAL configuration for this sandbox (see `msalConfigFor`); clientId defaults to the confidential fixture app. */
  msalConfig(options?: Partial<MsalConfigOptions>): SandboxMsalConfig;
  /** Closes every server, connection and timer. */
  stop(): Promise<void>;
}

function fixturesFor(seed: number, state: SandboxState, certificate: AppCertificate): SandboxFixtures {
  const users = Object.fromEntries(
    Object.entries(FIXTURE.users).map(([name, upn]) => [name, { upn, password: fixturePassword(upn, seed) }]),
  ) as SandboxFixtures['users'];
  const contoso = state.findTenant(FIXTURE.domain);
  const fabrikam = state.findTenant(FIXTURE.foreignDomain);
  if (!contoso || !fabrikam) throw new Error('default directory is incomplete');
  return {
    tenant: { id: contoso.id, domain: contoso.domain },
    foreignTenant: { id: fabrikam.id, domain: fabrikam.domain },
    confidentialApp: {
      clientId: seededGuid(seed, 'app:daemon'),
      objectId: seededGuid(seed, 'sp:daemon'),
      secret: seededSecret(seed, 'daemon'),
      secretId: seededGuid(seed, 'secret:daemon'),
      expiredSecret: seededSecret(seed, 'daemon-old'),
      certificate,
    },
    publicApp: { clientId: seededGuid(seed, 'app:desktop') },
    unconsentedApp: {
      clientId: seededGuid(seed, 'app:unconsented'),
      secret: seededSecret(seed, 'unconsented'),
    },
    foreignApp: { clientId: seededGuid(seed, 'app:fabrikam'), secret: seededSecret(seed, 'fabrikam') },
    users,
    sharedMailbox: FIXTURE.sharedMailbox,
  };
}

function sandboxError(message: string, code: string): KalistoError {
  return new KalistoError(`[sandbox] ${message}`, { code });
}

function firstApp(state: SandboxState, predicate: (app: SandboxApp) => boolean, tenant?: string): SandboxApp {
  const tenants = tenant ? [state.findTenant(tenant)] : [...state.tenants.values()];
  for (const t of tenants) for (const app of t?.apps.values() ?? []) if (predicate(app)) return app;
  throw sandboxError('No app in the directory fits; pass clientId.', 'SANDBOX_NO_APP');
}

/** Starts the whole sandbox. With no options: the default directory, a fresh CA, ephemeral ports. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  const host = options.host ?? '127.0.0.1';
  if (options.tenants?.length === 0) {
    throw sandboxError('The directory needs at least one tenant.', 'SANDBOX_NO_TENANT');
  }
  // Key generation dominates start-up: run the three in parallel.
  const [tls, certificate, key] = await Promise.all([
    options.tls ?? createSandboxTls(host === '127.0.0.1' ? [] : [host]),
    options.tenants ? undefined : createAppCertificate('Kalisto Daemon'),
    createSigningKey(),
  ]);
  const tenants = options.tenants ?? defaultDirectory(seed, { certificatePem: certificate?.certificate });
  const state = new SandboxState(tenants, options);
  const verifier = createAuthVerifier(state, key);
  const store = createMailStore({ mailboxes: state.mailboxAddresses(), now: state.now });

  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    const pending = closers.splice(0).reverse();
    for (const close of pending) await close();
  };
  const servers: RunningMailServer[] = [];
  let identity: Awaited<ReturnType<typeof startIdentityServer>>;
  try {
    identity = await startIdentityServer({ state, key, tls, host, port: options.ports?.identity });
    closers.push(() => identity.close());
    if (options.mail !== false) {
      const ports = options.ports ?? {};
      const common = (
        protocol: 'imap' | 'pop3' | 'smtp',
        tlsProtocol: 'imaps' | 'pop3s' | 'smtps',
      ): MailServerOptions => ({
        store,
        auth: verifier,
        tls: { key: tls.key, cert: tls.cert },
        host,
        port: ports[protocol] ?? 0,
        tlsPort: ports[tlsProtocol] ?? 0,
      });
      const starters = [
        () =>
          startImapServer({
            ...common('imap', 'imaps'),
            behaviour: { now: state.now, ...options.behaviour?.imap },
          }),
        () =>
          startPop3Server({ ...common('pop3', 'pop3s'), now: state.now, behaviour: options.behaviour?.pop3 }),
        () =>
          startSmtpServer({ ...common('smtp', 'smtps'), now: state.now, behaviour: options.behaviour?.smtp }),
      ];
      const started = await Promise.allSettled(starters.map((start) => start()));
      for (const result of started) {
        if (result.status === 'fulfilled') {
          servers.push(result.value);
          closers.push(() => result.value.close());
        }
      }
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const tenant = [...state.tenants.values()][0] as NonNullable<ReturnType<SandboxState['findTenant']>>;
  const endpoint = (protocol: 'imap' | 'pop3' | 'smtp', implicitTls: boolean): MailEndpoint => {
    const server = servers.find((s) => s.protocol === protocol);
    return { host, port: server ? (implicitTls ? server.tlsPort : server.port) : 0 };
  };
  const endpoints: SandboxEndpoints = {
    authority: identity.url,
    tokenUrl: `${identity.url}/${tenant.id}/oauth2/v2.0/token`,
    introspectionUrl: `${identity.url}/introspect`,
    imap: endpoint('imap', false),
    imaps: endpoint('imap', true),
    pop3: endpoint('pop3', false),
    pop3s: endpoint('pop3', true),
    smtp: endpoint('smtp', false),
    smtps: endpoint('smtp', true),
  };

  const liveSecret = (app: SandboxApp) =>
    app.secrets.find((secret) => secret.expiresAt === undefined || secret.expiresAt > state.now());
  const propertyApp = [...tenant.apps.values()].find(liveSecret) ?? [...tenant.apps.values()][0];
  const properties = sandboxProperties({
    ...endpoints,
    tenantId: tenant.id,
    clientId: propertyApp?.clientId ?? '',
    clientSecret: (propertyApp && liveSecret(propertyApp)?.value) ?? '',
    user: [...tenant.mailboxes.values()].find((m) => m.owner)?.address ?? '',
    ca: tls.ca,
  });
  const fixtures = certificate ? fixturesFor(seed, state, certificate) : undefined;

  const hooks: SandboxHooks = {
    requestCounts: () => state.requestCounts(),
    resetRequestCounts: () => state.resetCounts(),
    revokeToken: (jti) => state.revokeToken(jti),
    revokeUser: (upn) => state.revokePrincipal(upn),
    revokeApp: (clientId) => state.revokePrincipal(`app:${clientId}`),
    setTokenLifetime: (seconds) => {
      state.lifetimes.accessToken = seconds;
    },
    expireSecret: (clientId, which) => {
      const app = state.findApp(clientId);
      if (!app) throw sandboxError(`No app ${clientId} in the directory.`, 'SANDBOX_NO_APP');
      for (const secret of app.secrets) {
        if (which === undefined || secret.value === which || secret.id === which)
          secret.expiresAt = state.now() - 1000;
      }
    },
    approveDeviceCode: (userCode, upn) => approveDeviceCode(state, userCode, upn),
    denyDeviceCode: (userCode) => denyDeviceCode(state, userCode),
    injectFault: (fault, count = 1) => state.injectFault(fault, count),
    clearFaults: () => state.clearFaults(),
    mintToken: async (request) => {
      const user = request.upn ? state.findUser(request.upn) : undefined;
      if (request.upn && !user)
        throw sandboxError(`No user ${request.upn} in the directory.`, 'SANDBOX_NO_USER');
      const mintTenant = user?.tenant ?? state.findTenant(request.tenant ?? tenant.id);
      if (!mintTenant) throw sandboxError(`No tenant ${request.tenant}.`, 'SANDBOX_NO_TENANT');
      const app = request.clientId
        ? mintTenant.apps.get(request.clientId.toLowerCase())
        : firstApp(state, (a) => (user ? a.publicClient : a.secrets.length > 0), mintTenant.id);
      if (!app)
        throw sandboxError(`No app ${request.clientId} in tenant ${mintTenant.id}.`, 'SANDBOX_NO_APP');
      const issued = await identity.issuer.accessToken({
        tenant: mintTenant,
        app,
        user,
        audience: request.audience ?? EXCHANGE.defaultAudience,
        scp: request.scp ?? ['IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send'],
        roles: request.roles ?? [...app.permissions.exchangeApplication.values()],
        clientAuth: user ? 'public' : 'secret',
        lifetimeSeconds: request.lifetimeSeconds,
        extraClaims: request.extraClaims,
      });
      return { token: issued.token, jti: issued.jti, expiresAt: issued.exp * 1000 };
    },
    introspect: (token) => introspect(state, key, token),
  };

  const sandbox: Sandbox = {
    endpoints,
    ca: tls.ca,
    tls,
    tenant: { id: tenant.id, domain: tenant.domain },
    properties,
    propertiesText: propertiesText(properties),
    get fixtures(): SandboxFixtures {
      if (!fixtures) {
        throw sandboxError(
          'Fixtures exist only for the default directory (no `tenants` option).',
          'SANDBOX_NO_FIXTURES',
        );
      }
      return fixtures;
    },
    state,
    store,
    verifier,
    hooks,
    servers,
    msalConfig: (config = {}) =>
      msalConfigFor(sandbox, { ...config, clientId: config.clientId ?? propertyApp?.clientId ?? '' }),
    stop,
  };
  return sandbox;
}
