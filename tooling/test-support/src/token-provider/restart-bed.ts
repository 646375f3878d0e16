/**
 * The world of a restart test: a sandbox, a shared encrypted file cache in a temporary directory,
 * and token child processes (see token-child.ts) that each ask the provider once, as a restarted
 * application or another node would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, expect } from 'vitest';
import { type ChildEvent, runChild } from '../child-process.js';
import { type TokenChildSpec, tokenChildEnv } from './token-child.js';

/** Options of {@link tokenRestartBed}. */
export interface TokenRestartBedOptions {
  /** The child script (an absolute path) that calls `runTokenChild` with the provider under test. */
  script: string;
  sandbox?: SandboxOptions;
  /** Properties every child gets on top of the public app signed in as adele (the provider, the scope). */
  properties?: Record<string, string>;
}

/** One child's run: its own properties and what it is handed. */
export interface TokenChildRun extends Pick<TokenChildSpec, 'forceRefresh' | 'refreshToken'> {
  /** Called with each event as the child reports it (a device code to approve, say). */
  onEvent?: (event: ChildEvent) => void;
}

export interface TokenRestartBed {
  /** The sandbox (once the tests run). */
  readonly sandbox: Sandbox;
  /** The file the children share. */
  readonly cachePath: string;
  /** Runs one child with `properties` on top of the bed's; resolves with the events it reported. */
  run(properties: Record<string, string>, options?: TokenChildRun): Promise<ChildEvent[]>;
}

/** What a child reports when its user was signed out everywhere: a TokenError telling to sign in again. */
export function signInAgainReport(): unknown {
  return expect.objectContaining({
    event: 'error',
    name: 'TokenError',
    code: 'TOKEN_REFRESH_EXPIRED',
    hint: expect.stringMatching(/Sign in again/),
  });
}

/** Registers the bed's set-up and clean-up (vitest `beforeAll`/`afterAll`) and returns it. */
export function tokenRestartBed(options: TokenRestartBedOptions): TokenRestartBed {
  let sandbox: Sandbox | undefined;
  let dir: string | undefined;
  const key = randomBytes(32).toString('hex');

  beforeAll(async () => {
    sandbox = await startSandbox(options.sandbox);
    dir = await mkdtemp(join(tmpdir(), 'kalisto-token-restart-'));
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const started = (): Sandbox => {
    if (sandbox === undefined) throw new Error('the restart bed is used before its beforeAll ran');
    return sandbox;
  };
  const cachePath = () => join(dir ?? '', 'tokens.json');

  return {
    get sandbox() {
      return started();
    },
    get cachePath() {
      return cachePath();
    },
    run(properties, run = {}) {
      const sandbox = started();
      // The public desktop app as adele; the sandbox's mail and client secret properties are not needed.
      const base = Object.fromEntries(
        Object.entries(sandbox.properties).filter(
          ([name]) => !name.startsWith('mail.') && name !== 'o365.oauth.clientSecret',
        ),
      );
      const spec: TokenChildSpec = {
        properties: {
          ...base,
          'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
          'o365.user': sandbox.fixtures.users.adele.upn,
          ...options.properties,
          ...properties,
        },
        cache: { path: cachePath(), encryptionKey: key },
        ...(run.forceRefresh === undefined ? {} : { forceRefresh: run.forceRefresh }),
        ...(run.refreshToken === undefined ? {} : { refreshToken: run.refreshToken }),
      };
      return runChild(options.script, tokenChildEnv(spec), run.onEvent);
    },
  };
}
