/**
 * The doctor's network probes: DNS, TCP, and a TLS handshake — directly, or after the protocol's
 * STARTTLS/STLS — verified against Node's roots plus `kalisto.tls.ca`, exactly as the clients do.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { type PeerCertificate, rootCertificates, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ConnectionError } from '@kalisto/core';

/** How a connection reaches TLS: from the first byte, or upgraded by the protocol's command. */
export type TlsMode = 'implicit' | 'starttls';

/** The protocol spoken before STARTTLS. */
export type StarttlsDialect = 'imap' | 'pop3' | 'smtp';

/** How fixes name an endpoint's settings: the identity platform's differ from a mail protocol's. */
export interface EndpointAdvice {
  /** The setting that names the host, e.g. `mail.imaps.host`. */
  readonly host: string;
  /** The setting that names the port, e.g. `mail.imaps.port`. */
  readonly port: string;
  /** The ports to expect, e.g. `Exchange Online: outbound 993, 995 and 587`. */
  readonly usualPorts: string;
  /** The fix when the port answers a TLS handshake in plain text (wrong version number). */
  readonly plainPort: string;
  /** The setting that picks TLS versions, e.g. `mail.imaps.ssl.protocols`. */
  readonly tlsVersions?: string;
}

/** The advice when the caller names no endpoint: generic mail settings. */
export const MAIL_ADVICE: EndpointAdvice = {
  host: 'mail.<protocol>.host',
  port: 'mail.<protocol>.port',
  usualPorts: 'Exchange Online: outbound 993, 995 and 587',
  plainPort:
    'The port answered in plain text: set mail.<protocol>.ssl.enable=false and mail.<protocol>.starttls.enable=true for a STARTTLS port, or use the implicit-TLS port.',
  tlsVersions: 'mail.<protocol>.ssl.protocols',
};

export interface TlsProbeOptions {
  host: string;
  port: number;
  mode: TlsMode;
  /** Required for `starttls`. */
  dialect?: StarttlsDialect;
  /** Extra CA certificates (PEM), trusted besides Node's roots. */
  ca?: string;
  minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Check the certificate names the host (the chain is verified either way). */
  checkServerIdentity: boolean;
  timeoutMs: number;
  /** How the fixes name this endpoint's settings (default {@link MAIL_ADVICE}). */
  advice?: EndpointAdvice;
}

export interface TlsProbeResult {
  /** Negotiated version, e.g. `TLSv1.3`. */
  version: string;
  subject: string;
  issuer: string;
  validTo: string;
}

/** Per TLS error code: a stable code, the fix, and (when Node's message is OpenSSL's raw text) what happened in words. */
const TLS_FIXES: Readonly<
  Record<string, { code: string; hint: (o: TlsProbeOptions) => string; what?: string }>
> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { code: 'DOCTOR_TLS_UNTRUSTED', hint: untrustedHint },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { code: 'DOCTOR_TLS_UNTRUSTED', hint: untrustedHint },
  SELF_SIGNED_CERT_IN_CHAIN: { code: 'DOCTOR_TLS_UNTRUSTED', hint: untrustedHint },
  DEPTH_ZERO_SELF_SIGNED_CERT: { code: 'DOCTOR_TLS_UNTRUSTED', hint: untrustedHint },
  CERT_HAS_EXPIRED: {
    code: 'DOCTOR_TLS_EXPIRED',
    hint: () =>
      "The server's certificate has expired (or this machine's clock is wrong): check the date, then the server.",
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'DOCTOR_TLS_NAME_MISMATCH',
    hint: (o) =>
      `The certificate does not name ${o.host}: use the host name the certificate is issued for (${(o.advice ?? MAIL_ADVICE).host}), not an alias or IP address.`,
  },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    code: 'DOCTOR_TLS_PLAIN_PORT',
    hint: (o) => (o.advice ?? MAIL_ADVICE).plainPort,
    what: 'the server answered in plain text (wrong version number)',
  },
};

function tlsFailureHint(advice: EndpointAdvice, minVersion: string): string {
  const versions =
    advice.tlsVersions === undefined ? '' : ` and the TLS version (${advice.tlsVersions}=${minVersion})`;
  return `Check that ${advice.port} is a TLS port${versions}.`;
}

function untrustedHint(options: TlsProbeOptions): string {
  return `The certificate of ${options.host}:${options.port} is not signed by a trusted CA: a TLS-inspecting proxy or a private CA is in the way. Add its CA certificate (PEM) with kalisto.tls.ca=file:/path/to/ca.pem; verification is never switched off.`;
}

