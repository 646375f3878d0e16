/**
 * Opens a nodemailer transporter for a session: XOAUTH2 with the session's tokens, the
 * `mail.<protocol>.*` settings, a verified login, and `sendMail` errors turned into Kalisto errors.
 */
import { type AccessToken, ConfigError } from '@kalisto/core';
import { isCurableRefusal, type ProtocolContext, requireMailUser, telemetryOf } from '@kalisto/core/plugin';
import {
  createTransport,
  type SendMailOptions,
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import { nodemailerLogger } from './logger-adapter.js';
import { smtpConnectionOptions } from './options.js';
import { timedSend } from './send-telemetry.js';
import { smtpError } from './smtp-errors.js';
import { SessionTokenProvisioner } from './token-provisioner.js';

/**
 * What `session.transport('smtp')` returns: nodemailer's transporter (`sendMail`, `verify`,
 * `close`, `isIdle`, events). `sendMail` rejects with Kalisto errors; its result is nodemailer's.
 */
export type SmtpTransporter = Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;

type SendMailCallback = (error: Error | null, info: SMTPSentMessageInfo) => void;

/** nodemailer speaks XOAUTH2 only; a configuration asking for something else must not be ignored. */
function requireXoauth2(context: ProtocolContext): void {
  const { settings } = context;
  if (settings.saslMechanisms.includes('XOAUTH2')) return;
  throw new ConfigError([
    {
      property: `mail.${settings.protocol}.sasl.mechanisms`,
      value: settings.saslMechanisms.join(' '),
      expected:
        'a list including XOAUTH2 (@kalisto/protocol-smtp authenticates with XOAUTH2, as Exchange Online expects)',
    },
  ]);
}

/**
 * Runs a login-bearing attempt (verify or send). When the server refuses the token, the token is
 * forgotten, one fresh token is forced, and the attempt runs once more — unless nodemailer already
 * renewed it during the attempt (a server's error challenge), which would make it a second retry,
 * or the token's claims already show why it was refused (core's `isCurableRefusal`).
 * Only refusals at AUTH are retried: nothing of the message has been sent then.
 */
function createTokenRetry(context: ProtocolContext, provisioner: SessionTokenProvisioner) {
  const { session, settings, logger } = context;
  const toKalisto = (error: unknown, token: AccessToken | undefined) =>
    smtpError(error, { settings, config: session.config, token });

  return async function withTokenRetry<T>(attempt: () => Promise<T>): Promise<T> {
    const before = provisioner.snapshot();
    try {
      return await attempt();
    } catch (raw) {
      const error = toKalisto(raw, provisioner.lastToken);
      const curable = (raw as { code?: unknown }).code === 'EAUTH' && isCurableRefusal(error);
      if (!curable || provisioner.snapshot().renewals !== before.renewals) throw error;
      logger.info({ code: error.code }, 'The SMTP server refused the token; retrying once with a fresh one');
      telemetryOf(context).mailReconnect(settings.protocol, 'token');
      // Another attempt may have refreshed meanwhile: its fresh token is the one to use.
      if (provisioner.snapshot().generation === before.generation) await provisioner.refresh();
    }
    try {
      return await attempt();
    } catch (raw) {
      throw toKalisto(raw, provisioner.lastToken);
    }
  };
}

/** Rejects with the signal's reason when it fires first; `onAbort` cleans up. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Options of {@link openSmtpTransport}. */
export interface OpenSmtpTransportOptions {
  /**
   * Log in once before returning (`verify()`), so that a bad identity fails here with a clear
   * error. Default `true`. `false` skips that round trip: the first `sendMail` logs in, and fails
   * with the same errors — for a single message, its own login is the check.
   */
  verify?: boolean;
}

/**
 * Creates the transporter for `context.settings`, logs in once (`verify()`, unless
 * `options.verify` is `false`) so that a bad identity fails here with a clear error, and returns
 * it. Every later login asks the session for its token.
 */
export async function openSmtpTransport(
  context: ProtocolContext,
  options: OpenSmtpTransportOptions = {},
): Promise<SmtpTransporter> {
  const { session, settings, logger, signal } = context;
  const provisioner = new SessionTokenProvisioner(session);
  let auth: SMTPTransportOptions['auth'];
  if (settings.auth) {
    requireXoauth2(context);
    auth = {
      type: 'OAuth2',
      user: requireMailUser(context.settings),
      provisionCallback: provisioner.provisionCallback,
    };
  }
  const logging = session.config.debug
    ? { logger: nodemailerLogger(logger), debug: true }
    : { logger: false };
  const defaults = settings.from === undefined ? undefined : { from: settings.from };
  const transporter: SmtpTransporter = createTransport(
    { ...smtpConnectionOptions(settings, session.config), ...logging, ...(auth && { auth }) },
    defaults,
  );

  const withTokenRetry = createTokenRetry(context, provisioner);
  const send = transporter.sendMail.bind(transporter) as (
    mail: SendMailOptions,
  ) => Promise<SMTPSentMessageInfo>;
  function sendMail(mail: SendMailOptions): Promise<SMTPSentMessageInfo>;
  function sendMail(mail: SendMailOptions, callback: SendMailCallback): void;
  function sendMail(
    mail: SendMailOptions,
    callback?: SendMailCallback,
  ): Promise<SMTPSentMessageInfo> | undefined {
    const attempt = () => withTokenRetry(() => send(mail));
    const telemetry = telemetryOf(context);
    const result = telemetry.enabled ? timedSend(telemetry, settings.protocol, attempt) : attempt();
    if (callback === undefined) return result;
    result.then(
      (info) => callback(null, info),
      (error: Error) => callback(error, undefined as unknown as SMTPSentMessageInfo),
    );
    return undefined;
  }
  transporter.sendMail = sendMail;

  if (options.verify === false) return transporter;
  try {
    await abortable(
      withTokenRetry(() => transporter.verify()),
      signal,
      () => transporter.close(),
    );
  } catch (error) {
    transporter.close();
    throw error;
  }
  logger.debug(
    { host: settings.host, port: settings.port, pooled: transporter.options.pool === true },
    'SMTP login verified',
  );
  return transporter;
}
