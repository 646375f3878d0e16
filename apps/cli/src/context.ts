/**
 * What every command gets: its global options, output, the configuration (resolved once) and a
 * Kalisto session opened on demand and closed when the command ends.
 */
import {
  consoleLogger,
  type Kalisto,
  type KalistoSession,
  type ResolvedConfig,
  resolveConfig,
} from '@kalisto/core';
import { createRedactor, type Redactor, withRedaction } from '@kalisto/core/plugin';
import type { MsalTokenProviderOptions } from '@kalisto/token-msal';
import { loadProperties } from './config-sources.js';
import type { CliIo } from './io.js';
import { createCliKalisto } from './kalisto.js';
import { withoutStacks } from './log-stacks.js';
import { Output } from './output.js';
import { withProviderErrors } from './provider-errors.js';

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  config?: string[];
  define?: string[];
  /** Read O365_*, MAIL_*, KALISTO_* environment variables as properties. */
  env?: boolean;
  json?: boolean;
  debug?: boolean;
  verbose?: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  readonly output: Output;
  /** Scrubs the configuration's secrets (and tokens the command saw) from anything printed. */
  readonly redactor: Redactor = createRedactor();
  #kalisto: Promise<Kalisto> | undefined;
  #config: Promise<ResolvedConfig> | undefined;
  #session: Promise<KalistoSession> | undefined;
  #msal: MsalTokenProviderOptions = {};

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
    this.output = new Output(io, { json: options.json === true });
  }

  get debug(): boolean {
    return this.options.debug === true;
  }

  /** Options for the `msal` provider (`kalisto login`'s sign-in); only before the first `kalisto()`. */
  useMsalOptions(options: MsalTokenProviderOptions): void {
    if (this.#kalisto !== undefined) throw new Error('useMsalOptions after the Kalisto instance was created');
    this.#msal = options;
  }

  /**
   * The Kalisto instance: every provider, a memory cache (and the `file` cache when the
   * configuration names it), a logger on standard error.
   */
  kalisto(): Promise<Kalisto> {
    if (this.#kalisto === undefined) {
      const level = this.options.debug ? 'debug' : this.options.verbose ? 'info' : 'warn';
      const console = consoleLogger({ level, write: (line) => this.io.stderr(line) });
      this.#kalisto = this.config().then((config) =>
        createCliKalisto({
          // Stacks only with --debug (after redaction, which turns errors into plain objects).
          logger: withRedaction(this.options.debug ? console : withoutStacks(console), this.redactor),
          onDeviceCode: (info) => this.output.note(info.message),
          msal: this.#msal,
          env: this.io.env,
          fileCache: config.cacheName === 'file',
        }),
      );
    }
    return this.#kalisto;
  }

  /** The resolved configuration (files, `-D`, `--env`); its warnings are printed once. */
  config(): Promise<ResolvedConfig> {
    this.#config ??= this.#resolve();
    return this.#config;
  }

  /** The session for the configuration, opened once; a provider it names but nobody has is a configuration error. */
  session(): Promise<KalistoSession> {
    this.#session ??= this.config().then(async (config) => {
      const kalisto = await this.kalisto();
      return withProviderErrors(kalisto.session(config), kalisto.protocols);
    });
    return this.#session;
  }

  /** Closes the session and everything it opened. Never throws. */
  async close(): Promise<void> {
    try {
      await (await this.#kalisto)?.close();
    } catch {
      // Closing is best effort: the command's own outcome is what the user needs to see.
    }
  }

  async #resolve(): Promise<ResolvedConfig> {
    const properties = await loadProperties(this.options);
    const config = resolveConfig(properties, this.options.env ? { env: this.io.env } : {});
    const { oauth } = config;
    for (const secret of [oauth.clientSecret, oauth.password, oauth.certificate?.privateKey]) {
      this.redactor.add(secret);
    }
    if (!this.output.json) {
      for (const warning of config.warnings ?? [])
        this.output.warn(`${warning.property}: ${warning.message}`);
    }
    return config;
  }
}
