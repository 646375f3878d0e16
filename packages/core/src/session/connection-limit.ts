/**
 * The per-mailbox connection limit of a session (`mail.<p>.maxConnections`): store() calls beyond
 * the limit wait, in order, for an open connection to the same mailbox to close — at most
 * `mail.<p>.maxConnections.wait` ms, then they fail with a ConnectionError naming the property.
 */
import { CLOUD_PRESETS } from '../config/clouds.js';
import type { ProtocolSettings } from '../config/types.js';
import { ConnectionError } from '../errors/errors.js';

/** Exchange Online allows about 20 concurrent IMAP connections per mailbox; the 21st is refused. */
export const EXCHANGE_MAX_CONNECTIONS = 20;
const DEFAULT_WAIT_MS = 60_000;

const EXCHANGE_HOSTS: ReadonlySet<string> = new Set(
  Object.values(CLOUD_PRESETS).map((preset) => preset.mailHost.toLowerCase()),
);

/** What limits the connections of one protocol: `limit` 0 means none. */
export interface ConnectionLimit {
  limit: number;
  waitMs: number;
}

const intProperty = (settings: ProtocolSettings, suffix: string): number | undefined => {
  const raw = settings.properties[`mail.${settings.protocol}.${suffix}`];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
};

/** `mail.<p>.maxConnections` (default 20 for Exchange Online's mail hosts, else 0) and its wait. */
export function connectionLimitOf(settings: ProtocolSettings): ConnectionLimit {
  const given = intProperty(settings, 'maxConnections');
  const exchange = EXCHANGE_HOSTS.has(settings.host.trim().toLowerCase());
  return {
    limit: given ?? (exchange ? EXCHANGE_MAX_CONNECTIONS : 0),
    waitMs: intProperty(settings, 'maxConnections.wait') || DEFAULT_WAIT_MS,
  };
}

/**
 * The mailbox a connection counts against: protocol family (imap and imaps share Exchange's
 * limit), host, port and user.
 */
export function mailboxKey(settings: ProtocolSettings): string {
  const family = settings.protocol.replace(/s$/, '');
  return JSON.stringify([
    family,
    settings.host.toLowerCase(),
    settings.port,
    settings.user?.toLowerCase() ?? '',
  ]);
}

interface Mailbox {
  held: number;
  waiting: { grant: () => void }[];
}

/** Gives out release functions; each is idempotent. */
export interface ConnectionLimiter {
  acquire(settings: ProtocolSettings, signal?: AbortSignal): Promise<() => void>;
}

export function createConnectionLimiter(): ConnectionLimiter {
  const mailboxes = new Map<string, Mailbox>();

  const releaser = (key: string, mailbox: Mailbox) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = mailbox.waiting.shift();
      if (next !== undefined) {
        next.grant(); // the slot passes to the next in line; `held` stays
        return;
      }
      mailbox.held -= 1;
      if (mailbox.held === 0) mailboxes.delete(key);
    };
  };

  return {
    async acquire(settings, signal) {
      signal?.throwIfAborted();
      const { limit, waitMs } = connectionLimitOf(settings);
      if (limit === 0) return () => {};
      const key = mailboxKey(settings);
      let mailbox = mailboxes.get(key);
      if (mailbox === undefined) {
        mailbox = { held: 0, waiting: [] };
        mailboxes.set(key, mailbox);
      }
      if (mailbox.held < limit) {
        mailbox.held += 1;
        return releaser(key, mailbox);
      }
      const box = mailbox;
      return new Promise<() => void>((resolve, reject) => {
        const waiter = {
          grant: () => {
            settle();
            resolve(releaser(key, box));
          },
        };
        const leave = (error: unknown) => {
          const index = box.waiting.indexOf(waiter);
          if (index >= 0) box.waiting.splice(index, 1);
          settle();
          reject(error);
        };
        const timer = setTimeout(() => leave(limitError(settings, limit, waitMs)), waitMs);
        const onAbort = () => leave(signal?.reason);
        const settle = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        box.waiting.push(waiter);
      });
    },
  };
}

function limitError(settings: ProtocolSettings, limit: number, waitMs: number): ConnectionError {
  const p = `mail.${settings.protocol}`;
  const mailbox = settings.user ?? 'the mailbox';
  const hint = `Close store clients you no longer need (client.logout()/quit()), or raise ${p}.maxConnections (Exchange Online allows about ${EXCHANGE_MAX_CONNECTIONS} IMAP connections per mailbox) or ${p}.maxConnections.wait.`;
  return new ConnectionError(
    `[${settings.protocol}] No free connection to ${mailbox} on ${settings.host}:${settings.port} within ${waitMs} ms: this session already holds ${limit}, the limit of ${p}.maxConnections. ${hint}`,
    {
      code: 'CONNECTION_LIMIT',
      protocol: settings.protocol,
      host: settings.host,
      port: settings.port,
      transient: true,
      hint,
    },
  );
}
