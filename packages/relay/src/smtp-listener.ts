/**
 * One SMTP listener on smtp-server: `auth` mode (PLAIN/LOGIN with a relay credential → the user's
 * mailbox) or `trusted-networks` mode (no AUTH, listed networks only, listed senders only); SIZE,
 * recipient and connection limits; TLS by STARTTLS or from the first byte. A message that is in
 * goes to the dispatcher; the client's reply is the dispatcher's.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@kalisto/core';
import type {
  SMTPServerAuthentication,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import type { Authenticator } from './authenticator.js';
import { normalizeLineEndings } from './line-endings.js';
import { implicitTlsAcceptor, listenerSecureContext, listenerTlsOptions } from './listener-tls.js';
import type { RelayMetrics } from './metrics.js';
import { createNetworkList } from './network-list.js';
import type { ListenerConfig, RelayConfig } from './relay-config.js';
import { RelaySmtpServer } from './smtp-dialect.js';
import { type Dispatcher, smtpReplyError } from './submission.js';

export interface SmtpListenerOptions {
  listener: ListenerConfig;
  tls: RelayConfig['tls'];
  /** The session protocol used upstream. */
  upstream: string;
  authenticator: Authenticator;
  dispatcher: Dispatcher;
  metrics: RelayMetrics;
  logger: Logger;
  /** Counts messages from DATA to reply, so shutdown can wait for them. */
  inflight: InflightTracker;
}

/** A started listener. */
export interface RunningListener {
  readonly name: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** Open client connections. */
  connections(): number;
  /**
   * Stops accepting. SMTP sessions get 421 on their next command; IMAP/POP3 sessions that logged in
   * may go on for `graceMs`.
   */
  stopAccepting(graceMs: number): void;
  /** Ends every remaining session now and resolves once the listener is closed. */
  close(): Promise<void>;
}

/** Work in flight (messages between DATA and their reply), awaited on shutdown. */
export interface InflightTracker {
  track<T>(work: Promise<T>): Promise<T>;
  readonly size: number;
  /** Resolves when nothing is in flight, or after `timeoutMs` (true when drained). */
  drained(timeoutMs: number): Promise<boolean>;
}

export function createInflightTracker(): InflightTracker {
  const pending = new Set<Promise<unknown>>();
  return {
    get size() {
      return pending.size;
    },
    track(work) {
      pending.add(work);
      const done = () => pending.delete(work);
      work.then(done, done);
      return work;
    },
    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        });
        await Promise.race([Promise.allSettled([...pending]), timeout]);
        clearTimeout(timer);
      }
      return true;
    },
  };
}

/** What an authenticated session carries in `session.user`. */
interface RelaySessionUser {
  readonly user: string;
  readonly mailbox: string;
}

const reply = (code: number, text: string) => smtpReplyError({ code, text });

/** The parts of smtp-server's SMTPConnection a forced close touches. */
interface ClosableConnection {
  readonly _socket?: { destroy(): void; once(event: 'finish', listener: () => void): void };
  readonly _upgrading?: boolean;
  send(code: number, text: string): void;
  close(): void;
}

