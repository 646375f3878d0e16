import { KalistoError } from '../errors/errors.js';
import type { ProtocolProvider, ProtocolType } from '../protocol/types.js';

/** The package that provides each standard plugin name: what a "missing" error tells the user to install. */
export const STANDARD_PLUGIN_PACKAGES: Readonly<Record<string, string>> = {
  imap: '@kalisto/protocol-imap',
  imaps: '@kalisto/protocol-imap',
  pop3: '@kalisto/protocol-pop3',
  pop3s: '@kalisto/protocol-pop3',
  smtp: '@kalisto/protocol-smtp',
  smtps: '@kalisto/protocol-smtp',
  graph: '@kalisto/protocol-graph',
  msal: '@kalisto/token-msal',
  oauth2: '@kalisto/token-oauth2',
  memory: '@kalisto/cache-memory',
  redis: '@kalisto/cache-redis',
  file: '@kalisto/cache-file',
};

/**
 * The WebSphere protocol-provider table: Java class names found in old configs (`mail.<p>.class`)
 * and the protocol each resolves to. Data in core, so an old config works whichever provider
 * package is installed.
 */
export const JAVA_PROVIDER_CLASSES: Readonly<Record<string, string>> = {
  'pl.slawas.mail.outlook.store.OutlookStore': 'imap',
  'pl.slawas.mail.outlook.store.OutlookSSLStore': 'imaps',
  'com.sun.mail.pop3.POP3Store': 'pop3',
  'com.sun.mail.pop3.POP3SSLStore': 'pop3s',
  'pl.slawas.mail.outlook.smtp.OutlookTransport': 'smtp',
  'pl.slawas.mail.outlook.smtp.OutlookSSLTransport': 'smtps',
  // JavaMail's own classes, which a config written before the Kalisto library may still name.
  'com.sun.mail.imap.IMAPStore': 'imap',
  'com.sun.mail.imap.IMAPSSLStore': 'imaps',
  'com.sun.mail.smtp.SMTPTransport': 'smtp',
  'com.sun.mail.smtp.SMTPSSLTransport': 'smtps',
};

export interface RegistryOptions {
  /** What the registry holds, in words for messages: `protocol provider`, `token provider`, `cache`. */
  kind: string;
  /** How to register a custom one, for the "missing" message, e.g. `createKalisto({ caches })`. */
  registerWith: string;
}

/** A named collection of plugins. Each `createKalisto()` owns its own; there is no global one. */
export interface Registry<T> {
  /** Adds `item` under `name`; a name (or alias) already taken throws `REGISTRY_DUPLICATE`. */
  register(name: string, item: T): void;
  /** Makes `alias` another name for the registered `name`. */
  alias(alias: string, name: string): void;
  has(name: string): boolean;
  /** The item under `name` or an alias; throws `REGISTRY_MISSING` naming what is registered and what to install. */
  get(name: string): T;
  /** The registered names (aliases excluded), in registration order. */
  names(): string[];
  /** The distinct registered items (an item registered under two names appears once). */
  values(): T[];
}

/** An empty registry of `kind`. */
export function createRegistry<T>(options: RegistryOptions): Registry<T> {
  const items = new Map<string, T>();
  const aliases = new Map<string, string>();

  const taken = (name: string) => items.has(name) || aliases.has(name);
  const duplicate = (name: string) =>
    new KalistoError(`A ${options.kind} named "${name}" is already registered.`, {
      code: 'REGISTRY_DUPLICATE',
      hint: `Register each ${options.kind} once, or give the second one another name.`,
    });

  return {
    register(name, item) {
      if (taken(name)) throw duplicate(name);
      items.set(name, item);
    },
    alias(alias, name) {
      if (taken(alias)) throw duplicate(alias);
      if (!items.has(name)) throw missingError(options, name, [...items.keys()]);
      aliases.set(alias, name);
    },
    has: (name) => taken(name),
    get(name) {
      const item = items.get(aliases.get(name) ?? name);
      if (item === undefined) throw missingError(options, name, [...items.keys()]);
      return item;
    },
    names: () => [...items.keys()],
    values: () => [...new Set(items.values())],
  };
}

/** `No protocol provider "pop3s" (have: imap, imaps). Install @kalisto/protocol-pop3.` */
function missingError(
  options: RegistryOptions,
  name: string,
  have: readonly string[],
  via?: string,
): KalistoError {
  const pkg = STANDARD_PLUGIN_PACKAGES[name];
  const fix = pkg === undefined ? `Register one with ${options.registerWith}.` : `Install ${pkg}.`;
  const from = via === undefined ? '' : ` for class "${via}"`;
  return new KalistoError(
    `No ${options.kind} "${name}"${from} (have: ${have.length > 0 ? have.join(', ') : 'none'}). ${fix}`,
    {
      code: 'REGISTRY_MISSING',
      hint:
        pkg === undefined
          ? `Register a ${options.kind} named "${name}" with ${options.registerWith}.`
          : `Install ${pkg} and pass it to ${options.registerWith}.`,
    },
  );
}

/**
 * The protocol-provider table of one Kalisto instance: providers by protocol name and type (one
 * name may have a store and a transport, as `graph` does), and by the Java class names of old
 * configs (the standard table plus each provider's own `javaClasses`).
 */
