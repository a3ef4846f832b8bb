/**
 * A strict DER reader for X.509 and OCSP: single-byte tags only, definite minimal-length lengths, no indefinite
 * length, bounded nesting depth and input size. Every failure is `BadCertificate.BadEncoding` with the field path.
 *
 * Why our own rather than @peculiar/asn1-x509: we need only a dozen structures, a reader of ~200 lines is easy to
 * audit, it keeps runtime dependencies at zero for this leaf, and it lets every error be a TlsError naming the field.
 */
import { badCertificate, type TlsError } from '../errors.js';

/** Largest DER object we accept (a certificate or OCSP response); far above any real one. */
export const MAX_DER_SIZE = 256 * 1024;
/** Deepest nesting of constructed values we accept (X.509 needs about 10). */
export const MAX_DER_DEPTH = 32;

/** Universal and context tags we read (single-byte identifier octets). */
export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Enumerated: 0x0a,
  Utf8String: 0x0c,
  Sequence: 0x30,
  Set: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
} as const;

/** Context-specific tag number `n`, constructed (`[n] EXPLICIT` or a constructed IMPLICIT). */
export function ctxCons(n: number): number {
  return 0xa0 | n;
}
/** Context-specific tag number `n`, primitive (`[n] IMPLICIT` of a primitive type). */
export function ctxPrim(n: number): number {
  return 0x80 | n;
}

/** A BadEncoding error at a field path. */
export function derError(path: string, detail: string): TlsError {
  return badCertificate('BadEncoding', { detail: `${path}: ${detail}` });
}

/** One decoded TLV. `bytes` is the whole encoding, `value` the contents; both are views into the input. */
export interface Tlv {
  readonly tag: number;
  readonly bytes: Uint8Array;
  readonly value: Uint8Array;
  /** Nesting depth of this value (0 for the outermost). */
  readonly depth: number;
  readonly path: string;
}

/** A cursor over a sequence of TLVs (the contents of a constructed value, or a whole input). */
export class DerReader {
  readonly #buf: Uint8Array;
  #pos = 0;
  readonly #depth: number;
  /** Field path used in error messages. */
  readonly path: string;

  /** Read `buf` as a sequence of TLVs at nesting `depth`. */
  constructor(buf: Uint8Array, path: string, depth = 0) {
    if (depth === 0 && buf.length > MAX_DER_SIZE) throw derError(path, `input of ${buf.length} bytes exceeds ${MAX_DER_SIZE}`);
    if (depth > MAX_DER_DEPTH) throw derError(path, `nesting deeper than ${MAX_DER_DEPTH}`);
    this.#buf = buf;
    this.#depth = depth;
    this.path = path;
  }

  /** Whether every byte was read. */
  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  /** The tag of the next TLV, or undefined at the end. */
  peekTag(): number | undefined {
    return this.#buf[this.#pos];
  }

