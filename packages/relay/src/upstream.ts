/**
 * The relay's way out: one Kalisto session per mailbox, made on first use from the base
 * configuration with the mailbox as the session user, and one transport client per (mailbox,
 * protocol), opened once and reused. `send` hands the envelope and the raw bytes over unchanged.
 */
import {
  ConfigError,
  type Kalisto,
  type KalistoSession,
  type Logger,
  type ResolvedConfig,
} from '@kalisto/core';

export interface Envelope {
  /** The envelope sender as the client gave it (`''` for the null sender). */
  readonly from: string;
  /** Every recipient, Bcc-only ones included, as the client gave them. */
  readonly to: readonly string[];
}

/** What upstream said about a delivered message. */
export interface UpstreamReceipt {
  /** The upstream server's final reply, e.g. `250 2.0.0 OK <id> [Hostname=…]`. */
  readonly response: string;
  readonly accepted: readonly string[];
  /** Recipients upstream refused while accepting the others, with its reply. */
  readonly rejected: readonly { readonly address: string; readonly reply: string }[];
}

/** The part of a transport client the relay uses (nodemailer's `sendMail` with `raw`). */
interface RawSender {
  sendMail(mail: { envelope: { from: string; to: string[] }; raw: Buffer }): Promise<{
    response?: string;
    accepted?: unknown[];
    rejected?: unknown[];
    rejectedErrors?: { recipient?: string; response?: string; message?: string }[];
  }>;
}

export interface Upstream {
  /** The session of `mailbox` (made on first use; closed by `close()`). */
  sessionFor(mailbox: string): KalistoSession;
  /** Sends `raw` with `envelope` through `mailbox`'s transport `protocol`. */
  send(mailbox: string, protocol: string, envelope: Envelope, raw: Buffer): Promise<UpstreamReceipt>;
  /** The default transport and store protocols of the base configuration. */
  readonly defaults: { readonly transport: string; readonly store: string };
  /** Closes every session (and so every transport). */
  close(): Promise<void>;
}

export interface UpstreamOptions {
  kalisto: Kalisto;
  /** The base session properties (everything outside `kalisto.relay.*`). */
  base: Readonly<Record<string, string>>;
  logger: Logger;
}

const APP_ONLY = new Set(['client_credentials', 'managed_identity']);
const POOLED = ['smtp', 'smtps'];

/**
 * The properties of `mailbox`'s session: every protocol logs in as the mailbox; with an app-only
 * grant the mailbox is also `o365.user`; a delegated grant keeps its user (a delegate opening a
 * mailbox it may use). SMTP pools its connections unless the base configuration says otherwise.
 */
export function mailboxProperties(
  base: Readonly<Record<string, string>>,
  resolved: ResolvedConfig,
  mailbox: string,
): Record<string, string> {
  const properties: Record<string, string> = { ...base };
  if (APP_ONLY.has(resolved.oauth.flow)) properties['o365.user'] = mailbox;
  for (const protocol of Object.keys(resolved.protocols)) properties[`mail.${protocol}.user`] = mailbox;
  for (const protocol of POOLED) {
    if (base[`mail.${protocol}.pool.enable`] === undefined)
      properties[`mail.${protocol}.pool.enable`] = 'true';
  }
  return properties;
}

function asRawSender(client: unknown, protocol: string): RawSender {
  if (typeof (client as Partial<RawSender> | undefined)?.sendMail !== 'function') {
    throw new ConfigError([
      {
        property: 'kalisto.relay.listener.<name>.upstream',
        value: protocol,
        expected: 'a transport protocol whose client has sendMail({ envelope, raw }) (smtp, smtps)',
      },
    ]);
  }
  return client as RawSender;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const { kalisto, base, logger } = options;
  // Resolving once up front turns a bad base configuration into a ConfigError at start.
  const resolved = kalisto.resolveConfig(base);
  for (const warning of resolved.warnings ?? []) {
    logger.warn({ property: warning.property, suggestion: warning.suggestion }, warning.message);
  }
  const sessions = new Map<string, KalistoSession>();
  const transports = new Map<string, Promise<RawSender>>();
  let closed = false;

  const sessionFor = (mailbox: string): KalistoSession => {
    const key = mailbox.toLowerCase();
    let session = sessions.get(key);
    if (!session) {
      session = kalisto.session(mailboxProperties(base, resolved, key));
      sessions.set(key, session);
      logger.debug({ mailbox: key }, 'Upstream session created');
    }
    return session;
  };

  const transportFor = (mailbox: string, protocol: string): Promise<RawSender> => {
    const key = `${mailbox.toLowerCase()}\u0000${protocol}`;
    let transport = transports.get(key);
    if (!transport) {
      transport = sessionFor(mailbox)
        .transport(protocol)
        .then((client) => asRawSender(client, protocol));
      transports.set(key, transport);
      // A failed open is not kept: the next message tries again (with a fresh login).
      transport.catch(() => {
        if (transports.get(key) === transport) transports.delete(key);
      });
    }
    return transport;
  };

  return {
    sessionFor,
    defaults: { transport: resolved.transportProtocol, store: resolved.storeProtocol },
    async send(mailbox, protocol, envelope, raw) {
      if (closed) throw new ConfigError([{ property: 'relay', expected: 'a relay that is not stopped' }]);
      const transport = await transportFor(mailbox, protocol);
      const info = await transport.sendMail({
        envelope: { from: envelope.from, to: [...envelope.to] },
        raw,
      });
      const rejectedErrors = info.rejectedErrors ?? [];
      const rejected = (info.rejected ?? []).map((address, index) => {
        const error = rejectedErrors.find((e) => e.recipient === address) ?? rejectedErrors[index];
        return { address: String(address), reply: String(error?.response ?? error?.message ?? 'refused') };
      });
      return {
        response: String(info.response ?? ''),
        accepted: (info.accepted ?? []).map(String),
        rejected,
      };
    },
    async close() {
      closed = true;
      const open = [...sessions.values()];
      sessions.clear();
      transports.clear();
      await Promise.all(
        open.map((session) =>
          session
            .close()
            .catch((error: unknown) => logger.warn({ err: error }, 'Closing an upstream session failed')),
        ),
      );
    },
  };
}
