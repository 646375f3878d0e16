import { wrapPluginError } from '../errors/plugin-error.js';
import { configRedactor } from '../logging/redactor.js';
import type { ProtocolContext, ProtocolProvider, ProtocolType } from '../protocol/types.js';
import { checkMethods, checkName, invalidPlugin } from './checks.js';

export interface ProtocolProviderPlugin<TClient> {
  /** `imap`, `imaps`, `pop3`, `pop3s`, `smtp`, `smtps` or a custom name. */
  protocol: string;
  type: ProtocolType;
  /** Java class names from old configs that should resolve to this provider (the standard ones are built in). */
  javaClasses?: readonly string[];
  /** Opens an authenticated client. */
  create(context: ProtocolContext): Promise<TClient>;
  /** Closes a client this provider created. */
  close?(client: TClient): Promise<void>;
  /** Calls `forget` once the client has closed by itself, so the session stops holding it. */
  onClosed?(client: TClient, forget: () => void): void;
}

/**
 * Defines a protocol provider: checks the definition now, gives `create` a logger bound to
 * `protocol:<name>`, and turns any non-Kalisto failure into a `ConnectionError` prefixed
 * `[protocol:<name>]` (code `CONNECTION_FAILED`, with host and port, transient for network failures,
 * configured secrets and credential-looking strings scrubbed).
 */
export function defineProtocolProvider<TClient>(
  plugin: ProtocolProviderPlugin<TClient>,
): ProtocolProvider<TClient> {
  const { protocol, type, javaClasses } = plugin;
  checkName('protocol', protocol);
  checkMethods('protocol', protocol, 'protocol provider', plugin, ['create'], ['close', 'onClosed']);
  if (type !== 'store' && type !== 'transport') {
    throw invalidPlugin(
      'protocol',
      protocol,
      `A protocol provider's type is "store" or "transport" (got ${JSON.stringify(type)}).`,
    );
  }
  if (
    javaClasses !== undefined &&
    !(Array.isArray(javaClasses) && javaClasses.every((c) => typeof c === 'string'))
  ) {
    throw invalidPlugin('protocol', protocol, 'javaClasses must be an array of Java class names.');
  }
  const { close, onClosed } = plugin;
  return {
    protocol,
    type,
    ...(onClosed === undefined ? {} : { onClosed: onClosed.bind(plugin) }),
    ...(javaClasses === undefined ? {} : { javaClasses: [...javaClasses] }),
    async create(context) {
      const logger = context.logger.child?.({ plugin: `protocol:${protocol}` }) ?? context.logger;
      try {
        return await plugin.create({ ...context, logger });
      } catch (error) {
        throw wrapPluginError(error, {
          kind: 'protocol',
          name: protocol,
          action: `Connecting to ${context.settings.host}:${context.settings.port}`,
          redactor: configRedactor(context.session.config),
          host: context.settings.host,
          port: context.settings.port,
        });
      }
    },
    ...(close === undefined
      ? {}
      : {
          async close(client: TClient) {
            try {
              await close.call(plugin, client);
            } catch (error) {
              throw wrapPluginError(error, {
                kind: 'protocol',
                name: protocol,
                action: 'Closing the connection',
              });
            }
          },
        }),
  };
}
