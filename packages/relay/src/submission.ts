/**
 * What a listener hands over once a message is in (a submission), what it gets back (the SMTP reply)
 * and the two ways to deliver: synchronously (250 only after upstream accepted) or into the queue
 * (250 once the queue holds it durably).
 */
import { isKalistoError, type Logger } from '@kalisto/core';
import { deliveryVerdict, type SmtpReply } from './delivery-outcome.js';
import type { RelayMetrics } from './metrics.js';
import type { DeliveryQueue } from './queue/index.js';
import type { Envelope, Upstream } from './upstream.js';

export interface Submission {
  /** The listener's name (metrics, log). */
  readonly listener: string;
  /** The mailbox whose session delivers. */
  readonly mailbox: string;
  /** The session protocol used upstream. */
  readonly upstream: string;
  readonly envelope: Envelope;
  /** The message, CRLF line ends. */
  readonly raw: Buffer;
}

/** An error smtp-server answers with `responseCode` and the message as the reply text. */
export function smtpReplyError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

export interface Dispatcher {
  /** Resolves with the 250 reply; rejects with an {@link smtpReplyError}. */
  dispatch(submission: Submission): Promise<SmtpReply>;
}

/** Sanitised for a reply line: one line, printable, bounded. */
function replyText(text: string, max = 400): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Delivers while the client waits: its 250 carries upstream's reply; upstream's refusals pass through. */
export function synchronousDispatcher(upstream: Upstream, metrics: RelayMetrics, logger: Logger): Dispatcher {
  return {
    async dispatch(submission) {
      const { listener, mailbox, envelope, raw } = submission;
      const about = {
        listener,
        mailbox,
        from: envelope.from,
        recipients: envelope.to.length,
        bytes: raw.length,
      };
      try {
        const receipt = await upstream.send(mailbox, submission.upstream, envelope, raw);
        if (receipt.rejected.length > 0) {
          // SMTP has one reply for the whole message: accepted for some, so 250 — naming who was refused.
          metrics.messages.inc({ listener, outcome: 'partial' });
          const refused = receipt.rejected.map((r) => `${r.address} (${replyText(r.reply, 120)})`).join('; ');
          logger.warn(
            { ...about, rejected: receipt.rejected, response: receipt.response },
            'Upstream refused some recipients',
          );
          return {
            code: 250,
            text: replyText(
              `2.0.0 Delivered upstream to ${receipt.accepted.length} of ${envelope.to.length} recipients; upstream refused ${refused}`,
              900,
            ),
          };
        }
        metrics.messages.inc({ listener, outcome: 'delivered' });
        logger.info({ ...about, response: receipt.response }, 'Message delivered upstream');
        return { code: 250, text: replyText(`2.0.0 Delivered upstream: ${receipt.response}`) };
      } catch (error) {
        const verdict = deliveryVerdict(error);
        metrics.messages.inc({ listener, outcome: verdict.transient ? 'deferred' : 'rejected' });
        logger.warn(
          {
            ...about,
            stage: verdict.stage,
            code: verdict.errorCode,
            hint: verdict.hint,
            upstreamReply: verdict.upstreamReply,
            reply: `${verdict.reply.code} ${verdict.reply.text}`,
            err: error,
          },
          'Upstream delivery failed',
        );
        throw smtpReplyError({ code: verdict.reply.code, text: replyText(verdict.reply.text) });
      }
    },
  };
}

/** Hands the message to the durable queue: the client's 250 means "stored", with the queue id. */
export function queueDispatcher(
  queue: () => DeliveryQueue,
  metrics: RelayMetrics,
  logger: Logger,
): Dispatcher {
  return {
    async dispatch(submission) {
      const { listener, mailbox, envelope, raw } = submission;
      const about = {
        listener,
        mailbox,
        from: envelope.from,
        recipients: envelope.to.length,
        bytes: raw.length,
      };
      try {
        const id = await queue().enqueue({ mailbox, upstream: submission.upstream, listener, envelope, raw });
        metrics.messages.inc({ listener, outcome: 'queued' });
        logger.info({ ...about, id }, 'Message queued');
        return { code: 250, text: `2.0.0 Queued as ${id}` };
      } catch (error) {
        const code = isKalistoError(error) ? error.code : 'UNKNOWN';
        metrics.messages.inc({ listener, outcome: 'deferred' });
        logger.error({ ...about, code, err: error }, 'Queueing a message failed');
        // The message is not stored: the client keeps it and tries again.
        throw smtpReplyError(
          code === 'QUEUE_MESSAGE_TOO_LARGE'
            ? { code: 552, text: '5.3.4 Message too big for the relay queue' }
            : { code: 451, text: `4.3.0 The relay could not queue the message (${code}); try again later` },
        );
      }
    },
  };
}
