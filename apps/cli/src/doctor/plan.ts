/**
 * Which checks the doctor runs for a configuration, in dependency order: network per endpoint,
 * the token, the claims audit per protocol family, the logins, and Send As.
 */
import {
  AuthenticationError,
  decodeTokenClaims,
  isKalistoError,
  type KalistoSession,
  type ProtocolSettings,
  type ResolvedConfig,
  type TokenClaimsSummary,
} from '@kalisto/core';
import { auditFor, graphOperations, protocolFamily, tokenService } from '../claims.js';
import { IDENTITY_PLAIN_PORT_HINT, IDENTITY_SETTINGS, plainPortHint } from '../hints.js';
import { plural } from '../text.js';
import { tokenCacheFinding } from './cache.js';
import type { Check } from './checks.js';
import { expiryChecks } from './expiry.js';
import { GRAPH, graphChecks } from './graph.js';
import {
  type EndpointAdvice,
  probeTcp,
  probeTls,
  resolveHost,
  type StarttlsDialect,
  type TlsMode,
} from './network.js';

export interface DoctorPlanOptions {
  config: ResolvedConfig;
  /** Opens the session on first use (after the network checks). */
  session: () => Promise<KalistoSession>;
  /** The protocols to check: the store and transport protocols by default. */
  protocols: readonly string[];
  /** The sender to check Send As for (default `mail.<transport>.from`). */
  from?: string;
  /** Send a test message even when the sender is the login's own mailbox (proves the whole send path). */
  sendTest?: boolean;
  timeoutMs: number;
  now?: () => number;
}

interface Endpoint {
  /** `identity` or a protocol name. */
  name: string;
  host: string;
  port: number;
  mode: TlsMode | 'none';
  dialect?: StarttlsDialect;
  minVersion: ProtocolSettings['minTlsVersion'];
  checkServerIdentity: boolean;
  /** How the fixes name this endpoint's settings. */
  advice: EndpointAdvice;
}

/**
 * Where tokens come from: the authority for MSAL, the token URL for any other provider (`oauth2`
 * posts to `o365.oauth.url`, which may be another host).
 */
function identityEndpoint(config: ResolvedConfig): Endpoint {
  const { oauth } = config;
  const msal = oauth.provider === 'msal';
  const url = new URL(msal ? oauth.authority : oauth.tokenUrl);
  const settings = msal ? IDENTITY_SETTINGS : 'o365.oauth.url';
  return {
    name: 'identity',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 443 : Number(url.port),
    mode: 'implicit',
    minVersion: 'TLSv1.2',
    checkServerIdentity: true,
    advice: {
      host: settings,
      port: settings,
      usualPorts: 'the identity platform: outbound HTTPS, port 443; through a proxy, kalisto.oauth.proxy',
      plainPort: msal
        ? IDENTITY_PLAIN_PORT_HINT
        : IDENTITY_PLAIN_PORT_HINT.replace(IDENTITY_SETTINGS, settings),
    },
  };
}

/** Microsoft Graph: HTTPS, certificate verified; set by `mail.graph.host` and `mail.graph.port`. */
function graphEndpoint(settings: ProtocolSettings): Endpoint {
  return {
    name: GRAPH,
    host: settings.host,
    port: settings.port,
    mode: 'implicit',
    minVersion: 'TLSv1.2',
    checkServerIdentity: true,
    advice: {
      host: 'mail.graph.host',
      port: 'mail.graph.port',
      usualPorts: 'Microsoft Graph: outbound HTTPS, port 443; through a proxy, mail.graph.proxy.url',
      plainPort:
        "Graph's port answered in plain text: mail.graph.host and mail.graph.port must name an HTTPS port (Microsoft Graph: 443).",
    },
  };
}

