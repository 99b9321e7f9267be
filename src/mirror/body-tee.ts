/**
 * Reads the client's body once for two consumers: the primary gets a stream of the bytes as they arrive
 * (back-pressure reaches the client: when the primary cannot take more, the client socket is paused),
 * and the shadow gets the whole body as one buffer once the last byte has arrived — Envoy's default
 * buffered shadow (router.cc decodeData / onRequestComplete; streaming_shadow is off by default).
 *
 * The shadow's copy is bounded by the buffer limit: past it the copy is dropped at once and the primary
 * carries on (Envoy: "exceeds buffer limit … Give up on the retry/shadow").
 */
import { PassThrough, Readable } from 'node:stream';

export type TeeOutcome =
  | { kind: 'complete'; body: Buffer }
  /** More than the limit arrived: the shadow copy was given up, the primary got everything. */
  | { kind: 'over_limit' }
  /** The client went away before the end of its body. */
  | { kind: 'aborted' }
  /** The primary stopped reading (its upstream request failed) before the body ended. */
  | { kind: 'primary_gone' };

/**
 * Tees `source` into the returned stream (for the primary) and a bounded buffer. `onDone` is called
 * exactly once; the buffer is released before it is called for anything but 'complete'.
 */
export function teeBody(source: Readable, limitBytes: number, onDone: (outcome: TeeOutcome) => void): PassThrough {
  const primary = new PassThrough();
  let chunks: Buffer[] | undefined = [];
  let size = 0;
  let settled = false;
  let ended = false;

  const settle = (outcome: TeeOutcome): void => {
    if (settled) return;
    settled = true;
    chunks = undefined;
    onDone(outcome);
  };

  const onData = (chunk: Buffer): void => {
    if (chunks) {
      size += chunk.length;
      // Envoy gives up when buffered + incoming > limit; exactly `limit` bytes still shadow.
      if (size > limitBytes) settle({ kind: 'over_limit' });
      else chunks.push(chunk);
    }
    // Once the primary has gone the rest of the body is read and dropped, so the connection can be reused.
    if (primary.destroyed) return;
    if (!primary.write(chunk)) source.pause();
  };
  const onDrain = (): void => {
    source.resume();
  };
  const onEnd = (): void => {
    ended = true;
    primary.end();
    if (chunks && !primary.destroyed) settle({ kind: 'complete', body: Buffer.concat(chunks, size) });
    else settle({ kind: 'primary_gone' });
  };
  const onSourceGone = (): void => {
    if (ended) return;
    settle({ kind: 'aborted' });
    // The primary's upstream request must not look complete: destroying its body aborts it.
    primary.destroy(new Error('downstream request aborted'));
  };
  const onPrimaryClose = (): void => {
    if (ended) return;
    settle({ kind: 'primary_gone' });
    source.resume();
  };

  source.on('data', onData);
  source.once('end', onEnd);
  source.on('error', onSourceGone);
  source.once('close', onSourceGone);
  primary.on('drain', onDrain);
  // The primary may never attach to this stream (its request failed first); an abort must not crash us.
  primary.on('error', () => undefined);
  primary.once('close', onPrimaryClose);
  return primary;
}
