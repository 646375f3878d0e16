// The reliability suite takes its ports from here; the one implementation is test-support's.
export { freePorts } from '@kalisto/test-support';
export * from './dovecot.js';
export * from './postfix.js';
