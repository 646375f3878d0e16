/**
 * The smtp-server callbacks that make it behave like Exchange Online's submission service: AUTH
 * only after STARTTLS, tokens checked by the sandbox's verifier, SendAs enforced on the envelope
 * and the From header, per-mailbox limits, delivery into the store plus a copy in Sent Items.
 */
import type { Readable } from 'node:stream';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import type { MailAuthResult, MailAuthVerifier, MailStore } from '../contracts.js';
import { readSubmissionHeaders } from './message-headers.js';
import type { ResolvedSmtpBehaviour } from './options.js';
import { SMTP_REPLIES as R, SMTP_SCOPE, smtpReply } from './replies.js';
import type { SenderLimits } from './sender-limits.js';

export interface SmtpHandlerContext {
  store: MailStore;
  auth: MailAuthVerifier;
  behaviour: ResolvedSmtpBehaviour;
  limits: SenderLimits;
  now: () => number;
}

/** What a session's `user` holds after AUTH: the verifier's grant. */
export type SmtpGrant = Extract<MailAuthResult, { ok: true }>;

type Handlers = Required<
  Pick<
    SMTPServerOptions,
    'onConnect' | 'onSecure' | 'onAuth' | 'onMailFrom' | 'onRcptTo' | 'onData' | 'onClose'
  >
>;

/** Sendmail's joke commands that smtp-server answers; Exchange has none of them. */
const FOREIGN_COMMANDS = ['WIZ', 'SHELL', 'KILL'];

function grantOf(session: SMTPServerSession): SmtpGrant | undefined {
  return session.user ? (session.user as SmtpGrant) : undefined;
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export function createSmtpHandlers(context: SmtpHandlerContext): Handlers {
  const { store, auth, behaviour, limits, now } = context;

  const verify = (request: SMTPServerAuthentication): MailAuthResult | undefined => {
    // smtp-server's method type lacks OAUTHBEARER, which ./oauthbearer.ts adds.
    const method: string = request.method;
    if (method !== 'XOAUTH2' && method !== 'OAUTHBEARER') return undefined;
    if (!request.username || !request.accessToken) return undefined;
    try {
      return auth.verify({
        mechanism: method,
        user: request.username,
        token: request.accessToken,
        protocol: 'smtp',
      });
    } catch {
      // A verifier failure must look like a refused token to the client, not end the server.
      return undefined;
    }
  };

  const mayUse = (grant: SmtpGrant, address: string) =>
    grant.sendAs.some((allowed) => allowed.toLowerCase() === address.toLowerCase());

  return {
    onConnect(session, callback) {
      // Exchange's port 587 offers AUTH only once STARTTLS is done.
      session.disabledCommands = session.secure ? FOREIGN_COMMANDS : [...FOREIGN_COMMANDS, 'AUTH'];
      callback();
    },

    onSecure(_socket, session, callback) {
      session.disabledCommands = FOREIGN_COMMANDS;
      callback();
    },

    onAuth(
      request,
      _session,
      callback: (err: Error | null, response?: SMTPServerAuthenticationResponse) => void,
    ) {
      const result = verify(request);
      if (!result?.ok) {
        if (result?.reason === 'smtp_auth_disabled') callback(R.smtpAuthDisabled());
        else if (request.method === 'XOAUTH2' && behaviour.xoauth2ErrorChallenge) {
          // smtp-server turns a response without `user` into the 334 challenge.
          callback(null, { data: { status: '401', schemes: 'bearer', scope: SMTP_SCOPE } });
        } else callback(R.authFailed());
        return;
      }
      if (!limits.acquireSession(result.mailbox)) {
        callback(R.threadLimit());
        return;
      }
      callback(null, { user: result });
    },

    onClose(session) {
      const grant = grantOf(session);
      if (grant) limits.releaseSession(grant.mailbox);
    },

    onMailFrom(address: SMTPServerAddress, session, callback) {
      const grant = grantOf(session);
      if (!grant) return callback(R.notAuthenticatedError());
      if (behaviour.expireSessions && auth.isRevoked(grant.tokenId)) return callback(R.tokenRevoked());
      if (behaviour.expireSessions && now() >= grant.expiresAt) return callback(R.tokenExpired());
      if (!mayUse(grant, address.address)) return callback(R.sendAsDenied(grant.mailbox, address.address));
      callback();
    },

    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (!store.mailbox(address.address)) return callback(R.recipientNotFound(address.address));
      callback();
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      const grant = grantOf(session);
      readAll(stream)
        .then(async (raw) => {
          if (stream.sizeExceeded) return callback(R.messageTooBig());
          if (!grant) return callback(R.notAuthenticatedError());
          const headers = await readSubmissionHeaders(raw);
          const denied = headers.from.find((address) => !mayUse(grant, address));
          if (denied) return callback(R.sendAsDenied(grant.mailbox, denied));
          if (!limits.trySubmit(grant.mailbox)) return callback(R.quotaExceeded());
          store.deliver(
            session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw,
          );
          store
            .mailbox(grant.mailbox)
            ?.folder('Sent Items')
            ?.append(raw, { flags: ['\\Seen'] });
          callback(null, R.queued(headers.messageId ?? `<${session.id}@sandbox.invalid>`));
        })
        .catch(() => callback(smtpReply(451, '4.3.0 Message could not be processed; try again')));
    },
  };
}
