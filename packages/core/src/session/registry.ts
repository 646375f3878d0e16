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
 * The protocol-provider table of one Kalisto instance: providers by protocol name, and by the Java
 * class names of old configs (the standard table plus each provider's own `javaClasses`).
 */
export interface ProtocolRegistry {
  /** Adds a provider under its protocol name and its Java class names. */
  register(provider: ProtocolProvider<unknown>): void;
  has(nameOrClass: string): boolean;
  /**
   * The provider for a protocol name or Java class name, checked to be of `type`. When `javaClass`
   * (the config's `mail.<p>.class`) is given, it picks the provider instead of the name.
   */
  resolve(nameOrClass: string, type: ProtocolType, javaClass?: string): ProtocolProvider<unknown>;
  /** The protocol name a Java class name (or protocol name) stands for. */
  protocolOf(nameOrClass: string): string;
  names(): string[];
  values(): ProtocolProvider<unknown>[];
}

const PROTOCOL_REGISTRY_OPTIONS: RegistryOptions = {
  kind: 'protocol provider',
  registerWith: 'createKalisto({ protocols })',
};

/** An empty protocol registry. */
export function createProtocolRegistry(): ProtocolRegistry {
  const providers = createRegistry<ProtocolProvider<unknown>>(PROTOCOL_REGISTRY_OPTIONS);
  const extraClasses = new Map<string, string>();

  const protocolOf = (nameOrClass: string) =>
    extraClasses.get(nameOrClass) ?? JAVA_PROVIDER_CLASSES[nameOrClass] ?? nameOrClass;

  return {
    register(provider) {
      providers.register(provider.protocol, provider);
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
        extraClasses.set(javaClass, provider.protocol);
      }
    },
    has: (nameOrClass) => providers.has(protocolOf(nameOrClass)),
    resolve(nameOrClass, type, javaClass) {
      const requested = javaClass ?? nameOrClass;
      const protocol = protocolOf(requested);
      if (!providers.has(protocol)) {
        throw missingError(
          PROTOCOL_REGISTRY_OPTIONS,
          protocol,
          providers.names(),
          protocol === requested ? undefined : requested,
        );
      }
      const provider = providers.get(protocol);
      if (provider.type !== type) throw wrongType(provider, type, requested);
      return provider;
    },
    protocolOf,
    names: () => providers.names(),
    values: () => providers.values(),
  };
}

function wrongType(
  provider: ProtocolProvider<unknown>,
  wanted: ProtocolType,
  requested: string,
): KalistoError {
  const article = (t: ProtocolType) => (t === 'store' ? 'a store' : 'a transport');
  const asked =
    requested === provider.protocol ? `"${provider.protocol}"` : `"${requested}" (${provider.protocol})`;
  const method = provider.type === 'store' ? 'store' : 'transport';
  const setting = wanted === 'store' ? 'mail.store.protocol' : 'mail.transport.protocol';
  return new KalistoError(
    `Protocol provider ${asked} is ${article(provider.type)}, not ${article(wanted)}. Use session.${method}('${provider.protocol}'), or set ${setting} (and mail.<protocol>.class) to ${article(wanted)} protocol.`,
    { code: 'PROTOCOL_WRONG_TYPE', hint: `Stores: imap, imaps, pop3, pop3s. Transports: smtp, smtps.` },
  );
}