function mailEndpoint(protocol: string, settings: ProtocolSettings): Endpoint {
  if (protocol === GRAPH) return graphEndpoint(settings);
  const family = protocolFamily(protocol);
  return {
    name: protocol,
    host: settings.host,
    port: settings.port,
    mode: settings.ssl ? 'implicit' : settings.starttls || settings.starttlsRequired ? 'starttls' : 'none',
    ...(family === undefined ? {} : { dialect: family }),
    minVersion: settings.minTlsVersion,
    checkServerIdentity: settings.checkServerIdentity,
    advice: {
      host: `mail.${protocol}.host`,
      port: `mail.${protocol}.port`,
      usualPorts: 'Exchange Online: outbound 993, 995 and 587',
      plainPort: plainPortHint(protocol),
      tlsVersions: `mail.${protocol}.ssl.protocols`,
    },
  };
}

/** The checks for a resolved configuration. */
export function planChecks(options: DoctorPlanOptions): Check[] {
  const { config, timeoutMs } = options;
  const now = options.now ?? Date.now;
  const endpoints = [
    identityEndpoint(config),
    ...options.protocols.map((p) => {
      const settings = config.protocols[p];
      if (settings === undefined) throw new Error(`No settings for protocol ${p}.`);
      return mailEndpoint(p, settings);
    }),
  ];
  const checks: Check[] = [];
  const hosts = new Set<string>();
  const ports = new Set<string>();
  for (const endpoint of endpoints) {
    const { host, port } = endpoint;
    if (!hosts.has(host)) {
      hosts.add(host);
      checks.push({
        id: `dns:${host}`,
        title: `DNS ${host}`,
        needs: [],
        run: async () => (await resolveHost(host, endpoint.advice)).join(', '),
      });
    }
    const address = `${host}:${port}`;
    if (!ports.has(address)) {
      ports.add(address);
      checks.push({
        id: `tcp:${address}`,
        title: `TCP ${address}`,
        needs: [`dns:${host}`],
        run: async () => {
          await probeTcp(host, port, timeoutMs, endpoint.advice);
          return 'connected';
        },
      });
    }
    checks.push({
      id: `tls:${endpoint.name}`,
      title: `TLS ${endpoint.name} ${address}`,
      needs: [`tcp:${address}`],
      run: async () => {
        if (endpoint.mode === 'none')
          return 'no TLS configured (kalisto.auth.allowInsecure): token sent in clear';
        const tls = await probeTls({
          host,
          port,
          mode: endpoint.mode,
          dialect: endpoint.dialect,
          ca: config.tlsCa,
          minVersion: endpoint.minVersion,
          checkServerIdentity: endpoint.checkServerIdentity,
          timeoutMs,
          advice: endpoint.advice,
        });
        const how = endpoint.mode === 'starttls' ? 'STARTTLS, ' : '';
        return `${how}${tls.version}, certificate ${tls.subject} by ${tls.issuer}, valid to ${tls.validTo}`;
      },
    });
  }

  let claims: TokenClaimsSummary | undefined;
  const { oauth } = config;
  const outlook = options.protocols.filter((p) => p !== GRAPH);
  if (outlook.length > 0)
    checks.push({
      id: 'token',
      title: `Token (${oauth.flow}, ${oauth.provider})`,
      needs: ['tls:identity'],
      run: async () => {
        const session = await options.session();
        const token = await session.tokens.getToken();
        claims = decodeTokenClaims(token.accessToken);
        const minutes = Math.round((token.expiresAt - now()) / 60_000);
        const who = claims?.user ?? (claims?.appId ? `app ${claims.appId}` : 'opaque token');
        const service = tokenService(claims);
        return `${who}, audience ${claims?.aud ?? '-'}${service === undefined ? '' : ` (${service})`}, expires in ${minutes} min`;
      },
    });

  if (options.protocols.includes(GRAPH))
    checks.push(
      ...graphChecks({ config, session: options.session, operations: graphOperations(config), now }),
    );

  checks.push(...expiryChecks({ config, session: options.session, now }));

  checks.push({
    id: 'cache',
    title: 'Token cache',
    needs: [],
    run: async () => tokenCacheFinding((await options.session()).cache),
  });

  const families = [...new Set(options.protocols.map(protocolFamily).filter((f) => f !== undefined))];
  for (const family of families) {
    const protocol = options.protocols.find((p) => protocolFamily(p) === family) ?? family;
    checks.push({
      id: `claims:${family}`,
      title: `Token fit for ${family.toUpperCase()}`,
      needs: ['token'],
      run: async () => {
        const mailbox = config.protocols[protocol]?.user;
        const findings = auditFor(claims, family, config, mailbox, now());
        if (findings.length === 0) {
          const granted = [...(claims?.roles ?? []), ...(claims?.scp ?? [])].join(' ');
          return `audience and permissions fit (${granted || '-'})`;
        }
        const first = findings[0]!;
        throw new AuthenticationError(
          `The token would be refused for ${family.toUpperCase()} (${findings.map((f) => f.code).join(', ')}).`,
          {
            code: `CLAIMS_${first.code}`,
            protocol: family,
            claims,
            findings,
            hint: findings.map((f) => f.message).join(' '),
          },
        );
      },
    });
  }

  for (const protocol of outlook) {
    const settings = config.protocols[protocol]!;
    const family = protocolFamily(protocol);
    checks.push({
      id: `login:${protocol}`,
      title: `Login ${protocol} as ${settings.user ?? '-'}`,
      needs: ['token', `tls:${protocol}`],
      run: () => login(options.session, protocol, family),
    });
  }

  const transport =
    config.transportProtocol === GRAPH && options.protocols.includes(GRAPH)
      ? GRAPH
      : options.protocols.find((p) => protocolFamily(p) === 'smtp');
  const transportSettings = transport === undefined ? undefined : config.protocols[transport];
  const user = transportSettings?.user;
  const sender = options.from ?? transportSettings?.from ?? (options.sendTest ? user : undefined);
  if (transport !== undefined && sender !== undefined && user !== undefined) {
    const sendAs = sender.toLowerCase() !== user.toLowerCase();
    if (sendAs || options.sendTest) {
      checks.push({
        id: 'sendas',
        title: sendAs ? `Send As ${sender}` : `Send test ${sender}`,
        needs: [`login:${transport}`],
        run: async () => {
          const session = await options.session();
          const transporter = await session.transport(transport as 'smtp');
          await transporter.sendMail({
            from: sender,
            to: sender,
            subject: sendAs ? 'Kalisto doctor: Send As check' : 'Kalisto doctor: send check',
            text: `${user} may send as ${sender}${transport === GRAPH ? ' through Microsoft Graph' : ''}: this message proves it.\r\n`,
          });
          return `${user} may send as ${sender}${transport === GRAPH ? ' through Graph' : ''} (a test message went to ${sender})`;
        },
      });
    }
  }
  return checks;
}

