import type { KalistoSession } from '@kalisto/core';
import type { TourStep } from '../tour-output.js';
import type { TourState } from '../tour-state.js';

const HOW = {
  smtp: 'submission with STARTTLS (like smtp.office365.com:587)',
  smtps: 'implicit TLS from the first byte (like port 465)',
} as const;

/** Step: send one message over `smtp` or `smtps` with the app-only session. */
export function sendStep(protocol: 'smtp' | 'smtps', state: () => TourState): TourStep {
  return {
    title: `Send over ${protocol}`,
    explanation: `session.transport('${protocol}') returns a nodemailer transporter already set up for ${HOW[protocol]} and SASL XOAUTH2 with the cached token; Kalisto never sends the token before TLS is up.`,
    async run() {
      const { appSession, mailbox, user, subjects } = state();
      const subject = `Kalisto tour: hello over ${protocol}`;
      const transport = await (appSession as KalistoSession).transport(protocol);
      const info = await transport.sendMail({
        from: mailbox,
        to: [mailbox, user],
        subject,
        text: `Sent by the Kalisto tour over ${protocol} with an OAuth2 token.\r\n`,
      });
      subjects.push(subject);
      const accepted = info.accepted.map(String);
      return {
        lines: [`from ${mailbox} to ${accepted.join(', ')}`, `server: ${info.response}`],
        outcome: `delivered to ${accepted.length} mailboxes`,
      };
    },
  };
}
