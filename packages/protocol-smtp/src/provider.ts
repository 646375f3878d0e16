/**
 * The `smtp` (submission, STARTTLS required, 587) and `smtps` (implicit TLS, 465) transport
 * providers: `session.transport('smtp')` is a verified nodemailer transporter.
 */
import type { ProtocolProvider } from '@kalisto/core';
import { defineProtocolProvider } from '@kalisto/core/plugin';
import { openSmtpTransport, type SmtpTransporter } from './transport.js';

declare module '@kalisto/core' {
  interface ProtocolClients {
    smtp: SmtpTransporter;
    smtps: SmtpTransporter;
  }
}

/** Provider of `session.transport('smtp')`: port 587, STARTTLS before AUTH (unless `mail.smtp.ssl.enable`). */
export function smtp(): ProtocolProvider<SmtpTransporter> {
  return smtpProvider('smtp');
}

/** Provider of `session.transport('smtps')`: implicit TLS, port 465. */
export function smtps(): ProtocolProvider<SmtpTransporter> {
  return smtpProvider('smtps');
}

function smtpProvider(protocol: 'smtp' | 'smtps'): ProtocolProvider<SmtpTransporter> {
  return defineProtocolProvider<SmtpTransporter>({
    protocol,
    type: 'transport',
    create: (context) => openSmtpTransport(context),
    close: async (transporter) => transporter.close(),
  });
}
