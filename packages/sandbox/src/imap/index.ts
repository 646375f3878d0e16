export { type ImapBehaviour, type ImapServerOptions, startImapServer } from './server.js';
