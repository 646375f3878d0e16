/** The sandbox for a scenario (stopped at its end), and the properties that point a client somewhere. */
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import type { ScenarioContext } from '../scenario.js';

export async function scenarioSandbox(
  context: ScenarioContext,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  context.defer(() => sandbox.stop());
  return sandbox;
}

export interface MailTarget {
  port: number;
  /** Implicit TLS from the first byte; otherwise plain with STARTTLS required. */
  tls: boolean;
  /** `mail.<p>.connectiontimeout` and `.timeout`, ms. Default 5000. */
  timeoutMs?: number;
}

/** The sandbox's properties (its identity platform, its CA) with `protocol` pointed at 127.0.0.1:port. */
export function mailProperties(
  sandbox: Sandbox,
  protocol: string,
  target: MailTarget,
  extra: Record<string, string> = {},
): Record<string, string> {
  const p = `mail.${protocol}`;
  const timeout = String(target.timeoutMs ?? 5_000);
  return {
    ...sandbox.properties,
    [`${p}.host`]: '127.0.0.1',
    [`${p}.port`]: String(target.port),
    [`${p}.ssl.enable`]: String(target.tls),
    [`${p}.starttls.enable`]: String(!target.tls),
    [`${p}.starttls.required`]: String(!target.tls),
    [`${p}.connectiontimeout`]: timeout,
    [`${p}.timeout`]: timeout,
    ...extra,
  };
}

/** The secrets a client of `sandbox` holds, for the leak checks (values never leave the scenario). */
export function clientSecrets(sandbox: Sandbox): Record<string, string> {
  return { clientSecret: sandbox.properties['o365.oauth.clientSecret'] ?? '' };
}
