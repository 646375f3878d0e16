export { type NodemailerLogger, nodemailerLogger } from './logger-adapter.js';
export {
  poolSettings,
  type SmtpConnectionOptions,
  type SmtpPoolSettings,
  smtpConnectionOptions,
  tlsMode,
} from './options.js';
export { smtp, smtps } from './provider.js';
export {
  SMTP_LOCAL_FAILURES,
  type SmtpFailureContext,
  smtpError,
} from './smtp-errors.js';
export { type ProvisionerSnapshot, SessionTokenProvisioner } from './token-provisioner.js';
export { type OpenSmtpTransportOptions, openSmtpTransport, type SmtpTransporter } from './transport.js';
