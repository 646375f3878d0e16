import type { Benchmark } from '../context.js';
import { fileCacheHit, memoryCacheHit, redisCacheHit } from './cache.js';
import { dovecotImap, dovecotPop3, dovecotPop3Dots } from './dovecot.js';
import { graphFetch, graphSend } from './graph.js';
import { tokenHeap } from './heap.js';
import { imapConnect, imapFetch } from './imap.js';
import { pop3Connect, pop3DotHeavy, pop3Download2000 } from './pop3.js';
import { postfixSmtp } from './postfix.js';
import { relayIdle, relayImap, relaySmtp } from './relay.js';
import { smtpPool } from './smtp.js';
import { coldToken, warmToken } from './token.js';

/** Every benchmark, in the order a full run takes them. */
export const BENCHMARKS: readonly Benchmark[] = [
  memoryCacheHit,
  redisCacheHit,
  fileCacheHit,
  tokenHeap,
  warmToken,
  coldToken,
  pop3Download2000,
  pop3DotHeavy,
  pop3Connect,
  imapFetch,
  imapConnect,
  smtpPool,
  graphSend,
  graphFetch,
  dovecotPop3,
  dovecotPop3Dots,
  dovecotImap,
  postfixSmtp,
  relaySmtp,
  relayImap,
  relayIdle,
];