  /** Read the next TLV, whatever its tag. */
  any(field: string): Tlv {
    const path = `${this.path}.${field}`;
    const b = this.#buf;
    const start = this.#pos;
    const tag = b[start];
    if (tag === undefined) throw derError(path, 'missing');
    if ((tag & 0x1f) === 0x1f) throw derError(path, 'high tag numbers are not used in X.509');
    const l0 = b[start + 1];
    if (l0 === undefined) throw derError(path, 'truncated length');
    let len: number;
    let hdr: number;
    if (l0 < 0x80) {
      len = l0;
      hdr = 2;
    } else {
      const n = l0 & 0x7f;
      if (n === 0) throw derError(path, 'indefinite length is not DER');
      if (n > 3) throw derError(path, 'length too large');
      if (start + 2 + n > b.length) throw derError(path, 'truncated length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (b[start + 2 + i] as number);
      if (b[start + 2] === 0 || len < 0x80) throw derError(path, 'length not minimally encoded');
      hdr = 2 + n;
    }
    const end = start + hdr + len;
    if (end > b.length) throw derError(path, `need ${len} bytes, have ${b.length - start - hdr}`);
    this.#pos = end;
    return { tag, bytes: b.subarray(start, end), value: b.subarray(start + hdr, end), depth: this.#depth, path };
  }

  /** Read the next TLV and require its tag. */
  expect(tag: number, field: string): Tlv {
    const t = this.peekTag();
    if (t !== tag) {
      throw derError(`${this.path}.${field}`, t === undefined ? 'missing' : `tag 0x${t.toString(16)}, expected 0x${tag.toString(16)}`);
    }
    return this.any(field);
  }

  /** The next TLV if it has `tag`, else undefined (OPTIONAL / DEFAULT fields). */
  optional(tag: number, field: string): Tlv | undefined {
    return this.peekTag() === tag ? this.any(field) : undefined;
  }

  /** Read a SEQUENCE (or other constructed `tag`) and return a reader over its contents. */
  sequence(field: string, tag: number = Tag.Sequence): DerReader {
    return children(this.expect(tag, field));
  }

  /** Require that everything was read. */
  end(): void {
    if (!this.done) throw derError(this.path, `${this.#buf.length - this.#pos} trailing bytes`);
  }

  /** Read every remaining TLV with `fn`. */
  list<T>(fn: (r: DerReader, i: number) => T): T[] {
    const out: T[] = [];
    while (!this.done) out.push(fn(this, out.length));
    return out;
  }
}

/** A reader over a constructed TLV's contents. */
export function children(t: Tlv): DerReader {
  if ((t.tag & 0x20) === 0) throw derError(t.path, 'expected a constructed value');
  return new DerReader(t.value, t.path, t.depth + 1);
}

/** Parse `der` as exactly one TLV with `tag`, nothing after it. */
export function decodeOne(der: Uint8Array, tag: number, path: string): Tlv {
  const r = new DerReader(der, path);
  const t = r.expect(tag, '');
  r.end();
  return t;
}

/** INTEGER as a bigint (two's complement), checking minimal encoding. */
export function integer(t: Tlv): bigint {
  const v = t.value;
  checkInteger(t);
  let n = 0n;
  for (const x of v) n = (n << 8n) | BigInt(x);
  if (((v[0] as number) & 0x80) !== 0) n -= 1n << BigInt(8 * v.length);
  return n;
}

/** Check an INTEGER's contents are non-empty and minimal. */
export function checkInteger(t: Tlv): void {
  const v = t.value;
  if (v.length === 0) throw derError(t.path, 'empty INTEGER');
  if (v.length > 1) {
    const a = v[0] as number;
    const b = v[1] as number;
    if ((a === 0 && b < 0x80) || (a === 0xff && b >= 0x80)) throw derError(t.path, 'INTEGER not minimally encoded');
  }
}

/** A small non-negative INTEGER (versions, path lengths, salt lengths) as a number. */
export function smallInt(t: Tlv, max = 0x7fffffff): number {
  const n = integer(t);
  if (n < 0n || n > BigInt(max)) throw derError(t.path, `INTEGER out of range 0..${max}`);
  return Number(n);
}

/** BOOLEAN; DER allows only 0x00 and 0xff. */
export function boolean(t: Tlv): boolean {
  if (t.tag !== Tag.Boolean || t.value.length !== 1) throw derError(t.path, 'bad BOOLEAN');
  const b = t.value[0];
  if (b === 0xff) return true;
  if (b === 0x00) return false;
  throw derError(t.path, 'BOOLEAN must be 0x00 or 0xff in DER');
}

/** NULL with empty contents. */
export function nullValue(t: Tlv): void {
  if (t.tag !== Tag.Null || t.value.length !== 0) throw derError(t.path, 'bad NULL');
}

/** OBJECT IDENTIFIER as a dotted string, checking minimal base-128 encoding. */
export function oid(t: Tlv): string {
  const v = t.value;
  if (v.length === 0) throw derError(t.path, 'empty OID');
  if (v.length > 64) throw derError(t.path, 'OID too long');
  const arcs: number[] = [];
  let n = 0;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i] as number;
    if (fresh && b === 0x80) throw derError(t.path, 'OID arc not minimally encoded');
    if (n > 0x1ffffff) throw derError(t.path, 'OID arc too large');
    n = n * 128 + (b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(n);
      n = 0;
    }
  }
  if (!fresh) throw derError(t.path, 'truncated OID');
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** BIT STRING contents with no unused bits (signatures, keys). */
export function bitStringBytes(t: Tlv): Uint8Array {
  const { unusedBits, bytes } = bitString(t);
  if (unusedBits !== 0) throw derError(t.path, 'BIT STRING with unused bits');
  return bytes;
}

/** BIT STRING: unused-bit count and the bytes; unused bits must be zero (DER). */
export function bitString(t: Tlv): { unusedBits: number; bytes: Uint8Array } {
  const v = t.value;
  if (t.tag !== Tag.BitString && (t.tag & 0xc0) === 0) throw derError(t.path, 'expected BIT STRING');
  const u = v[0];
  if (u === undefined || u > 7) throw derError(t.path, 'bad BIT STRING');
  const bytes = v.subarray(1);
  if (bytes.length === 0 && u !== 0) throw derError(t.path, 'bad empty BIT STRING');
  if (u !== 0 && ((bytes[bytes.length - 1] as number) & ((1 << u) - 1)) !== 0) throw derError(t.path, 'non-zero unused bits');
  return { unusedBits: u, bytes };
}

/** UTCTime or GeneralizedTime (both in the restricted RFC 5280 forms ending in Z) as ms since the epoch. */
export function time(t: Tlv): number {
  const s = ascii(t);
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === Tag.UtcTime) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (m === null) throw derError(t.path, `bad UTCTime ${JSON.stringify(s)}`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (t.tag === Tag.GeneralizedTime) {
    m = /^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (m === null) throw derError(t.path, `bad GeneralizedTime ${JSON.stringify(s)}`);
    year = Number(m[1]);
  } else {
    throw derError(t.path, 'expected UTCTime or GeneralizedTime');
  }
  const [mo, d, h, mi, se] = [2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 59) throw derError(t.path, 'time field out of range');
  const ms = Date.UTC(year, mo! - 1, d!, h!, mi!, se!);
  if (new Date(ms).getUTCDate() !== d) throw derError(t.path, 'no such day');
  return ms;
}

/** GeneralizedTime only (OCSP), optionally with fractional seconds as RFC 6960 producers emit. */
export function generalizedTime(t: Tlv): number {
  if (t.tag !== Tag.GeneralizedTime) throw derError(t.path, 'expected GeneralizedTime');
  const s = ascii(t);
  const frac = /^(\d{14})\.(\d{1,3})Z$/.exec(s);
  if (frac !== null) {
    const whole = time({ ...t, value: new TextEncoder().encode(`${frac[1]}Z`) });
    return whole + Number(frac[2]!.padEnd(3, '0'));
  }
  return time(t);
}

/** Contents as printable ASCII (times, IA5String names). */
export function ascii(t: Tlv): string {
  let s = '';
  for (const b of t.value) {
    if (b < 0x20 || b > 0x7e) throw derError(t.path, 'non-ASCII character');
    s += String.fromCharCode(b);
  }
  return s;
}

/** A directory string (attribute values) decoded for display; unknown string types give their hex. */
export function displayString(t: Tlv): string {
  const v = t.value;
  switch (t.tag) {
    case Tag.Utf8String:
      return new TextDecoder('utf-8', { fatal: false }).decode(v);
    case Tag.PrintableString:
    case Tag.Ia5String:
    case Tag.T61String:
    case 0x12: // NumericString
    case 0x1a: {
      // VisibleString; a loop, not fromCharCode(...v), so a huge value cannot overflow the call stack
      let s = '';
      for (const b of v) s += String.fromCharCode(b);
      return s;
    }
    case Tag.BmpString: {
      let s = '';
      for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode(((v[i] as number) << 8) | (v[i + 1] as number));
      return s;
    }
    case Tag.UniversalString: {
      let s = '';
      for (let i = 0; i + 3 < v.length; i += 4) {
        const cp = (((v[i] as number) << 24) | ((v[i + 1] as number) << 16) | ((v[i + 2] as number) << 8) | (v[i + 3] as number)) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    default: {
      let h = '#';
      for (const b of t.bytes) h += b.toString(16).padStart(2, '0');
      return h;
    }
  }
}
