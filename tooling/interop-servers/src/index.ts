export * from './dovecot.js';
export { freePorts } from './environment.js';
export * from './postfix.js';
