/**
 * ImapFlow with Kalisto's login policy: the configured SASL mechanism wins over ImapFlow's own
 * preference, and a token never goes over an unencrypted connection unless the configuration allows it.
 * It is an ImapFlow: every method and event of ImapFlow's API is unchanged.
 */
import type { SaslMechanism } from '@kalisto/core';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { mechanismUnavailableError, tlsRequiredError } from './errors.js';

/** What {@link OAuthImapFlow} enforces at login. */
export interface LoginPolicy {
  /** OAuth2 mechanisms allowed, in order of preference (`mail.<p>.sasl.mechanisms`). */
  mechanisms: readonly SaslMechanism[];
  /** `kalisto.auth.allowInsecure`: allow the token over a connection without TLS. */
  allowInsecureAuth: boolean;
  /** `imap` or `imaps`, for error messages. */
  protocol: string;
}

/** The capability names under which servers advertise each mechanism. */
const ADVERTISED: Readonly<Record<SaslMechanism, readonly string[]>> = {
  XOAUTH2: ['AUTH=XOAUTH2', 'AUTH=XOAUTH'],
  OAUTHBEARER: ['AUTH=OAUTHBEARER'],
};

/**
 * Removes from `capabilities` every OAuth2 mechanism but the first one `allowed` lists that the server
 * advertises, and returns it; undefined when the server offers none of them. ImapFlow picks
 * OAUTHBEARER whenever it is advertised and has no option to choose (its `loginMethod` only applies to
 * passwords), so narrowing what it sees is the one way to make it use XOAUTH2.
 */
export function narrowMechanisms(
  capabilities: Map<string, unknown>,
  allowed: readonly SaslMechanism[],
): SaslMechanism | undefined {
  const chosen = allowed.find((m) => ADVERTISED[m].some((name) => capabilities.has(name)));
  if (chosen === undefined) return undefined;
  for (const [mechanism, names] of Object.entries(ADVERTISED)) {
    if (mechanism !== chosen) for (const name of names) capabilities.delete(name);
  }
  return chosen;
}

/** The SASL mechanisms a capability map advertises (for error messages). */
export function advertisedMechanisms(capabilities: Map<string, unknown>): string[] {
  return [...capabilities.keys()].filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
}

// ImapFlow's login step; internal in its typings, but a stable method of the class since 1.0.
const imapflowAuthenticate = (ImapFlow.prototype as unknown as { authenticate(): Promise<boolean> })
  .authenticate;

/** An ImapFlow that authenticates with the configured mechanism, and only over TLS. */
export class OAuthImapFlow extends ImapFlow {
  readonly #policy: LoginPolicy;

  constructor(options: ImapFlowOptions, policy: LoginPolicy) {
    super(options);
    this.#policy = policy;
  }

  /** @internal Called by ImapFlow's `connect()` between STARTTLS and NAMESPACE. */
  async authenticate(): Promise<boolean> {
    const { protocol, mechanisms, allowInsecureAuth } = this.#policy;
    const endpoint = { protocol, host: this.host, port: this.port };
    if (!this.secureConnection && !allowInsecureAuth) throw tlsRequiredError(endpoint);
    const offered = advertisedMechanisms(this.capabilities);
    if (narrowMechanisms(this.capabilities, mechanisms) === undefined) {
      throw mechanismUnavailableError(endpoint, mechanisms, offered);
    }
    return imapflowAuthenticate.call(this);
  }
}
