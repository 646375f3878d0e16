/**
 * `kalisto login` and `kalisto logout`: sign the configured user in — through the system browser
 * (authorization code with PKCE, loopback redirect) or with `--device-code` on another device — and
 * keep the account and refresh token in the configured cache, where every later session finds them;
 * or remove them again. No token is ever printed.
 */
import { spawn } from 'node:child_process';
import { ConfigError, type KalistoSession } from '@kalisto/core';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { CommandRunner } from '../runner.js';

interface LoginOptions {
  deviceCode?: boolean;
  /** commander's `--no-browser`. */
  browser?: boolean;
  timeout?: string;
}

/** The system browser: `$BROWSER` when set, else the platform's opener. Never waits for it. */
export function openSystemBrowser(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const [command, ...args] = env.BROWSER
    ? [env.BROWSER, url]
    : process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['rundll32', 'url.dll,FileProtocolHandler', url]
        : ['xdg-open', url];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** A cache that outlives this process, or the configuration error saying which one to name. */
function persistentCache(session: KalistoSession) {
  const cache = session.cache;
  if (cache === undefined || cache.name === 'memory') {
    throw new ConfigError([
      {
        property: 'websphere.cache',
        value: cache?.name,
        expected:
          'file: a cache that outlives this command for the refresh token (KALISTO_CACHE_FILE, encrypted with KALISTO_CACHE_KEY)',
      },
    ]);
  }
  return cache;
}

function parseTimeout(value: string | undefined): number {
  const seconds = Number(value ?? '300');
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ConfigError([{ property: '--timeout', value, expected: 'a positive number of seconds' }]);
  }
  return seconds * 1000;
}

async function login(context: CliContext, options: LoginOptions) {
  const timeoutMs = parseTimeout(options.timeout);
  const openBrowser = async (url: string) => {
    context.output.note(
      `To sign in, open this page in a browser (on this machine: it redirects to localhost):\n  ${url}`,
    );
    if (options.browser === false) return;
    try {
      await openSystemBrowser(url, context.io.env);
    } catch {
      context.output.note('Could not open a browser here: open the page above yourself.');
    }
  };
  context.useMsalOptions(
    options.deviceCode
      ? { signIn: { method: 'device_code', always: true } }
      : { signIn: { method: 'browser', openBrowser, always: true, timeoutMs } },
  );
  const session = await context.session();
  const cache = persistentCache(session);
  const token = await session.tokens.getToken({ forceRefresh: true });
  context.redactor.add(token.accessToken, { ephemeral: true });
  const data = {
    account: token.account ?? null,
    method: options.deviceCode ? 'device_code' : 'browser',
    cache: cache.name,
    scopes: token.scopes,
  };
  const c = context.output.colors;
  context.output.result(data, () =>
    [
      `${c.green('✓')} Signed in as ${data.account ?? '(unknown account)'}`,
      `  the refresh token is in the ${cache.name} cache: kalisto commands and apps with this configuration use it without signing in`,
    ].join('\n'),
  );
  return EXIT.ok;
}

async function logout(context: CliContext) {
  const session = await context.session();
  const cache = persistentCache(session);
  const { config } = session;
  // The access token the token manager cached goes too: logged out means no token from this cache.
  await session.tokens.invalidate();
  const { signOutMsal } = await import('@kalisto/token-msal');
  const removed = await signOutMsal({ cache, oauth: config.oauth, user: config.oauth.user });
  const data = { account: config.oauth.user ?? null, removed, cache: cache.name };
  context.output.result(data, () =>
    removed
      ? `Signed out: the account and refresh token of ${data.account ?? 'the configured app'} are gone from the ${cache.name} cache`
      : `Nothing to remove: the ${cache.name} cache holds no sign-in of ${data.account ?? 'the configured app'}`,
  );
  return EXIT.ok;
}

/** Registers `kalisto login` and `kalisto logout`. */
export function registerLogin(program: Command, runner: CommandRunner): void {
  program
    .command('login')
    .description(
      'sign the configured user in (browser, or --device-code) and keep the refresh token in the configured cache',
    )
    .option('--device-code', 'sign in with a code entered on another device (no browser here)')
    .option('--no-browser', 'do not open a browser; print the sign-in page only (a remote shell)')
    .option('--timeout <seconds>', 'give up waiting for the browser sign-in after this long', '300')
    .action(runner.action<LoginOptions>((context, options) => login(context, options)));
  program
    .command('logout')
    .description("remove the configured user's account and refresh token from the configured cache")
    .action(runner.action((context) => logout(context)));
}
