/**
 * A configuration naming a protocol provider that does not exist — `mail.<p>.class=com.example.X`,
 * `mail.store.protocol=pop9` — said the way a CLI user can act on: the property, the unknown name,
 * and the names that work. The library's own error speaks to application authors ("register one
 * with createKalisto"), which a CLI user cannot do; every provider is registered here.
 */
import { isKalistoError, KalistoError, type KalistoSession, type ProtocolRegistry } from '@kalisto/core';

type ProviderType = 'store' | 'transport';

/** The registered protocol names that have a provider of `type`. */
function namesOfType(registry: ProtocolRegistry, type: ProviderType): string[] {
  return registry.names().filter((name) => {
    try {
      registry.resolve(name, type);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * `error` reworded when it is the registry's "no such provider" for what the configuration names
 * (`CONFIG_UNKNOWN_CLASS`, exit code 2); any other error as it is.
 */
export function explainProviderError(
  error: unknown,
  type: ProviderType,
  requested: string | undefined,
  session: Pick<KalistoSession, 'config'>,
  registry: ProtocolRegistry,
): unknown {
  if (!isKalistoError(error) || error.code !== 'REGISTRY_MISSING') return error;
  const { config } = session;
  const setting = type === 'store' ? 'mail.store.protocol' : 'mail.transport.protocol';
  const name = requested ?? (type === 'store' ? config.storeProtocol : config.transportProtocol);
  const protocol = registry.protocolOf(name);
  const javaClass = protocol === name ? config.protocols[protocol]?.providerClass : undefined;
  const known = namesOfType(registry, type).join(', ');
  if (javaClass !== undefined && !registry.has(javaClass)) {
    const property = `mail.${protocol}.class`;
    return new KalistoError(
      `${property}: unknown class ${javaClass}; known: ${known} (or the Java class name of one in the WebSphere provider table).`,
      {
        code: 'CONFIG_UNKNOWN_CLASS',
        hint: `Remove ${property} to use the ${protocol} ${type}, or name one of those.`,
        cause: error,
      },
    );
  }
  if (registry.has(name)) return error;
  const source = requested === undefined ? setting : `the ${type} protocol ${name}`;
  return new KalistoError(`${source}: unknown protocol ${name}; known: ${known}.`, {
    code: 'CONFIG_UNKNOWN_CLASS',
    hint: requested === undefined ? `Set ${setting} to one of those.` : 'Use one of those.',
    cause: error,
  });
}

/** The session with `store()` and `transport()` failures worded by {@link explainProviderError}. */
export function withProviderErrors(session: KalistoSession, registry: ProtocolRegistry): KalistoSession {
  const explain = (type: ProviderType, requested: string | undefined) => (error: unknown) => {
    throw explainProviderError(error, type, requested, session, registry);
  };
  return {
    ...session,
    store: ((protocol?: string, options?: { signal?: AbortSignal }) =>
      session.store(protocol, options).catch(explain('store', protocol))) as KalistoSession['store'],
    transport: ((protocol?: string, options?: { signal?: AbortSignal }) =>
      session
        .transport(protocol, options)
        .catch(explain('transport', protocol))) as KalistoSession['transport'],
  };
}
