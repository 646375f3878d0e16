/** The values the POP3 client's commands take and return. */
import type { CloudName } from '@kalisto/core';

/** What `authenticate` needs: the mailbox and the token; the rest sharpens error hints. */
export interface Pop3Credentials {
  /** The mailbox to open (for a shared mailbox: the shared address). */
  user: string;
  /** The OAuth2 access token (for a shared mailbox: the delegate's token). */
  accessToken: string;
  /** The configured tenant, for the WRONG_TENANT finding of a refusal. */
  tenant?: string;
  /** The cloud, to name its Exchange host in fixes. Default `global`. */
  cloud?: CloudName;
}

/** `STAT`: the maildrop's message count and size. */
export interface Pop3Stat {
  count: number;
  /** Octets. */
  size: number;
}

/** One line of a `LIST` scan listing. */
export interface Pop3ListEntry {
  number: number;
  /** Octets. */
  size: number;
}

/** One line of a `UIDL` unique-id listing. */
export interface Pop3UidlEntry {
  number: number;
  uid: string;
}

/** A retrieved message: the exact bytes the server stores (dot-unstuffed, CRLF kept). */
export interface Pop3Message {
  number: number;
  data: Buffer;
}

/** A message from `download()`, with its unique id when the server supports UIDL. */
export interface Pop3DownloadedMessage extends Pop3Message {
  uid?: string;
}

/** Options of `retrMany` and `download`. */
export interface Pop3BatchOptions {
  /** Commands in flight at once when the server advertises PIPELINING. Default: the client's `pipelineWindow`. */
  window?: number;
}
