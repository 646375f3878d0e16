import { CERT_KEY, CERT_THUMBPRINT, certificateExpiry, clientSecretExpiry } from './credential-dates.js';
import type { PropertyReader } from './property-reader.js';
import { OAUTH_FLOWS } from './property-table.js';
import type { Secret } from './secret.js';
import type { CloudName, OAuthSettings } from './types.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const MULTI_TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);
const THUMBPRINT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

function checkTenant(reader: PropertyReader, tenant: string | undefined): void {
  if (tenant === undefined) return;
  if (MULTI_TENANT_ALIASES.has(tenant.toLowerCase())) {
    reader.issue(
      'o365.oauth.tenant',
      'your directory (tenant) id or a verified domain: the password and client-credential grants cannot use common, organizations or consumers',
    );
  } else if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    reader.issue(
      'o365.oauth.tenant',
      'a directory (tenant) id (a GUID) or a verified domain such as contoso.onmicrosoft.com',
    );
  }
}

/** The authority host URL without a trailing slash, or undefined (with an issue) if it is not plain https. */
function authorityHost(reader: PropertyReader): string | undefined {
  const name = 'o365.oauth.authority';
  // Derived from a given token URL: that URL's own check reports any problem.
  if (!reader.isGiven(name) && reader.isGiven('o365.oauth.url')) {
    const derived = reader.string(name);
    return derived?.startsWith('https://') ? derived : undefined;
  }
  const url = reader.url(name, ['https:'], 'URL (the identity platform is only spoken to over https)');
  if (url === undefined) return undefined;
  if (url.search !== '' || url.hash !== '' || url.username !== '') {
    reader.issue(name, 'an https URL without credentials, query or fragment');
    return undefined;
  }
  return reader.string(name)!.replace(/\/+$/, '');
}

/**
 * The token URL template, checked when given: https, with `%s` for the tenant. A derived one
 * follows the authority, whose own check covers it. Only MSAL needs the tenant in the URL: with
 * another provider (`oauth2`) a URL without `%s` is a fixed endpoint of any RFC 6749 server.
 */
function tokenUrlTemplate(reader: PropertyReader): string | undefined {
  const name = 'o365.oauth.url';
  const template = reader.string(name);
  if (template === undefined) return undefined;
  if (!reader.isGiven(name)) return template;
  if (!template.includes('%s') && (reader.string('o365.oauth.provider') ?? 'msal') === 'msal') {
    reader.issue(
      name,
      'a token endpoint URL containing %s where the tenant goes (or o365.oauth.provider=oauth2 for a fixed endpoint)',
    );
    return undefined;
  }
  const candidate = template.replaceAll('%s', 'tenant');
  if (!URL.canParse(candidate) || new URL(candidate).protocol !== 'https:') {
    reader.issue(name, 'an https token endpoint URL');
    return undefined;
  }
  return template;
}

function certificate(
  reader: PropertyReader,
  secrets: ReadonlyMap<string, Secret>,
): OAuthSettings['certificate'] | undefined {
  const thumbprint = reader.string(CERT_THUMBPRINT)?.replace(/[:\s]/g, '');
  const hasKey = (reader.raw(CERT_KEY) ?? '') !== '';
  if (thumbprint === undefined && !hasKey) return undefined;
  if (thumbprint === undefined) {
    reader.missing(
      CERT_THUMBPRINT,
      'the certificate thumbprint, given with o365.oauth.certificate.privateKey',
    );
    return undefined;
  }
  if (!hasKey) {
    reader.missing(
      CERT_KEY,
      'the PEM private key of the certificate named by o365.oauth.certificate.thumbprint',
    );
    return undefined;
  }
  if (!THUMBPRINT.test(thumbprint)) {
    reader.issue(CERT_THUMBPRINT, 'a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint');
    return undefined;
  }
  const privateKey = secrets.get(CERT_KEY);
  if (privateKey === undefined) return undefined;
  const notAfter = certificateExpiry(reader, privateKey, thumbprint);
  return notAfter === undefined ? { thumbprint, privateKey } : { thumbprint, privateKey, notAfter };
}

function checkFlowNeeds(reader: PropertyReader, flow: string | undefined, hasCertificate: boolean): void {
  const has = (name: string): boolean => (reader.raw(name) ?? '').trim() !== '';
  if (flow === 'password') {
    if (!has('o365.user'))
      reader.missing('o365.user', 'the mailbox user name: the password grant signs in as o365.user');
    if (!has('o365.password'))
      reader.missing('o365.password', "the user's password: o365.oauth.flow is password");
  }
  if (flow === 'client_credentials' && !has('o365.oauth.clientSecret') && !hasCertificate) {
    reader.missing(
      'o365.oauth.clientSecret',
      'the application secret, or o365.oauth.certificate.thumbprint with .privateKey: client_credentials needs a credential',
    );
  }
}

/** Builds `config.oauth`, adding an issue for each bad or missing value. */
export function buildOAuthSettings(
  reader: PropertyReader,
  secrets: ReadonlyMap<string, Secret>,
  cloud: CloudName,
): OAuthSettings {
  const tenant = reader.string('o365.oauth.tenant');
  checkTenant(reader, tenant);
  const host = authorityHost(reader) ?? '';
  const template = tokenUrlTemplate(reader) ?? '';
  const flow = reader.oneOf('o365.oauth.flow', OAUTH_FLOWS);
  const scopes = reader.list('o365.oauth.scope');
  if (scopes.length === 0) reader.issue('o365.oauth.scope', 'at least one scope');
  const cert = certificate(reader, secrets);
  const hasCertificate = reader.has(CERT_THUMBPRINT) && reader.has(CERT_KEY);
  checkFlowNeeds(reader, flow, hasCertificate);
  const proxyUrl = reader.url('kalisto.oauth.proxy', ['http:', 'https:'], 'proxy URL');

  return {
    cloud,
    authorityHost: host,
    authority: `${host}/${tenant ?? ''}`,
    tenant: tenant ?? '',
    clientId: reader.string('o365.oauth.clientId') ?? '',
    clientSecret: secrets.get('o365.oauth.clientSecret'),
    ...clientSecretExpiry(reader),
    tokenUrl: template.replaceAll('%s', tenant ?? ''),
    scopes,
    flow: flow ?? 'client_credentials',
    provider: reader.string('o365.oauth.provider') ?? 'msal',
    user: reader.string('o365.user'),
    password: secrets.get('o365.password'),
    certificate: cert,
    refreshSkewMs: reader.int('kalisto.token.refreshSkew') ?? 0,
    timeoutMs: reader.int('kalisto.oauth.timeout') ?? 0,
    proxy: proxyUrl === undefined ? undefined : reader.string('kalisto.oauth.proxy'),
  };
}
