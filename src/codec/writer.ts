/**
 * Writer: a growable byte buffer. `vecN(body)` runs `body`, then backfills the length prefix and checks that it
 * fits (an overflow is our bug: internal_error).
 *
 * `encode()` writes into a pooled scratch buffer and returns an exact-size copy: a typed array over 64 bytes lives
 * off the V8 heap and is costly to allocate and collect, so a message costs one such allocation instead of two
 * or more (a growable buffer, then the copy).
 */
import { internalError } from '../errors.js';
import { utf8 } from './bytes.js';

/** Size of a fresh scratch buffer (grown like any writer's when a message needs more). */
const SCRATCH_BYTES = 2048;
/** Scratch buffers kept for reuse: enough for nested encode() calls; larger grown buffers are dropped. */
const MAX_POOLED = 8;
const MAX_POOLED_BYTES = 1 << 16;
const pool: Uint8Array[] = [];
/** A released writer's buffer: empty, so a write after release grows a fresh one. */
const NONE = new Uint8Array(0);

/** Growable byte buffer with big-endian integer writes and length-prefixed vectors (`vecN` backfills the prefix). */
export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 256) {
    this.#buf = initialCapacity === 0 ? NONE : new Uint8Array(initialCapacity);
  }

  /** Run `body` on a writer over a pooled scratch buffer; returns a copy of what it wrote. */
  static encode(body: (w: Writer) => void): Uint8Array {
    const w = new Writer(0);
    w.#buf = pool.pop() ?? new Uint8Array(SCRATCH_BYTES);
    try {
      body(w);
      return w.finish();
    } finally {
      w.#release();
    }
  }

  /**
   * A writer over a pooled scratch buffer, for bytes built and consumed within one synchronous call (a flight's
   * messages, a call's output records): give it back with `release()` once nothing refers into it any more.
   */
  static borrow(): Writer {
    return new Writer(0).borrow();
  }

  /** Give this writer, when it has no buffer (new with capacity 0, or released), a pooled scratch one (see above). */
  borrow(): this {
    if (this.#buf.length === 0) this.#buf = pool.pop() ?? new Uint8Array(SCRATCH_BYTES);
    return this;
  }

  /**
   * Wipe what was written and give the buffer back to the pool (a borrowed one, or one grown here); the writer is
   * then empty, with no buffer, and a later write grows a fresh one.
   */
  release(): void {
    if (this.#buf.length !== 0) this.#release();
  }

  /** Wipe what was written (it may be secret, e.g. a ticket's state) and return the buffer to the pool. */
  #release(): void {
    const b = this.#buf;
    b.fill(0, 0, this.#len);
    this.#buf = NONE;
    this.#len = 0;
    if (pool.length < MAX_POOLED && b.length <= MAX_POOLED_BYTES) pool.push(b);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Size of the buffer (written or not). */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Forget what was written (the buffer is kept and overwritten by the next writes; nothing is wiped). */
  reset(): void {
    this.#len = 0;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = Math.max(this.#buf.length * 2, 64);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    const old = this.#buf;
    next.set(old.subarray(0, this.#len));
    // The outgrown buffer is left to the GC (a pooled one is not given back): wipe what it held (it may be secret).
    old.fill(0, 0, this.#len);
    this.#buf = next;
  }

  /**
   * Room for `n` more bytes: the buffer to write them into, from offset `length` on, valid until the next write;
   * then `advance` by what was written (at most `n`).
   */
  room(n: number): Uint8Array {
    this.#reserve(n);
    return this.#buf;
  }

  /** Count `n` bytes written into `room()`'s buffer. */
  advance(n: number): void {
    if (n < 0 || this.#len + n > this.#buf.length) throw internalError('Writer.advance past the buffer');
    this.#len += n;
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#reserve(2);
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.#reserve(3);
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.#reserve(4);
    this.#buf[this.#len++] = (v >>> 24) & 0xff;
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  #vec(lenBytes: 1 | 2 | 3, body: (w: this) => void, max?: number): this {
    const at = this.#len;
    this.#reserve(lenBytes);
    this.#len += lenBytes;
    body(this);
    const n = this.#len - at - lenBytes;
    const limit = max ?? (lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff);
    if (n > limit) throw internalError(`vector of ${n} bytes exceeds its ${lenBytes}-byte length prefix or maximum ${limit}`);
    const b = this.#buf;
    if (lenBytes === 3) b[at] = (n >>> 16) & 0xff;
    if (lenBytes >= 2) b[at + lenBytes - 2] = (n >>> 8) & 0xff;
    b[at + lenBytes - 1] = n & 0xff;
    return this;
  }

  vec8(body: (w: this) => void, max?: number): this {
    return this.#vec(1, body, max);
  }
  vec16(body: (w: this) => void, max?: number): this {
    return this.#vec(2, body, max);
  }
  vec24(body: (w: this) => void, max?: number): this {
    return this.#vec(3, body, max);
  }

  /**
   * A vector of `b`'s bytes with a 1/2/3-byte length prefix: `vecN((w) => w.bytes(b))` without the closure. A
   * length over the prefix (or `max`) is our bug: internal_error, as for `vecN`.
   */
  #vecBytes(lenBytes: 1 | 2 | 3, b: Uint8Array, max?: number): this {
    const n = b.length;
    const limit = max ?? (lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff);
    if (n > limit) throw internalError(`vector of ${n} bytes exceeds its ${lenBytes}-byte length prefix or maximum ${limit}`);
    this.#reserve(lenBytes + n);
    const buf = this.#buf;
    let at = this.#len;
    if (lenBytes === 3) buf[at++] = (n >>> 16) & 0xff;
    if (lenBytes >= 2) buf[at++] = (n >>> 8) & 0xff;
    buf[at++] = n & 0xff;
    buf.set(b, at);
    this.#len = at + n;
    return this;
  }
  vec8Bytes(b: Uint8Array, max?: number): this {
    return this.#vecBytes(1, b, max);
  }
  vec16Bytes(b: Uint8Array, max?: number): this {
    return this.#vecBytes(2, b, max);
  }
  vec24Bytes(b: Uint8Array, max?: number): this {
    return this.#vecBytes(3, b, max);
  }

  /**
   * `text` as UTF-8 with a 2-byte length prefix: `vec16Bytes(utf8(text))` without the array when the text is short
   * ASCII (host names); anything else goes through `utf8`.
   */
  vec16Utf8(text: string): this {
    const n = text.length;
    if (n <= 255) {
      let ascii = true;
      for (let i = 0; i < n; i++) {
        if (text.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.#reserve(2 + n);
        const buf = this.#buf;
        let at = this.#len;
        buf[at++] = (n >>> 8) & 0xff;
        buf[at++] = n & 0xff;
        for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
        this.#len = at;
        return this;
      }
    }
    return this.vec16Bytes(utf8(text));
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** A view of what was written (valid until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A view of what was written from offset `at` on (valid until the next write). */
  viewFrom(at: number): Uint8Array {
    return this.#buf.subarray(at, this.#len);
  }
}

/** Encode with a pooled scratch writer; returns an exact-size copy. */
export function encode(body: (w: Writer) => void): Uint8Array {
  return Writer.encode(body);
}
