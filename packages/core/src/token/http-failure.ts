/**
 * What went wrong on the way to the identity platform, read from the transport's error or the
 * reply's body, for `classifyTokenError`: the causes that need their own fix (a certificate
 * nobody trusts is not a DNS problem) are data here, exported for the CLI's doctor and the docs.
 */
import { RESPONSE_TOO_LARGE } from './http-body.js';

/** One row: transport error codes (Node, OpenSSL, undici) that share a TokenError code and a fix. */
export interface TransportFailureRule {
  /** The cause's `code` values this row covers, e.g. `SELF_SIGNED_CERT_IN_CHAIN`. */
  causes: readonly string[];
  /** Stable Kalisto code. */
  code: string;
  meaning: string;
  hint: string;
}

/** Token request failures in transport that retrying cannot fix (none of them is transient). */
export const TOKEN_TRANSPORT_ERRORS: readonly TransportFailureRule[] = [
  {
    causes: [RESPONSE_TOO_LARGE, 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_EXCEEDED_MAX_SIZE'],
    code: 'TOKEN_RESPONSE_TOO_LARGE',
    meaning: 'the reply was too large, so the request was aborted',
    hint: 'A token endpoint answers in a few kilobytes: check that o365.oauth.url (o365.oauth.authority for msal) is the identity platform and that no proxy (kalisto.oauth.proxy, HTTPS_PROXY) answers in its place.',
  },
  {
    causes: [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_UNTRUSTED',
      'CERT_REJECTED',
      'CERT_SIGNATURE_FAILURE',
      'INVALID_CA',
    ],
    code: 'TOKEN_TLS_UNTRUSTED',
    meaning: "the identity platform's certificate is not trusted",
    hint: 'If a proxy or firewall does TLS inspection, set kalisto.tls.ca to its CA certificate (PEM text or file:PATH), or have the identity platform exempted from the interception. Kalisto never turns certificate verification off.',
  },
  {
    causes: ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'],
    code: 'TOKEN_TLS_CERT_EXPIRED',
    meaning: "the identity platform's certificate has expired or is not valid yet",
    hint: "Check this machine's clock; if a proxy does TLS inspection, its certificates need renewing.",
  },
  {
    causes: ['ERR_TLS_CERT_ALTNAME_INVALID'],
    code: 'TOKEN_TLS_HOSTNAME_MISMATCH',
    meaning: "the identity platform's certificate does not name its host",
    hint: 'Check the host in o365.oauth.url / o365.oauth.authority; a proxy doing TLS inspection must issue certificates for the host asked for.',
  },
];

/** The row for `cause` (or its causes, a few levels down) and the code that matched it. */
export function matchTransportFailure(
  cause: unknown,
): { rule: TransportFailureRule; causeCode: string; limit?: number } | undefined {
  for (let e = cause, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const { code, limit } = e as { code?: unknown; limit?: unknown };
    const rule =
      typeof code === 'string' ? TOKEN_TRANSPORT_ERRORS.find((r) => r.causes.includes(code)) : undefined;
    if (rule !== undefined) {
      return { rule, causeCode: code as string, ...(typeof limit === 'number' ? { limit } : {}) };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What a reply body that is not a parsed JSON object is, in words (`an HTML page`, `malformed
 * JSON`, …) — never its content, which may be a proxy's page or anything else. Undefined for a
 * parsed object or no body.
 */
export function describeReplyBody(body: unknown, contentType?: string): string | undefined {
  if (typeof body !== 'string') return undefined;
  const text = body.trimStart();
  if (text === '') return 'an empty body';
  if (/html/i.test(contentType ?? '') || /^<(?:!doctype|html|head|body)\b/i.test(text)) return 'an HTML page';
  try {
    JSON.parse(text);
    return 'JSON that is not an OAuth2 reply';
  } catch {
    return /json/i.test(contentType ?? '') || /^[[{]/.test(text) ? 'malformed JSON' : 'text that is not JSON';
  }
}
