/**
 * `startSandbox()`: one offline Office 365 — the identity platform over HTTPS, the mail store,
 * the IMAP, POP3 and SMTP servers (plain+STARTTLS and implicit TLS each) and Microsoft Graph's
 * mail endpoints over HTTPS, all on loopback with ephemeral ports, sharing one directory, one
 * signing key and one CA.
 */
import { createAuthVerifier } from './auth-verifier.js';
import type { MailAuthVerifier, MailServerOptions, MailStore, RunningMailServer } from './contracts.js';
import { type RunningGraphServer, startGraphServer } from './graph/index.js';
import { createAppCertificate } from './identity/app-certificate.js';
import { startIdentityServer } from './identity/server.js';
import { createSigningKey } from './identity/tokens.js';
import { startImapServer } from './imap/index.js';
import { createMailStore } from './mail-store.js';
import { type MsalConfigOptions, msalConfigFor, type SandboxMsalConfig } from './msal-config.js';
import { defaultDirectory, type SandboxOptions } from './options.js';
import { startPop3Server } from './pop3/index.js';
import { type MailEndpoint, propertiesText, sandboxProperties } from './properties.js';
import { defaultFixtures, type SandboxFixtures } from './sandbox-fixtures.js';
import { createSandboxHooks, type SandboxHooks, sandboxError } from './sandbox-hooks.js';
import { startSmtpServer } from './smtp/index.js';
import { type SandboxApp, SandboxState } from './state.js';
import { createSandboxTls, type SandboxTls } from './tls.js';

export type { SandboxFixtures, SandboxGraphFixtures } from './sandbox-fixtures.js';
export type { GraphHooks, MintedToken, MintTokenRequest, SandboxHooks } from './sandbox-hooks.js';

/** Where Microsoft Graph listens. */
export interface GraphEndpoint {
  /** The API base, `https://127.0.0.1:PORT/v1.0` (in place of `https://graph.microsoft.com/v1.0`); empty with `mail: false`. */
  readonly url: string;
  readonly host: string;
  /** 0 with `mail: false`. */
  readonly port: number;
}

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
  /** Microsoft Graph's mail endpoints over HTTPS, on the same mail store. */
  readonly graph: GraphEndpoint;
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  /** The CA certificate (PEM) clients must trust. */
  readonly ca: string;
  readonly tls: SandboxTls;
  /** The first tenant of the directory (the default tenant). */
  readonly tenant: { readonly id: string; readonly domain: string };
  /**
   * JavaMail properties for the default tenant's confidential app (client credentials) and first user.
   * With `mail: false` the mail host, port, SSL and STARTTLS properties are left out.
   */
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
  let graph: RunningGraphServer | undefined;
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
      const running = await startGraphServer({
        state,
        store,
        key,
        tls,
        authority: identity.url,
        host,
        port: ports.graph ?? 0,
      });
      graph = running;
      closers.push(() => running.close());
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
    graph: { url: graph?.url ?? '', host, port: graph?.port ?? 0 },
  };

  const liveSecret = (app: SandboxApp) =>
    app.secrets.find((secret) => secret.expiresAt === undefined || secret.expiresAt > state.now());
  const propertyApp = [...tenant.apps.values()].find(liveSecret) ?? [...tenant.apps.values()][0];
  const properties = sandboxProperties({
    authority: endpoints.authority,
    mail: servers.length > 0 ? endpoints : undefined,
    graph: graph ? endpoints.graph : undefined,
    tenantId: tenant.id,
    clientId: propertyApp?.clientId ?? '',
    clientSecret: (propertyApp && liveSecret(propertyApp)?.value) ?? '',
    user: [...tenant.mailboxes.values()].find((m) => m.owner)?.address ?? '',
    ca: tls.ca,
  });
  const fixtures = certificate ? defaultFixtures(seed, state, certificate) : undefined;

  const hooks = createSandboxHooks(state, key, identity.issuer, tenant.id);

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
