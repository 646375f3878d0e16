import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { decodeTokenClaims, type KalistoSession, type TransportClient } from '@kalisto/core';
import type { TourStep } from '../tour-output.js';
import type { TourState } from '../tour-state.js';

/** First 16 hex digits of the SHA-256 of `bytes`: enough to show two sources are the same. */
function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * Records the bytes nodemailer hands to the transport (a `stream` plugin, the hook nodemailer gives
 * DKIM signers): what Graph received, to compare with what arrives.
 */
function recordComposed(transport: TransportClient<'graph'>): () => Buffer {
  const chunks: Buffer[] = [];
  transport.use('stream', (mail, done) => {
    mail.message.processFunc((input) =>
      input.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            chunks.push(chunk);
            callback(null, chunk);
          },
        }),
      ),
    );
    done();
  });
  return () => Buffer.concat(chunks);
}

/** The Graph token's audience and permissions (the session's cache hit; the token is never printed). */
async function describeGraphToken(session: KalistoSession): Promise<string> {
  const scopes = (session.config.properties['mail.graph.scope'] ?? '').split(/\s+/).filter(Boolean);
  const claims = decodeTokenClaims((await session.tokens.getToken({ scopes })).accessToken);
  return `Graph token: audience ${claims?.aud ?? '-'}, ${[...(claims?.roles ?? []), ...(claims?.scp ?? [])].join(', ')}`;
}

/** The source of the INBOX message with `messageId`, over `imaps`. */
async function imapsSource(session: KalistoSession, messageId: string): Promise<Buffer | undefined> {
  const client = await session.store('imaps');
  const lock = await client.getMailboxLock('INBOX');
  try {
    const uids = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    const uid = uids.at(-1);
    if (uid === undefined) return undefined;
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    return message ? message.source : undefined;
  } finally {
    lock.release();
  }
}

/**
 * Step: the same properties with `mail.transport.protocol=graph` send through Microsoft Graph; the
 * message read back over imaps is byte for byte what nodemailer composed.
 */
export function graphSendStep(state: () => TourState): TourStep {
  return {
    title: 'Send over graph',
    explanation:
      'Tenants that switch SMTP AUTH off point apps to Microsoft Graph. One property moves the app there: with mail.transport.protocol=graph, session.transport() is a nodemailer transporter (the same message options) that posts the MIME nodemailer composed to /users/{mailbox}/sendMail, with a Graph token cached beside the Outlook one. Read back over imaps, it is byte for byte what was sent.',
    async run() {
      const s = state();
      const subject = 'Kalisto tour: hello over graph';
      // No protocol name: the session's mail.transport.protocol (graph) picks it; the type says which.
      const transport = await s.graphSession.transport<'graph'>();
      const composed = recordComposed(transport);
      s.sandbox.hooks.graph.resetRequestCounts();
      const info = await transport.sendMail({
        from: s.mailbox,
        to: [s.mailbox, s.user],
        subject,
        text: 'Sent by the Kalisto tour through Microsoft Graph with an OAuth2 token.\r\n',
      });
      const sendRequests = s.sandbox.hooks.graph.requestCounts().sendMail;
      if (sendRequests !== 1)
        throw new Error(`Expected one sendMail request; the sandbox counted ${sendRequests}.`);
      s.subjects.push(subject);
      const sent = composed();
      s.graphSent = { messageId: info.messageId, source: sent };

      const arrived = await imapsSource(s.appSession, info.messageId);
      if (arrived === undefined) throw new Error(`${info.messageId} did not arrive in ${s.mailbox}'s INBOX.`);
      if (!arrived.equals(sent)) {
        throw new Error(
          `The message read over imaps (${arrived.length} bytes, sha256 ${digest(arrived)}) differs from the one sent (${sent.length} bytes, sha256 ${digest(sent)}).`,
        );
      }
      return {
        lines: [
          `mail.transport.protocol = ${s.graphSession.config.properties['mail.transport.protocol']}, nothing else changed`,
          `from ${s.mailbox} to ${info.accepted.join(', ')}: ${info.response}`,
          await describeGraphToken(s.graphSession),
          `Graph requests seen by the sandbox: ${sendRequests} sendMail`,
          `sent: ${sent.length} bytes, sha256 ${digest(sent)}…`,
          `read over imaps: ${arrived.length} bytes, sha256 ${digest(arrived)}… (byte-identical)`,
        ],
        outcome: `${sendRequests} sendMail request; byte-identical over imaps`,
      };
    },
  };
}

/** Step: the graph store lists the Inbox page by page and reads a message's MIME through `$value`. */
export function graphReadStep(state: () => TourState): TourStep {
  return {
    title: 'Read over graph',
    explanation:
      "With mail.store.protocol=graph, session.store() is a small typed mailbox: folders, messages page by page, move, delete, flag, watch(), and a message's MIME source byte for byte through GET …/messages/{id}/$value. The sandbox's Graph serves the same mail store as its IMAP, POP3 and SMTP servers.",
    async run() {
      const s = state();
      const sent = s.graphSent;
      if (sent === undefined) throw new Error('Nothing was sent over graph (the step before failed).');
      const mailbox = await s.graphSession.store<'graph'>();
      s.sandbox.hooks.graph.resetRequestCounts();
      const messages = [];
      for await (const page of mailbox.messages('inbox', { pageSize: 50 })) messages.push(...page);
      const found = messages.map((m) => m.subject ?? '');
      const absent = s.subjects.filter((subject) => !found.includes(subject));
      if (absent.length > 0)
        throw new Error(`Not found in ${s.mailbox}'s inbox over graph: ${absent.join('; ')}.`);

      const message = messages.find((m) => m.internetMessageId === sent.messageId);
      if (message === undefined) throw new Error(`${sent.messageId} is not in the inbox over graph.`);
      const source = await mailbox.source(message.id);
      if (!source.equals(sent.source)) {
        throw new Error(
          `$value (${source.length} bytes, sha256 ${digest(source)}) differs from the message sent (${sent.source.length} bytes, sha256 ${digest(sent.source)}).`,
        );
      }
      const requests = s.sandbox.hooks.graph.requestCounts();
      if (requests.getMime !== 1)
        throw new Error(`Expected one $value request; the sandbox counted ${requests.getMime}.`);
      return {
        lines: [
          `${mailbox.mailbox} inbox: ${messages.length} messages`,
          ...found.map((subject) => `  • ${subject}`),
          `$value of "${message.subject}": ${source.length} bytes, sha256 ${digest(source)}… (byte-identical)`,
          `Graph requests: ${requests.listMessages} listMessages, ${requests.getMime} $value`,
        ],
        outcome: `${messages.length} messages listed; $value byte-identical`,
      };
    },
  };
}
