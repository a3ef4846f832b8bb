/**
 * Reader: a bounds-checked cursor over a Uint8Array. Every read names its field; a failure is a TlsError
 * (decode_error by default) that says where. `vecN` returns a sub-reader confined to the vector, and the parent
 * skips the whole vector at once. Sub-readers returned by `vecN` must be used up: `rest()`, `list()` and
 * `expectEnd()` check that.
 */
import { decodeError } from '../errors.js';
import type { AlertName } from '../wire/registry.js';

/** Length rules for a vector: `{ min: 1 }` means non-empty. */
export interface VecBounds {
  readonly min?: number;
  readonly max?: number;
}

/** Bounds-checked read cursor over a byte range; a failed read throws a TlsError (decode_error by default) naming the field path. */
export class Reader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;
  /**
   * The path is built only when an error names it: a sub-reader keeps its parent's path and its field (no string
   * concatenation per vector read).
   */
  #base: string | Reader;
  #field: string | undefined;

  constructor(buf: Uint8Array, path: string, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
    this.#base = path;
    this.#field = undefined;
  }

  /** A sub-reader of `parent` for its vector `field`, over [start, end). */
  static #sub(parent: Reader, field: string, start: number, end: number): Reader {
    const r = new Reader(parent.#buf, '', start, end);
    r.#base = parent;
    r.#field = field;
    return r;
  }

  /** Field path used in error messages, e.g. `ClientHello.extensions`. */
  get path(): string {
    const b = this.#base;
    return typeof b === 'string' ? b : `${b.path}.${this.#field ?? ''}`;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Current offset into the underlying buffer. */
  get offset(): number {
    return this.#pos;
  }

  #need(n: number, field: string): void {
    if (this.#end - this.#pos < n) {
      throw decodeError(`${this.path}.${field}`, `need ${n} bytes, have ${this.#end - this.#pos}`);
    }
  }

  u8(field: string): number {
    this.#need(1, field);
    return this.#buf[this.#pos++] as number;
  }

  u16(field: string): number {
    this.#need(2, field);
    const b = this.#buf;
    const p = this.#pos;
    this.#pos = p + 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }

  u24(field: string): number {
    this.#need(3, field);
    const b = this.#buf;
    const p = this.#pos;
    this.#pos = p + 3;
    return ((b[p] as number) << 16) | ((b[p + 1] as number) << 8) | (b[p + 2] as number);
  }

  u32(field: string): number {
    this.#need(4, field);
    const b = this.#buf;
    const p = this.#pos;
    this.#pos = p + 4;
    return (((b[p] as number) << 24) >>> 0) + (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
  }

  /** `n` bytes as a zero-copy view (copy it if it must outlive the input). */
  bytes(n: number, field: string): Uint8Array {
    this.#need(n, field);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  /** Skip `n` bytes. */
  skip(n: number, field: string): void {
    this.#need(n, field);
    this.#pos += n;
  }

  /** Read a vector's length prefix and check it against `bounds` and what is left. */
  #vecLength(lenBytes: 1 | 2 | 3, field: string, bounds: VecBounds | undefined, alert: AlertName | undefined): number {
    const len = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field);
    if (bounds?.min !== undefined && len < bounds.min) {
      throw decodeError(`${this.path}.${field}`, `length ${len} below minimum ${bounds.min}`, alert);
    }
    if (bounds?.max !== undefined && len > bounds.max) {
      throw decodeError(`${this.path}.${field}`, `length ${len} above maximum ${bounds.max}`, alert);
    }
    this.#need(len, field);
    return len;
  }

  #vec(lenBytes: 1 | 2 | 3, field: string, bounds?: VecBounds, alert?: AlertName): Reader {
    const len = this.#vecLength(lenBytes, field, bounds, alert);
    const sub = Reader.#sub(this, field, this.#pos, this.#pos + len);
    this.#pos += len;
    return sub;
  }

  /** A vector with a 1-byte length prefix, as a confined sub-reader. */
  vec8(field: string, bounds?: VecBounds, alert?: AlertName): Reader {
    return this.#vec(1, field, bounds, alert);
  }
  /** A vector with a 2-byte length prefix, as a confined sub-reader. */
  vec16(field: string, bounds?: VecBounds, alert?: AlertName): Reader {
    return this.#vec(2, field, bounds, alert);
  }
  /** A vector with a 3-byte length prefix, as a confined sub-reader. */
  vec24(field: string, bounds?: VecBounds, alert?: AlertName): Reader {
    return this.#vec(3, field, bounds, alert);
  }

  /**
   * A vector's bytes as a zero-copy view, the vector read whole: `vecN(field, bounds).rest()` without the
   * sub-reader.
   */
  #vecBytes(lenBytes: 1 | 2 | 3, field: string, bounds?: VecBounds, alert?: AlertName): Uint8Array {
    const len = this.#vecLength(lenBytes, field, bounds, alert);
    const v = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return v;
  }
  /** The bytes of a vector with a 1-byte length prefix (a view). */
  vec8Bytes(field: string, bounds?: VecBounds, alert?: AlertName): Uint8Array {
    return this.#vecBytes(1, field, bounds, alert);
  }
  /** The bytes of a vector with a 2-byte length prefix (a view). */
  vec16Bytes(field: string, bounds?: VecBounds, alert?: AlertName): Uint8Array {
    return this.#vecBytes(2, field, bounds, alert);
  }
  /** The bytes of a vector with a 3-byte length prefix (a view). */
  vec24Bytes(field: string, bounds?: VecBounds, alert?: AlertName): Uint8Array {
    return this.#vecBytes(3, field, bounds, alert);
  }

  /** Everything left, as a view; the reader is then used up. */
  rest(): Uint8Array {
    const v = this.#buf.subarray(this.#pos, this.#end);
    this.#pos = this.#end;
    return v;
  }

  /** Read items until the reader is used up. `maxCount` bounds how many a peer may send. */
  list<T>(item: (r: Reader, index: number) => T, maxCount = Number.MAX_SAFE_INTEGER): T[] {
    const out: T[] = [];
    while (this.remaining > 0) {
      if (out.length >= maxCount) throw decodeError(this.path, `more than ${maxCount} items`);
      out.push(item(this, out.length));
    }
    return out;
  }

  /**
   * The rest as big-endian u16 items, in one array of the exact size (`list((e) => e.u16(field))` without a closure
   * call per item or the array's regrowth). An odd number of bytes left is a decode error naming `field`, after the
   * whole items, as `list` would fail on the last.
   */
  u16List(field: string): number[] {
    const n = (this.#end - this.#pos) >>> 1;
    const out = new Array<number>(n);
    const b = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < n; i++, p += 2) out[i] = ((b[p] as number) << 8) | (b[p + 1] as number);
    this.#pos = p;
    if (p !== this.#end) this.#need(2, field);
    return out;
  }

  /** Fails unless every byte was read. */
  expectEnd(): void {
    if (this.#pos !== this.#end) throw decodeError(this.path, `${this.#end - this.#pos} trailing bytes`);
  }
}
