/**
 * What the SMTP server says when it refuses, as Exchange Online (smtp.office365.com) says it. The
 * enhanced status code is part of each text: smtp-server's automatic codes are switched off because
 * they would prefix generic ones (535 → 5.7.8) to Exchange's specific ones.
 */

/** An error the smtp-server handlers pass to their callback: the reply code and text. */
export interface SmtpReplyError extends Error {
  responseCode: number;
}

export function smtpReply(responseCode: number, text: string): SmtpReplyError {
  return Object.assign(new Error(text), { responseCode });
}

/** The permission Exchange's SMTP AUTH needs, named in error challenges. */
export const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';

export const SMTP_REPLIES = {
  banner: 'Microsoft ESMTP MAIL Service ready',
  authFailed: () => smtpReply(535, '5.7.3 Authentication unsuccessful'),
  smtpAuthDisabled: () =>
    smtpReply(
      535,
      '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    ),
  threadLimit: () => smtpReply(432, '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded'),
  notAuthenticated: '5.7.57 Client not authenticated to send mail.',
  notAuthenticatedError: () => smtpReply(530, '5.7.57 Client not authenticated to send mail.'),
  sendAsDenied: (principal: string, address: string) =>
    smtpReply(
      554,
      `5.2.252 SendAsDenied; ${principal} not allowed to send as ${address}; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.`,
    ),
  quotaExceeded: () =>
    smtpReply(
      554,
      '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.',
    ),
  recipientNotFound: (address: string) =>
    smtpReply(
      550,
      `5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ${address} not found by SMTP address lookup`,
    ),
  /** Not an Exchange text (Exchange's SMTP behaviour here is undocumented); mirrors IMAP's BYE. 421 closes. */
  tokenExpired: () => smtpReply(421, '4.7.0 Session invalidated - AccessTokenExpired'),
  tokenRevoked: () => smtpReply(421, '4.7.0 Session invalidated - TokenRevoked'),
  messageTooBig: () => smtpReply(552, '5.3.4 Message size exceeds fixed maximum message size'),
  queued: (messageId: string) => `2.0.0 OK ${messageId} [Hostname=KALISTO-SANDBOX.sandbox.invalid]`,
} as const;