async function login(
  openSession: () => Promise<KalistoSession>,
  protocol: string,
  family: 'imap' | 'pop3' | 'smtp' | undefined,
): Promise<string> {
  const session = await openSession();
  if (family === 'smtp') {
    try {
      await session.transport(protocol as 'smtp');
    } catch (error) {
      throw withGraphAlternative(error);
    }
    return 'authenticated (SASL XOAUTH2)';
  }
  if (family === 'pop3') {
    const client = await session.store(protocol as 'pop3');
    const stat = await client.stat();
    return `authenticated; ${plural(stat.count, 'message')} in the maildrop`;
  }
  if (family === 'imap') {
    const client = await session.store(protocol as 'imap');
    const status = await client.status('INBOX', { messages: true, unseen: true });
    if (status === false) return 'authenticated; INBOX status unavailable';
    return `authenticated; INBOX has ${plural(status.messages ?? 0, 'message')} (${status.unseen ?? 0} unseen)`;
  }
  await session.store(protocol);
  return 'authenticated';
}

/**
 * SMTP AUTH switched off (`535 5.7.139`): the fix already offers `mail.transport.protocol=graph`;
 * the doctor adds how to check Graph for this mailbox before switching.
 */
function withGraphAlternative(error: unknown): unknown {
  if (!isKalistoError(error) || error.code !== 'AUTH_SMTP_DISABLED') return error;
  const hint =
    `${error.hint ?? ''} Before switching, check Graph for this mailbox: kalisto doctor --protocols graph.`.trim();
  const message = error.hint ? error.message.replace(error.hint, hint) : `${error.message} ${hint}`;
  return new AuthenticationError(message, { code: error.code, protocol: 'smtp', hint, cause: error });
}
