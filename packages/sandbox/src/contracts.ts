/**
 * The seams between the sandbox's parts: the identity platform decides whether a token opens a
 * mailbox (`MailAuthVerifier`); the mail servers read and write the in-memory mail store (`MailStore`).
 */
import type { EventEmitter } from 'node:events';
import type { SecureContextOptions } from 'node:tls';

export type SandboxMailProtocol = 'imap' | 'pop3' | 'smtp';

export interface MailAuthRequest {
  mechanism: 'XOAUTH2' | 'OAUTHBEARER';
  /** The SASL user (authzid / `user=`): the mailbox to open (a shared mailbox for delegates). */
  user: string;
  token: string;
  protocol: SandboxMailProtocol;
}

export type MailAuthFailure =
  | 'invalid_token' // not a JWT, bad signature, not ours
  | 'expired'
  | 'revoked'
  | 'wrong_audience' // e.g. a Microsoft Graph token
  | 'wrong_tenant'
  | 'missing_permission' // scp/roles lack the protocol's permission
  | 'no_mailbox_access' // valid token, identity may not open this mailbox
  | 'unknown_mailbox'
  | 'smtp_auth_disabled'; // SMTP AUTH switched off for the mailbox (535 5.7.139)

export type MailAuthResult =
  | {
      ok: true;
      /** The mailbox address (lower case) the session opens. */
      mailbox: string;
      /** The identity behind the token: a user's UPN, or `app:<clientId>`. */
      principal: string;
      /** Addresses this identity may send as (SMTP): its own mailbox plus SendAs grants. */
      sendAs: readonly string[];
      /** Token expiry, epoch ms (for the AccessTokenExpired BYE). */
      expiresAt: number;
      /** The token's id (jti), to notice revocation mid-session. */
      tokenId: string;
    }
  | { ok: false; reason: MailAuthFailure; detail: string };

export interface MailAuthVerifier {
  verify(request: MailAuthRequest): MailAuthResult;
  /** True once the token with this id (or all of its principal's tokens) was revoked. */
  isRevoked(tokenId: string): boolean;
}

export interface StoredMessage {
  readonly uid: number;
  /** The exact bytes as delivered (CRLF line ends). */
  readonly raw: Buffer;
  readonly flags: Set<string>;
  readonly internalDate: Date;
}

/** Emits `exists` (message), `expunge` (uid) and `flags` (message) for IDLE and NOOP. */
export interface MailFolder extends EventEmitter {
  readonly name: string;
  readonly uidValidity: number;
  readonly uidNext: number;
  /** Messages in sequence order (sequence number = index + 1). */
  readonly messages: readonly StoredMessage[];
  append(raw: Buffer, options?: { flags?: Iterable<string>; internalDate?: Date }): StoredMessage;
  /** Removes messages flagged \Deleted (or only those `uids`); returns the removed uids. */
  expunge(uids?: readonly number[]): number[];
  setFlags(uid: number, flags: Iterable<string>): void;
}

export interface Mailbox {
  readonly address: string;
  /** Exchange's names: Inbox, Sent Items, Drafts, Deleted Items, Junk Email (+ user folders). */
  folders(): readonly MailFolder[];
  folder(name: string): MailFolder | undefined;
  createFolder(name: string): MailFolder;
  deleteFolder(name: string): void;
  renameFolder(from: string, to: string): void;
}

export interface MailStore {
  mailbox(address: string): Mailbox | undefined;
  /** Creates the mailbox (with Exchange's default folders) when missing. */
  ensureMailbox(address: string): Mailbox;
  /** Delivers to each recipient's Inbox; unknown recipients are returned, not created. */
  deliver(recipients: readonly string[], raw: Buffer): { delivered: string[]; unknown: string[] };
  /** Adds `count` generated messages of `size` bytes (approximate) to a folder. */
  seed(address: string, options: { count: number; size?: number; folder?: string }): void;
}

/** What every mail server of the sandbox is started with. */
export interface MailServerOptions {
  store: MailStore;
  auth: MailAuthVerifier;
  /** Key and certificate for STARTTLS and implicit TLS. */
  tls: SecureContextOptions & { key: string; cert: string };
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Implicit TLS port; 0 = ephemeral. */
  tlsPort?: number;
  /** Per-server switches (OAUTHBEARER advertised, throttling, BYE on token expiry, limits). */
  behaviour?: Record<string, unknown>;
}

export interface RunningMailServer {
  readonly protocol: SandboxMailProtocol;
  readonly host: string;
  readonly port: number;
  readonly tlsPort: number;
  /** Number of open client connections. */
  connections(): number;
  close(): Promise<void>;
}
