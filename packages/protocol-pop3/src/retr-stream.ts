/** `retr()`: one RETR reply's body as a stream, holding the connection back while its reader is behind. */
import { Readable } from 'node:stream';
import type { BodySink } from './body-collector.js';
import { type Pop3Endpoint, type Pop3StatusLine, replyError } from './errors.js';

/** How the stream holds back the connection (backpressure). */
export interface ReaderFlow {
  /** The reader is behind: stop reading the socket. */
  pause(): void;
  /** The reader wants more (or went away): read the socket again. */
  resume(): void;
}

/**
 * A stream of the body `request` reads into its sink: ends with the reply, fails with a `-ERR`
 * (a `Pop3ReplyError`) or the connection's failure. Destroying it drops the rest of the body (the
 * reply is still read, so the connection stays usable). `done` is told how the reply ended.
 */
export function retrStream(
  flow: ReaderFlow,
  endpoint: Pop3Endpoint,
  request: (sink: BodySink) => Promise<Pop3StatusLine>,
  done?: (error?: unknown) => void,
): Readable {
  const stream = new Readable({ read: () => flow.resume() });
  stream.once('close', () => flow.resume());
  const sink: BodySink = {
    add: (chunk, start, end) => {
      if (!stream.destroyed && !stream.push(chunk.subarray(start, end))) flow.pause();
    },
  };
  request(sink).then(
    (status) => {
      if (status.type === 'ok') {
        done?.();
        stream.push(null);
        return;
      }
      const error = replyError(endpoint, 'RETR', status);
      done?.(error);
      stream.destroy(error);
    },
    (error: Error) => {
      done?.(error);
      stream.destroy(error);
    },
  );
  return stream;
}
