export * from './dovecot.js';
export * from './postfix.js';
