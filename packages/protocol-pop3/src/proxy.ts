/**
 * HTTP CONNECT tunnels (JavaMail's `mail.<protocol>.proxy.*`): the TCP connection goes to the proxy,
 * which is asked to connect to the mail server; TLS and POP3 then run through the tunnel.
 */
import type { Socket } from 'node:net';
import { ConnectionError, isKalistoError } from '@kalisto/core';
import { closedError, type Pop3Endpoint } from './errors.js';

/** Where the proxy is; `authorization` is the `Proxy-Authorization` value when the URL has credentials. */
export interface ProxyTarget {
  host: string;
  port: number;
  authorization?: string;
}

/** The longest CONNECT response header accepted, bytes. */
const MAX_RESPONSE_HEADER = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

/** Reads a proxy URL (`http://[user:password@]host[:port]`); anything else is a `POP3_PROXY_UNSUPPORTED` error. */
export function parseProxyUrl(url: string, endpoint: Pop3Endpoint): ProxyTarget {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'http:' || parsed.hostname === '') {
    throw proxyError(
      endpoint,
      'The proxy must be an http:// URL (an HTTP CONNECT proxy)',
      'POP3_PROXY_UNSUPPORTED',
      false,
    );
  }
  const target: ProxyTarget = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? 80 : Number(parsed.port),
  };
  if (parsed.username !== '') {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    target.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
  return target;
}

/**
 * Asks the proxy on `socket` (connected) for a tunnel to the endpoint. Resolves with the bytes that
 * came after the proxy's response header (the server may already have spoken), and rejects with
 * `POP3_PROXY_FAILED` on a non-2xx answer. The caller bounds the time by destroying the socket.
 */
export function openTunnel(socket: Socket, proxy: ProxyTarget, endpoint: Pop3Endpoint): Promise<Buffer> {
  const authority = `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  const authorization =
    proxy.authorization === undefined ? '' : `Proxy-Authorization: ${proxy.authorization}\r\n`;
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(HEADER_END);
      if (end < 0) {
        if (received.length > MAX_RESPONSE_HEADER) {
          finish(proxyError(endpoint, 'The proxy sent an overlong response', 'POP3_PROXY_FAILED', false));
        }
        return;
      }
      const status = STATUS_LINE.exec(received.toString('latin1', 0, Math.min(end, 64)))?.[1];
      if (status === undefined || !status.startsWith('2')) {
        const what = status === undefined ? 'an answer that is not HTTP' : `HTTP ${status}`;
        const transient = status === '502' || status === '503' || status === '504';
        finish(
          proxyError(endpoint, `The proxy refused the tunnel with ${what}`, 'POP3_PROXY_FAILED', transient),
        );
        return;
      }
      finish(undefined, received.subarray(end + HEADER_END.length));
    };
    const onError = (error: Error) =>
      finish(
        isKalistoError(error)
          ? error
          : proxyError(endpoint, 'The proxy connection failed', 'POP3_PROXY_FAILED', true, error),
      );
    const onClose = () => finish(closedError(endpoint));
    const finish = (error: Error | undefined, rest = Buffer.alloc(0)) => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(rest);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${authorization}\r\n`);
  });
}

/** The TCP connection to the proxy itself failed. */
export function proxyUnreachableError(
  endpoint: Pop3Endpoint,
  proxy: ProxyTarget,
  cause: unknown,
): ConnectionError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' ? ` (${code})` : '';
  return proxyError(
    endpoint,
    `Cannot reach the proxy ${proxy.host}:${proxy.port}${reason} for the tunnel`,
    'POP3_PROXY_FAILED',
    true,
    cause,
  );
}

function proxyError(
  endpoint: Pop3Endpoint,
  what: string,
  code: string,
  transient: boolean,
  cause?: unknown,
): ConnectionError {
  const hint = `Check mail.${endpoint.protocol}.proxy.* (an HTTP CONNECT proxy that allows port ${endpoint.port}).`;
  return new ConnectionError(`[${endpoint.protocol}] ${what} to ${endpoint.host}:${endpoint.port}. ${hint}`, {
    protocol: endpoint.protocol,
    host: endpoint.host,
    port: endpoint.port,
    code,
    transient,
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}
