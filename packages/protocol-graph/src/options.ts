/**
 * How a session's `mail.graph.*` settings become the Graph client's options. Pure: no requests,
 * no tokens. Core's property table validates and defaults every value read here.
 */
import type { ProtocolSettings, ResolvedConfig } from '@kalisto/core';
import { requireMailUser } from '@kalisto/core/plugin';

/** Graph's request body limit (sendMail, a draft, one attachment POST): 4 MB, taken as 4,000,000 bytes. */
export const GRAPH_MAX_REQUEST_BYTES = 4_000_000;
/** An attachment of at least this size goes through an upload session (Graph: 3 MB to 150 MB). */
export const UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024;
/** Graph's largest attachment (upload session) and Exchange Online's largest message: 150 MB. */
export const GRAPH_MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
/** One upload-session PUT: a multiple of 320 KiB, under Graph's 4 MB request limit. */
export const UPLOAD_CHUNK_BYTES = 10 * 320 * 1024;

/** Everything the Graph client needs, read from the configuration. */
export interface GraphOptions {
  /** `https://<mail.graph.host>[:<port>]/v1.0`. */
  baseUrl: string;
  host: string;
  port: number;
  /** `mail.graph.user`, else `o365.user`: the `/users/{mailbox}` of every request. */
  mailbox: string;
  /** `mail.graph.scope`. */
  scopes: readonly string[];
  /** `mail.graph.saveToSentItems`. */
  saveToSentItems: boolean;
  /** `mail.graph.from`, else `mail.from`. */
  from: string | undefined;
  /** `mail.graph.timeout`, ms per request. */
  timeoutMs: number;
  /** `mail.graph.maxConcurrency`: requests in flight at once; more wait (FIFO) within `timeoutMs`. */
  maxConcurrency: number;
  /** `mail.graph.maxRetries`. */
  maxRetries: number;
  /** `mail.graph.retryBudget`, ms. */
  retryBudgetMs: number;
  /** `mail.graph.maxResponseBytes`. */
  maxResponseBytes: number;
  /** `mail.graph.maxMessageBytes`. */
  maxMessageBytes: number;
  /** `mail.graph.proxy.*`, else `kalisto.oauth.proxy`; undefined: the environment's HTTPS_PROXY. */
  proxy: string | undefined;
  /** `kalisto.tls.ca`. */
  ca: string | undefined;
  /** The flow gets app-only tokens (client credentials, managed identity). */
  appOnly: boolean;
  cloud: ResolvedConfig['oauth']['cloud'];
}

const APP_ONLY_FLOWS: ReadonlySet<string> = new Set(['client_credentials', 'managed_identity']);

/** The Graph client's options for a session's `graph` settings. */
export function graphOptions(settings: ProtocolSettings, config: ResolvedConfig): GraphOptions {
  const property = (suffix: string) => settings.properties[`mail.graph.${suffix}`]?.trim();
  const number = (suffix: string, fallback: number) => {
    const value = Number(property(suffix));
    return Number.isFinite(value) && property(suffix) !== undefined ? value : fallback;
  };
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    baseUrl: `https://${host}${settings.port === 443 ? '' : `:${settings.port}`}/v1.0`,
    host: settings.host,
    port: settings.port,
    mailbox: requireMailUser(settings),
    scopes: (property('scope') ?? '').split(/[\s,]+/).filter((s) => s !== ''),
    saveToSentItems: property('saveToSentItems')?.toLowerCase() !== 'false',
    from: settings.from,
    timeoutMs: settings.timeoutMs,
    maxConcurrency: Math.max(1, number('maxConcurrency', 4)),
    maxRetries: number('maxRetries', 3),
    retryBudgetMs: number('retryBudget', 60_000),
    maxResponseBytes: settings.maxResponseBytes,
    maxMessageBytes: number('maxMessageBytes', GRAPH_MAX_ATTACHMENT_BYTES),
    proxy: settings.proxy ?? config.oauth.proxy,
    ca: config.tlsCa,
    appOnly: APP_ONLY_FLOWS.has(config.oauth.flow),
    cloud: config.oauth.cloud,
  };
}
