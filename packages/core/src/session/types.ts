import type { CacheBackend } from '../cache/types.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { StoreClient, TransportClient } from '../protocol/types.js';
import type { KalistoTelemetry } from '../telemetry/kalisto-telemetry.js';
import type { TokenManager } from '../token/types.js';

/** One configured mail session (the WebSphere mail session): tokens, cache and protocol clients. */
export interface KalistoSession {
  readonly config: ResolvedConfig;
  readonly tokens: TokenManager;
  /** The shared cache backend named by `websphere.cache`, if any. */
  readonly cache: CacheBackend | undefined;
  readonly logger: Logger;
  /** Where the session's metrics and spans go (a no-op recorder without an OpenTelemetry SDK). */
  readonly telemetry: KalistoTelemetry;
  /** Opens an authenticated store client; default protocol `mail.store.protocol`. */
  store<P extends string = string>(protocol?: P, options?: { signal?: AbortSignal }): Promise<StoreClient<P>>;
  /** Opens an authenticated transport client; default protocol `mail.transport.protocol`. */
  transport<P extends string = string>(
    protocol?: P,
    options?: { signal?: AbortSignal },
  ): Promise<TransportClient<P>>;
  /** Closes every client this session opened, then the token provider. Idempotent. */
  close(): Promise<void>;
}
