/**
 * `session.transport('graph')`: a nodemailer transporter whose transport is Microsoft Graph, built
 * with nodemailer's custom-transport interface — so `sendMail()` takes exactly the message options
 * the smtp transport takes, nodemailer composes the MIME (Bcc kept: Graph delivers to it and keeps
 * it out of the copy recipients see), and the result mirrors nodemailer's `info`.
 */
import { ConfigError, type Logger } from '@kalisto/core';
import type { ProtocolContext } from '@kalisto/core/plugin';
import { createTransport, type SendMailOptions, type Transport, type Transporter } from 'nodemailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import { resolveMessageContent } from './content.js';
import { envelopeError, envelopeProblem, type MessageEnvelope } from './envelope.js';
import { GraphClient } from './graph-client.js';
import { graphOptions } from './options.js';
import { type GraphSendMethod, sendMessage } from './send.js';

/** What `sendMail` resolves with: nodemailer's `info` fields, and how Graph took the message. */
export interface GraphSentMessageInfo {
  /** The sender and recipients, from the message's headers (Bcc included). */
  envelope: MessageEnvelope;
  /** The Message-ID header of the message sent. */
  messageId: string;
  /** Every recipient: Graph accepts the message as a whole (202) and reports no recipient apart. */
  accepted: string[];
  /** Always empty: a recipient Exchange cannot deliver to comes back as a non-delivery report. */
  rejected: string[];
  /** Always empty. */
  pending: string[];
  /** `202 Accepted`, and which request took it. */
  response: string;
  /** `sendMail` (one request, the MIME as composed) or `draft` (over 4 MB: draft, attachments, send). */
  method: GraphSendMethod;
  /** Bytes of the composed MIME message. */
  messageSize: number;
}

/** What `session.transport('graph')` returns: nodemailer's transporter over Graph. */
export type GraphTransporter = Transporter<GraphSentMessageInfo>;

/** The nodemailer transport object: `send()` hands one composed message to Graph. */
class GraphMailTransport implements Transport<GraphSentMessageInfo> {
  readonly name = 'graph';
  readonly version = '1.0';
  /** `sendMail({ signal })` cancels the requests of that message. */
  readonly supportsAbortSignal = true;
  readonly #client: GraphClient;
  readonly #logger: Logger;

  constructor(client: GraphClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  send(
    mail: MailMessage<GraphSentMessageInfo>,
    done: (error: Error | null, info?: GraphSentMessageInfo) => void,
  ): void {
    this.#send(mail).then(
      (info) => done(null, info),
      (error: Error) => done(error),
    );
  }

  async #send(mail: MailMessage<GraphSentMessageInfo>): Promise<GraphSentMessageInfo> {
    const message = mail.message;
    const envelope = message.getEnvelope() as MessageEnvelope;
    const problem = envelopeProblem(mail.data, envelope);
    if (problem !== undefined) throw envelopeError(problem);
    message.keepBcc = true;
    const messageId = message.messageId();
    const signal = mail.data.signal ?? undefined;
    const result = await sendMessage({
      client: this.#client,
      logger: this.#logger,
      message,
      data: mail.data,
      messageId,
      from: envelope.from === false ? undefined : envelope.from,
      signal,
    });
    this.#logger.debug(
      { messageId, method: result.method, size: result.messageSize },
      'Graph accepted the message',
    );
    return {
      envelope: { from: envelope.from, to: [...envelope.to] },
      messageId,
      accepted: [...envelope.to],
      rejected: [],
      pending: [],
      response: `202 Accepted (${result.method === 'sendMail' ? 'sendMail' : 'draft sent'})`,
      method: result.method,
      messageSize: result.messageSize,
    };
  }

  /** Checks that a Graph token can be had (sending needs no mailbox read). */
  verify(callback?: (error: Error | null, success?: true) => void): Promise<true> | undefined {
    const result = this.#client.token().then(() => true as const);
    if (callback === undefined) return result;
    result.then(
      (ok) => callback(null, ok),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/**
 * `MIME sendMail` always keeps a copy in Sent Items (Microsoft's user: sendMail); only the JSON form
 * has `saveToSentItems`, and it cannot carry nodemailer's message as composed.
 */
function requireSentItems(saveToSentItems: boolean): void {
  if (saveToSentItems) return;
  throw new ConfigError([
    {
      property: 'mail.graph.saveToSentItems',
      value: 'false',
      expected:
        "true (or absent): Graph's sendMail keeps a copy of every MIME message in Sent Items and offers no switch for it; Kalisto sends the MIME nodemailer composed, so it cannot honour false",
    },
  ]);
}

/**
 * Opens the transporter: the Graph client for `mail.graph.*`, a first token (a bad identity fails
 * here), and a compile step that reads every stream, file and URL of a message into memory
 * (bounded by `mail.graph.maxMessageBytes`) before nodemailer composes it.
 */
export async function openGraphTransport(context: ProtocolContext): Promise<GraphTransporter> {
  const { session, settings, logger, signal } = context;
  const options = graphOptions(settings, session.config);
  requireSentItems(options.saveToSentItems);
  const client = new GraphClient(session, options, logger);
  try {
    await client.token(signal);
  } catch (error) {
    await client.close();
    throw error;
  }
  const transporter = createTransport(
    new GraphMailTransport(client, logger),
    options.from === undefined ? undefined : { from: options.from },
  );
  transporter.use('compile', (mail, done) => {
    resolveMessageContent(mail.data as SendMailOptions, options.maxMessageBytes).then(() => done(), done);
  });
  logger.debug({ mailbox: options.mailbox, host: options.host }, 'Graph transport ready');
  return transporter;
}
