export type { Pop3Behaviour, Pop3ServerOptions } from './options.js';
export { POP3_REPLIES } from './replies.js';
export { startPop3Server } from './server.js';