export interface ProtocolRegistry {
  /** Adds a provider under its protocol name, its type and its Java class names. */
  register(provider: ProtocolProvider<unknown>): void;
  /** Whether a provider of `type` (any type when absent) is registered for the name or Java class. */
  has(nameOrClass: string, type?: ProtocolType): boolean;
  /**
   * The `type` provider for a protocol name or Java class name. When `javaClass` (the config's
   * `mail.<p>.class`) is given, it picks the provider instead of the name. Throws
   * `REGISTRY_MISSING` when no provider has the name, `PROTOCOL_WRONG_TYPE` when only one of the
   * other type has it.
   */
  resolve(nameOrClass: string, type: ProtocolType, javaClass?: string): ProtocolProvider<unknown>;
  /** The protocol name a Java class name (or protocol name) stands for. */
  protocolOf(nameOrClass: string): string;
  /** The registered protocol names (each once, whatever its types), in registration order. */
  names(type?: ProtocolType): string[];
  /** Every registered provider: a name with a store and a transport gives two. */
  values(): ProtocolProvider<unknown>[];
}

const PROTOCOL_REGISTRY_OPTIONS: RegistryOptions = {
  kind: 'protocol provider',
  registerWith: 'createKalisto({ protocols })',
};

/** The rows of one protocol name: at most one provider per type. */
type ProtocolRow = Partial<Record<ProtocolType, ProtocolProvider<unknown>>>;

/** An empty protocol registry. */
export function createProtocolRegistry(): ProtocolRegistry {
  const rows = new Map<string, ProtocolRow>();
  const extraClasses = new Map<string, string>();

  const protocolOf = (nameOrClass: string) =>
    extraClasses.get(nameOrClass) ?? JAVA_PROVIDER_CLASSES[nameOrClass] ?? nameOrClass;
  const names = (type?: ProtocolType) =>
    [...rows].filter(([, row]) => type === undefined || row[type] !== undefined).map(([name]) => name);

  return {
    register(provider) {
      const row = rows.get(provider.protocol) ?? {};
      if (row[provider.type] !== undefined) {
        throw new KalistoError(`A protocol provider named "${provider.protocol}" is already registered.`, {
          code: 'REGISTRY_DUPLICATE',
          hint: `Register each ${provider.type} protocol provider once, or give the second one another name.`,
        });
      }
      for (const javaClass of provider.javaClasses ?? []) {
        const known = protocolOf(javaClass);
        if (known !== javaClass && known !== provider.protocol) {
          throw new KalistoError(
            `Java class "${javaClass}" already stands for protocol "${known}"; protocol provider "${provider.protocol}" cannot claim it.`,
            {
              code: 'REGISTRY_DUPLICATE',
              hint: `Remove "${javaClass}" from the javaClasses of "${provider.protocol}".`,
            },
          );
        }
      }
      for (const javaClass of provider.javaClasses ?? []) extraClasses.set(javaClass, provider.protocol);
      row[provider.type] = provider;
      rows.set(provider.protocol, row);
    },
    has(nameOrClass, type) {
      const row = rows.get(protocolOf(nameOrClass));
      return row !== undefined && (type === undefined ? true : row[type] !== undefined);
    },
    resolve(nameOrClass, type, javaClass) {
      const requested = javaClass ?? nameOrClass;
      const protocol = protocolOf(requested);
      const row = rows.get(protocol);
      if (row === undefined) {
        throw missingError(
          PROTOCOL_REGISTRY_OPTIONS,
          protocol,
          names(),
          protocol === requested ? undefined : requested,
        );
      }
      const provider = row[type];
      if (provider === undefined) {
        throw wrongType(protocol, otherType(type), type, requested, {
          store: names('store'),
          transport: names('transport'),
        });
      }
      return provider;
    },
    protocolOf,
    names,
    values: () =>
      [...rows.values()].flatMap((row) => [row.store, row.transport].filter((p) => p !== undefined)),
  };
}

const otherType = (type: ProtocolType): ProtocolType => (type === 'store' ? 'transport' : 'store');

/**
 * `Protocol provider "smtp" is a transport, not a store. …`, with a hint listing what is
 * registered of each type.
 */
function wrongType(
  protocol: string,
  registered: ProtocolType,
  wanted: ProtocolType,
  requested: string,
  have: Readonly<Record<ProtocolType, readonly string[]>>,
): KalistoError {
  const article = (t: ProtocolType) => (t === 'store' ? 'a store' : 'a transport');
  const asked = requested === protocol ? `"${protocol}"` : `"${requested}" (${protocol})`;
  const setting = wanted === 'store' ? 'mail.store.protocol' : 'mail.transport.protocol';
  const list = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : 'none');
  const pkg = STANDARD_PLUGIN_PACKAGES[protocol];
  // A standard package that provides both types (graph): the other provider was not registered.
  const both = pkg !== undefined && STANDARD_DUAL_PROTOCOLS.has(protocol);
  const register = both ? ` ${pkg} provides ${article(wanted)} "${protocol}" too: register it.` : '';
  return new KalistoError(
    `Protocol provider ${asked} is ${article(registered)}, not ${article(wanted)}. Use session.${registered}('${protocol}'), or set ${setting} (and mail.<protocol>.class) to ${article(wanted)} protocol.${register}`,
    {
      code: 'PROTOCOL_WRONG_TYPE',
      hint: `Stores: ${list(have.store)}. Transports: ${list(have.transport)}.${register}`,
    },
  );
}

/** Standard protocol names whose package provides a store and a transport under the one name. */
const STANDARD_DUAL_PROTOCOLS: ReadonlySet<string> = new Set(['graph']);
