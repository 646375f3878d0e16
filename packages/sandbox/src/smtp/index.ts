export type { SmtpBehaviour, SmtpServerOptions, SubmissionQuota } from './options.js';
export { startSmtpServer } from './server.js';
