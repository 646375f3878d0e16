/**
 * What an upstream delivery failure means for the client, decided in one place for the synchronous
 * path and the queue: an upstream refusal of the message passes through (5xx stays 5xx, 4xx stays
 * 4xx); anything the client cannot fix by changing its message — no token, the relay's login
 * refused, upstream down, a relay misconfiguration — is a 4xx, never a 5xx. The classifier's code
 * and hint go to the log, not to the client.
 */
import { isKalistoError } from '@kalisto/core';
import { classifyMailError, scrubTokenLike } from '@kalisto/core/plugin';

/** An SMTP reply: the code and the text after it (enhanced status code first). */
export interface SmtpReply {
  readonly code: number;
  readonly text: string;
}

export type FailureStage = 'message' | 'login' | 'token' | 'connection' | 'config' | 'internal';

export interface DeliveryVerdict {
  /** Worth retrying later: the client gets a 4xx, a queue retries. */
  readonly transient: boolean;
  /** What the client is answered. */
  readonly reply: SmtpReply;
  /** Where it failed. */
  readonly stage: FailureStage;
  /** Kalisto's error code (classifier), for the log and metrics. */
  readonly errorCode: string;
  /** The fix in words, for the log. */
  readonly hint: string | undefined;
  /** The upstream server's reply line, when there was one. */
  readonly upstreamReply: string | undefined;
}

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  hint?: unknown;
  command?: unknown;
  response?: unknown;
  serverText?: unknown;
  cause?: unknown;
}

const REPLY = /^([2-5]\d\d)[ -]?(.*)$/s;
/** Control characters would split a reply line; smtp-server also guards, this keeps logs tidy. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

function chain(error: unknown): ErrorFields[] {
  const out: ErrorFields[] = [];
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 6; depth++) {
    out.push(current as ErrorFields);
    current = (current as ErrorFields).cause;
  }
  return out;
}

/** The first upstream reply line anywhere in the error and its causes. */
function upstreamReplyOf(links: readonly ErrorFields[]): string | undefined {
  for (const link of links) {
    for (const candidate of [link.serverText, link.response]) {
      if (typeof candidate === 'string' && REPLY.test(candidate.trim())) {
        return scrubTokenLike(candidate.trim().split(/\r?\n/).join(' ').replace(CONTROL, ' '));
      }
    }
  }
  return undefined;
}

function atLogin(links: readonly ErrorFields[]): boolean {
  return links.some(
    (link) =>
      link.code === 'EAUTH' ||
      (typeof link.command === 'string' && /^(AUTH|CONN|EHLO|HELO|STARTTLS)\b/i.test(link.command)) ||
      (link.name === 'AuthenticationError' && typeof link.code === 'string' && link.code.startsWith('AUTH_')),
  );
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The verdict for anything a delivery attempt threw. */
export function deliveryVerdict(error: unknown): DeliveryVerdict {
  const links = chain(error);
  const top = links[0] ?? {};
  const kalisto = isKalistoError(error);
  const upstreamReply = upstreamReplyOf(links);
  let errorCode = kalisto ? String(top.code) : (text(top.code) ?? 'UNKNOWN');
  let hint = kalisto ? text(top.hint) : undefined;
  if (upstreamReply !== undefined && !kalisto) {
    // A reply from a transport that does not classify: the classifier still names the fix.
    const classified = classifyMailError({ protocol: 'smtp', serverText: upstreamReply });
    errorCode = classified.code;
    hint = classified.hint;
  }
  const verdict = (transient: boolean, stage: FailureStage, reply: SmtpReply): DeliveryVerdict => ({
    transient,
    stage,
    reply,
    errorCode,
    hint,
    upstreamReply,
  });

  if (upstreamReply !== undefined) {
    const [, codeText = '451', rest = ''] = REPLY.exec(upstreamReply) ?? [];
    const code = Number(codeText);
    if (code >= 400 && code < 500) {
      // 421 would make smtp-server close the client's connection: the message failed, not the session.
      return verdict(true, atLogin(links) ? 'login' : 'message', {
        code: code === 421 ? 451 : code,
        text: `${rest.trim() || '4.3.0 Try again later'} (upstream)`,
      });
    }
    if (code >= 500 && !atLogin(links)) {
      return verdict(false, 'message', { code, text: `${rest.trim()} (upstream)` });
    }
    if (code >= 500) {
      return verdict(true, 'login', {
        code: 451,
        text: `4.7.0 The relay's upstream login was refused (${errorCode}); the relay's administrator must act. Try again later`,
      });
    }
  }
  const name = text(top.name);
  if (name === 'AuthenticationError') {
    return verdict(true, 'login', {
      code: 451,
      text: `4.7.0 The relay's upstream login was refused (${errorCode}); the relay's administrator must act. Try again later`,
    });
  }
  if (name === 'TokenError') {
    return verdict(true, 'token', {
      code: 451,
      text: `4.7.0 The relay could not obtain an OAuth token upstream (${errorCode}); try again later`,
    });
  }
  if (name === 'ConnectionError' || name === 'AbortError') {
    return verdict(true, 'connection', {
      code: 451,
      text: `4.4.1 The upstream server is not reachable (${errorCode}); try again later`,
    });
  }
  if (
    name === 'ConfigError' ||
    (kalisto && /^(CONFIG_|PROTOCOL_|KALISTO_CLOSED|SESSION_CLOSED)/.test(errorCode))
  ) {
    return verdict(true, 'config', {
      code: 451,
      text: `4.3.5 The relay cannot deliver upstream (${errorCode}); try again later`,
    });
  }
  return verdict(true, 'internal', { code: 451, text: '4.3.0 Temporary relay failure; try again later' });
}
