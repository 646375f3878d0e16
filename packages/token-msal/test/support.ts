import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';

export {
  APP_SCOPE,
  claimsOf,
  IMAP_SCOPE,
  imapLogin,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
} from '@kalisto/test-support';

/** A sandbox whose device codes may be polled every 50 ms. */
export function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ lifetimes: { deviceCodeInterval: 0.05 }, ...options });
}
