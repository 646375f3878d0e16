/** The IPC messages between the benchmark process and the sandbox child (`sandbox-child.ts`). */

export interface Endpoint {
  host: string;
  port: number;
}

/** What the child sends once the sandbox listens. */
export interface SandboxReady {
  type: 'ready';
  /** The sandbox's JavaMail property map (client credentials of the daemon app, every endpoint, the CA). */
  properties: Record<string, string>;
  ca: string;
  authority: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The mailbox the properties log in to. */
  user: string;
  /** Another mailbox (the SMTP benchmarks deliver there, leaving `user`'s Inbox alone). */
  otherUser: string;
  /** `graph.url` is Graph's `/v1.0` root (`https://127.0.0.1:PORT/v1.0`). */
  endpoints: { imaps: Endpoint; pop3s: Endpoint; smtp: Endpoint; graph: Endpoint & { url: string } };
}

type Op<N extends string, T = object> = { op: N; id: number } & T;

/** A request to the child; each is answered by a `reply` with the same id. */
export type SandboxRequest =
  | Op<'seed', { mailbox: string; count: number; size: number }>
  | Op<'seedDots', { mailbox: string; count: number; size: number }>
  | Op<'digests', { mailbox: string }>
  | Op<'inboxStats', { mailbox: string }>
  | Op<'clear', { mailbox: string }>
  | Op<'requestCounts'>
  | Op<'resetRequestCounts'>
  | Op<'graphRequestCounts'>
  | Op<'resetGraphRequestCounts'>
  | Op<'interop'>
  | Op<'mintToken', { upn: string }>
  /** The child's CPU time so far (user + system), ms. */
  | Op<'cpuMs'>
  | Op<'writeMaildir', { mailbox: string; directory: string; count: number; size: number; dots: boolean }>
  | Op<'stop'>;

/** What the real servers (tooling/interop-servers) need from the sandbox, and who logs in to them. */
export interface InteropFixtures {
  /** RFC 7662 endpoint Dovecot's oauth2 passdb asks. */
  introspectionUrl: string;
  /** The sandbox's server certificate and key (PEM), signed by its CA: Dovecot and Postfix use them. */
  cert: string;
  key: string;
  /** The public app of the delegated (password) flow: Dovecot needs a token naming its user. */
  publicClientId: string;
  /** The mailbox read over POP3/IMAP and the sender over SMTP. */
  reader: { upn: string; password: string };
  /** The SMTP recipient. */
  recipient: { upn: string; password: string };
  /** The mailbox of the dot-heavy POP3 row. */
  dotsReader: { upn: string; password: string };
}

/** The answer to `writeMaildir`: the SHA-256 of each message in order, and their total size. */
export interface WrittenMaildir {
  digests: string[];
  bytes: number;
}

export interface SandboxReply {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}
