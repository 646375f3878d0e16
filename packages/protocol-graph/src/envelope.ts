/**
 * Graph takes the sender and the recipients from the message's headers (From, To, Cc, Bcc): an SMTP
 * envelope that says otherwise cannot be expressed, and is refused rather than silently rewritten.
 */
import { ConnectionError } from '@kalisto/core';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';

/** An envelope: the sender and the recipients, as nodemailer reports it. */
export interface MessageEnvelope {
  from: string | false;
  to: string[];
}

/** The envelope the message's own headers give (what Graph will use). */
export function headerEnvelope(data: SendMailOptions): MessageEnvelope {
  const { from, sender, replyTo, to, cc, bcc, headers } = data;
  const envelope = new MailComposer({ from, sender, replyTo, to, cc, bcc, headers }).compile().getEnvelope();
  return { from: envelope.from, to: envelope.to };
}

const same = (a: string | false, b: string | false) =>
  (a === false ? '' : a.toLowerCase()) === (b === false ? '' : b.toLowerCase());

/** Why the message's envelope options cannot go over Graph; undefined when they can. */
export function envelopeProblem(data: SendMailOptions, envelope: MessageEnvelope): string | undefined {
  if (data.dsn !== undefined && data.dsn !== null) {
    return 'delivery status notification options (dsn) are SMTP parameters Graph cannot express';
  }
  if (data.envelope === undefined || data.envelope === null) return undefined;
  const fromHeaders = headerEnvelope(data);
  if (envelope.from !== false && !same(envelope.from, fromHeaders.from)) {
    return `the envelope sender ${envelope.from} differs from the From header (${fromHeaders.from || 'none'}); Graph sends from the headers`;
  }
  const wanted = new Set(envelope.to.map((a) => a.toLowerCase()));
  const headed = new Set(fromHeaders.to.map((a) => a.toLowerCase()));
  const differ = wanted.size !== headed.size || [...wanted].some((a) => !headed.has(a));
  if (differ) {
    return `the envelope recipients (${envelope.to.join(', ')}) differ from To/Cc/Bcc (${fromHeaders.to.join(', ') || 'none'}); Graph delivers to the headers' recipients`;
  }
  return undefined;
}

/** The refusal of a message whose envelope Graph cannot express. */
export function envelopeError(problem: string): ConnectionError {
  const hint =
    'Put the recipients in to/cc/bcc (Bcc reaches Graph and is not shown to the others) and the sender in from, and drop envelope/dsn; or send this message over SMTP (mail.transport.protocol=smtp).';
  return new ConnectionError(
    `[protocol:graph] The message cannot be sent through Graph: ${problem}. ${hint}`,
    {
      code: 'GRAPH_ENVELOPE_UNSUPPORTED',
      hint,
      protocol: 'graph',
      transient: false,
    },
  );
}
