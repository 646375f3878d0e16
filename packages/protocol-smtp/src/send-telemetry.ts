/**
 * What a transporter records per message through the session's telemetry (docs/observability.md).
 * nodemailer runs connect, TLS, AUTH and the SMTP commands inside one `send()`, pooled or not, and
 * exposes no hook between them: what can be measured honestly is the whole send, and the DATA phase
 * nodemailer times itself.
 */
import type { KalistoTelemetry } from '@kalisto/core';
import type { SMTPSentMessageInfo } from 'nodemailer';

/**
 * Runs one `sendMail` and records it: `send` — the call as the application waits for it (a free pool
 * connection, or a connection and login of its own when not pooled, the envelope, the message, a
 * retry with a fresh token), with its error's code when it fails; `DATA` — from DATA to the server's
 * answer, as nodemailer measured it (`messageTime`, whole milliseconds; only for a message the server
 * took, since nodemailer gives no time for a failed one).
 */
export async function timedSend(
  telemetry: KalistoTelemetry,
  protocol: string,
  send: () => Promise<SMTPSentMessageInfo>,
): Promise<SMTPSentMessageInfo> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let info: SMTPSentMessageInfo;
  try {
    info = await send();
  } catch (error) {
    telemetry.mailCommand(protocol, 'send', seconds(), error);
    throw error;
  }
  telemetry.mailCommand(protocol, 'send', seconds());
  if (typeof info.messageTime === 'number') telemetry.mailCommand(protocol, 'DATA', info.messageTime / 1000);
  return info;
}