function readMessage(stream: SMTPServerDataStream): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Past the limit nothing more is kept: the reply is 552 whatever the client still sends.
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.once('end', () => resolve(stream.sizeExceeded ? undefined : Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export async function startSmtpListener(options: SmtpListenerOptions): Promise<RunningListener> {
  const { listener, authenticator, dispatcher, metrics, inflight } = options;
  const logger = options.logger.child?.({ listener: listener.name }) ?? options.logger;
  const trusted = createNetworkList(listener.trustedNetworks);
  const allowedSenders = new Set(listener.allowedSenders);
  const authMode = listener.mode === 'auth';
  const tlsOptions = listenerTlsOptions(listener, options.tls);
  const labels = { listener: listener.name };

  const handlers: Pick<SMTPServerOptions, 'onConnect' | 'onAuth' | 'onMailFrom' | 'onData'> = {
    onConnect(session, callback) {
      metrics.connections.inc(labels);
      logger.debug({ remoteAddress: session.remoteAddress, session: session.id }, 'SMTP connection');
      callback();
    },

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback) {
      const login = auth.username ?? '';
      if (auth.authzid && auth.authzid !== login) {
        callback(reply(535, '5.7.8 Authorization identity must be the login name'));
        return;
      }
      authenticator.authenticate(login, auth.password ?? '', session.remoteAddress).then(
        (result) => {
          if (result.ok) {
            metrics.logins.inc({ ...labels, outcome: 'ok' });
            logger.info(
              { user: result.user, mailbox: result.mailbox, remoteAddress: session.remoteAddress },
              'Relay login',
            );
            callback(null, {
              user: { user: result.user, mailbox: result.mailbox } satisfies RelaySessionUser,
            });
            return;
          }
          const outcome = result.reason === 'locked' ? 'locked' : 'failed';
          metrics.logins.inc({ ...labels, outcome });
          const who = result.knownUser ? { user: login } : { unknownUser: true };
          logger.warn({ ...who, remoteAddress: session.remoteAddress, outcome }, 'Relay login refused');
          if (result.reason === 'locked') {
            const minutes = Math.max(1, Math.ceil(result.retryAfterMs / 60_000));
            callback(
              reply(
                454,
                `4.7.0 Too many failed logins for this user or address; try again in ${minutes} min`,
              ),
            );
          } else callback(reply(535, '5.7.8 Authentication credentials invalid'));
        },
        (error: unknown) => {
          logger.error({ err: error }, 'Checking a relay login failed');
          callback(reply(454, '4.7.0 Temporary authentication failure'));
        },
      );
    },

    onMailFrom(address, session, callback) {
      const sender = address.address.toLowerCase();
      if (!authMode && !trusted.contains(session.remoteAddress)) {
        logger.warn({ remoteAddress: session.remoteAddress, from: sender }, 'Untrusted client refused');
        callback(
          reply(
            550,
            `5.7.1 Relaying denied: ${session.remoteAddress} is not in this listener's trusted networks`,
          ),
        );
        return;
      }
      if (sender === '') {
        callback(reply(550, '5.1.7 The null sender is not accepted here; give the mailbox as the sender'));
        return;
      }
      if (allowedSenders.size > 0 && !allowedSenders.has(sender)) {
        logger.warn({ remoteAddress: session.remoteAddress, from: sender }, 'Sender not allowed');
        callback(reply(550, `5.7.1 Sender <${sender}> is not allowed on this listener`));
        return;
      }
      callback();
    },

    onData(stream, session, callback) {
      const work = (async () => {
        const message = await readMessage(stream);
        if (message === undefined) {
          metrics.messages.inc({ ...labels, outcome: 'refused' });
          throw reply(
            552,
            `5.3.4 Message too big: this relay takes at most ${listener.maxMessageBytes} bytes`,
          );
        }
        const mailFrom = session.envelope.mailFrom;
        const from = mailFrom ? mailFrom.address : '';
        const mailbox = authMode ? (session.user as RelaySessionUser).mailbox : from.toLowerCase();
        const raw = normalizeLineEndings(message);
        return dispatcher.dispatch({
          listener: listener.name,
          mailbox,
          upstream: options.upstream,
          envelope: { from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
          raw,
        });
      })();
      inflight.track(work).then(
        (ok) => callback(null, ok.text),
        (error: Error & { responseCode?: number }) => {
          if (error.responseCode === undefined) {
            logger.error({ err: error }, 'Receiving a message failed');
            callback(reply(451, '4.3.0 Temporary relay failure; try again later'));
          } else callback(error);
        },
      );
    },
  };

  const common: SMTPServerOptions = {
    ...(tlsOptions ?? {}),
    ...handlers,
    name: 'kalisto-relay',
    banner: 'Kalisto relay',
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !authMode,
    allowInsecureAuth: listener.tls.mode === 'none',
    authRequiredMessage: '5.7.0 Authentication required',
    disabledCommands: [
      ...(authMode ? [] : ['AUTH']),
      ...(listener.tls.mode === 'starttls' ? [] : ['STARTTLS']),
    ],
    hideSTARTTLS: listener.tls.mode !== 'starttls',
    size: listener.maxMessageBytes,
    maxRecipients: listener.maxRecipients,
    maxClients: listener.maxConnections,
    socketTimeout: listener.timeoutMs,
    // stop() ends the sessions itself; this only bounds smtp-server's own wait.
    closeTimeout: 2_147_483_647,
    hideENHANCEDSTATUSCODES: true,
    hideREQUIRETLS: true,
    hideDSN: true,
    disableReverseLookup: true,
    logger: false,
  };

  const secureContext = listenerSecureContext(listener, options.tls);
  const implicit = listener.tls.mode === 'implicit';
  const smtp = new RelaySmtpServer({ ...common, secure: implicit, ...(implicit ? { secured: true } : {}) });
  // smtp-server reports TLS and socket failures of its sessions here; unhandled they end the process.
  smtp.on('error', (error) => logger.debug({ err: error }, 'SMTP session error'));
  const acceptor =
    implicit && secureContext
      ? implicitTlsAcceptor(secureContext, (socket) => smtp.connect(socket))
      : undefined;
  const server = acceptor?.server ?? smtp.server;
  server.on('error', (error) => logger.error({ err: error }, 'SMTP listener error'));
  if (acceptor) acceptor.server.maxConnections = listener.maxConnections;

  server.listen(listener.port, listener.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { host: listener.host, port, mode: listener.mode, tls: listener.tls.mode },
    'SMTP listener started',
  );

  let closed: Promise<unknown> | undefined;
  const stopAccepting = () => {
    // Closing the smtp-server also makes every session answer its next command with 421.
    closed ??= Promise.all([
      new Promise<void>((resolve) => smtp.close(() => resolve())),
      ...(acceptor
        ? [
            new Promise<void>((resolve) => {
              acceptor.server.close(() => resolve());
              acceptor.destroyPending();
            }),
          ]
        : []),
    ]);
    return closed;
  };

  return {
    name: listener.name,
    protocol: 'smtp',
    host: listener.host,
    port,
    connections: () => smtp.connections.size,
    stopAccepting: () => void stopAccepting(),
    async close() {
      const closing = stopAccepting();
      for (const connection of [...(smtp.connections as unknown as Set<ClosableConnection>)]) {
        // send(421) ends the socket; once the 421 is flushed, nothing more is waited for.
        if (!connection._upgrading) connection._socket?.once('finish', () => connection._socket?.destroy());
        connection.send(421, 'Relay shutting down');
      }
      await closing;
    },
  };
}
