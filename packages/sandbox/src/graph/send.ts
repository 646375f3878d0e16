/**
 * Submitting a message through Graph the way the sandbox's SMTP server submits one: the same
 * `store.deliver` into each recipient's Inbox and the same `\Seen` copy in the sender's Sent Items,
 * with the bytes as given — no header is added on either path, so what IMAP returns is what the
 * client composed. Recipients come from To, Cc and Bcc; delivered copies lose the Bcc field, as
 * Exchange's do, while the Sent Items copy keeps it.
 */
import type { SandboxMailboxEntry } from '../state.js';
import { type GraphCaller, sendAsAllowed } from './auth.js';
import type { GraphContext } from './context.js';
import { GRAPH_ERRORS } from './errors.js';
import { envelopeOf } from './message-view.js';
import { withoutBcc } from './mime.js';

export interface SubmitOptions {
  /** Keep a copy in the sender's Sent Items (Graph's `saveToSentItems`, default true). */
  saveToSentItems: boolean;
}

/** Checks and delivers `raw` from `mailbox`; throws Graph's errors (no recipients, SendAs, size). */
export async function submitMessage(
  context: GraphContext,
  caller: GraphCaller,
  mailbox: SandboxMailboxEntry,
  raw: Buffer,
  options: SubmitOptions,
): Promise<void> {
  const envelope = await envelopeOf(raw);
  if (envelope.recipients.length === 0) throw GRAPH_ERRORS.noRecipients();
  if (envelope.from.some((from) => !sendAsAllowed(context.state, caller, mailbox, from))) {
    throw GRAPH_ERRORS.sendAsDenied();
  }
  const limit = mailbox.tenant.graph.maxSendSize;
  if (raw.length > limit) throw GRAPH_ERRORS.messageTooLarge(raw.length, limit);
  // Recipients outside the sandbox are accepted and dropped: there is no outside world to reach.
  context.store.deliver(envelope.recipients, envelope.hasBcc ? withoutBcc(raw) : raw);
  if (options.saveToSentItems) {
    context.store
      .ensureMailbox(mailbox.address)
      .folder('Sent Items')
      ?.append(raw, { flags: ['\\Seen'] });
  }
}
