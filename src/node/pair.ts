/**
 * An in-memory, backpressured pair of connected Duplex streams (what Node 22's `stream.duplexPair` gives), for
 * running a TlsDuplex without sockets: in tests, or between a worker and its host.
 */
import { Duplex } from 'node:stream';

/** One end of {@link duplexPair}. Writes become the other end's reads; `end()` ends the other end's readable side. */
export class PairEnd extends Duplex {
  /** @internal the other end */
  other: PairEnd | undefined;
  #waiting: (() => void) | null = null;

  /** Options as for a Duplex (highWaterMark…); allowHalfOpen is always true (each direction ends on its own). */
  constructor(highWaterMark = 64 * 1024) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const o = this.other;
    if (o === undefined || o.destroyed) {
      cb(Object.assign(new Error('the other end of the pair is closed'), { code: 'EPIPE' }));
      return;
    }
    // Call back only when the other end's reader has room: that is the backpressure.
    if (o.push(chunk)) cb();
    else o.#waiting = (): void => cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.other?.push(null);
    cb();
  }

  override _read(): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const o = this.other;
    this.other = undefined;
    // The other end sees the connection go away: its readable side ends abruptly (no more data), then it closes.
    if (o !== undefined && !o.destroyed) {
      o.other = undefined;
      if (!o.readableEnded) o.push(null);
      o.destroy();
    }
    cb(err);
  }
}

/** Two connected in-memory Duplex ends, each with `highWaterMark` bytes of buffering per direction. */
export function duplexPair(highWaterMark = 64 * 1024): [PairEnd, PairEnd] {
  const a = new PairEnd(highWaterMark);
  const b = new PairEnd(highWaterMark);
  a.other = b;
  b.other = a;
  return [a, b];
}