/** The addresses `host` resolves to. */
export async function resolveHost(host: string, advice: EndpointAdvice = MAIL_ADVICE): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch (error) {
    throw new ConnectionError(
      `DNS lookup of ${host} failed (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      {
        code: 'DOCTOR_DNS_FAILED',
        host,
        hint: `Check the host name (${advice.host}; o365.cloud picks Microsoft's hosts) and this machine's DNS resolver.`,
        cause: error,
      },
    );
  }
}

/** Resolves once a TCP connection to host:port is open (and closes it). */
export async function probeTcp(
  host: string,
  port: number,
  timeoutMs: number,
  advice: EndpointAdvice = MAIL_ADVICE,
): Promise<void> {
  const socket = await openSocket(host, port, timeoutMs, advice);
  socket.destroy();
}

function openSocket(host: string, port: number, timeoutMs: number, advice: EndpointAdvice): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const fail = (reason: string, cause?: unknown) => {
      socket.destroy();
      reject(
        new ConnectionError(`Cannot connect to ${host}:${port} (${reason}).`, {
          code: 'DOCTOR_TCP_FAILED',
          host,
          port,
          hint: `Check ${advice.port} and that a firewall or proxy lets this machine reach ${host}:${port} (${advice.usualPorts}).`,
          cause,
        }),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, error));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** What each dialect says to get to TLS: the command, and the reply that means "go ahead". */
const STARTTLS_DIALOG: Readonly<
  Record<
    StarttlsDialect,
    { greeting: RegExp; before?: { send: string; until: RegExp }; send: string; ok: RegExp }
  >
> = {
  imap: { greeting: /^\* (OK|PREAUTH)/m, send: 'K1 STARTTLS\r\n', ok: /^K1 OK/m },
  pop3: { greeting: /^\+OK/m, send: 'STLS\r\n', ok: /^\+OK/m },
  smtp: {
    greeting: /^220 /m,
    before: { send: 'EHLO kalisto-doctor\r\n', until: /^250 /m },
    send: 'STARTTLS\r\n',
    ok: /^220 /m,
  },
};

/** Reads from a plain socket until `pattern` matches; a final-looking refusal fails. */
function expectReply(socket: Socket, pattern: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (pattern.test(text)) done();
      else if (/^(K1 (NO|BAD)|-ERR|[45]\d\d )/m.test(text)) done(new Error(`${what}: ${text.trim()}`));
    };
    const onClose = () => done(new Error(`${what}: the server closed the connection`));
    const timer = setTimeout(() => done(new Error(`${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

async function starttls(socket: Socket, dialect: StarttlsDialect, options: TlsProbeOptions): Promise<void> {
  const dialog = STARTTLS_DIALOG[dialect];
  try {
    await expectReply(socket, dialog.greeting, 'greeting', options.timeoutMs);
    if (dialog.before) {
      socket.write(dialog.before.send);
      await expectReply(socket, dialog.before.until, 'EHLO', options.timeoutMs);
    }
    socket.write(dialog.send);
    await expectReply(socket, dialog.ok, 'STARTTLS', options.timeoutMs);
  } catch (error) {
    socket.destroy();
    throw new ConnectionError(
      `${options.host}:${options.port} did not upgrade to TLS with ${dialect.toUpperCase()} STARTTLS (${(error as Error).message}).`,
      {
        code: 'DOCTOR_STARTTLS_FAILED',
        host: options.host,
        port: options.port,
        hint: `Check that mail.<protocol>.port is the STARTTLS port (IMAP 143, POP3 110, SMTP 587), or set mail.<protocol>.ssl.enable=true for an implicit-TLS port (993, 995, 465).`,
        cause: error,
      },
    );
  }
}

function describeName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '-';
  const cn = name.CN;
  if (cn !== undefined) return Array.isArray(cn) ? cn.join(', ') : cn;
  return Object.entries(name)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** A TLS handshake to the endpoint (after STARTTLS when `mode` says so), verified as the clients verify. */
export async function probeTls(options: TlsProbeOptions): Promise<TlsProbeResult> {
  const socket = await openSocket(
    options.host,
    options.port,
    options.timeoutMs,
    options.advice ?? MAIL_ADVICE,
  );
  if (options.mode === 'starttls') await starttls(socket, options.dialect ?? 'imap', options);
  const secure = await new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      host: options.host,
      ...(isIP(options.host) ? {} : { servername: options.host }),
      ca: options.ca === undefined ? undefined : [...rootCertificates, options.ca],
      minVersion: options.minVersion,
      ...(options.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
    });
    const timer = setTimeout(
      () => tls.destroy(new Error(`no TLS handshake within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tls);
    });
    tls.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const known =
        error.code !== undefined && Object.hasOwn(TLS_FIXES, error.code) ? TLS_FIXES[error.code] : undefined;
      reject(
        new ConnectionError(
          `TLS handshake with ${options.host}:${options.port} failed: ${known?.what ?? error.message}.`,
          {
            code: known?.code ?? 'DOCTOR_TLS_FAILED',
            host: options.host,
            port: options.port,
            hint: known?.hint(options) ?? tlsFailureHint(options.advice ?? MAIL_ADVICE, options.minVersion),
            cause: error,
          },
        ),
      );
    });
  });
  const certificate = secure.getPeerCertificate();
  const result = {
    version: secure.getProtocol() ?? 'TLS',
    subject: describeName(certificate.subject),
    issuer: describeName(certificate.issuer),
    validTo: certificate.valid_to,
  };
  secure.destroy();
  return result;
}
