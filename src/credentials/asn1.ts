/**
 * The ASN.1 the credential formats need, on top of the strict DER reader of src/x509/der.ts:
 * - `berToDer`: PKCS#12 files from NSS, older Windows and Java tools may use BER (indefinite lengths, constructed
 *   OCTET STRINGs, non-minimal lengths). This rewrites one BER value into DER-shaped bytes (definite minimal lengths,
 *   constructed strings joined), linear in the input and with bounded nesting, so the strict reader can read it.
 * - A small DER writer for the PKCS#12 writer and encrypted keys.
 */
import { credentialError } from './errors.js';

/** Largest credential file we read (a PFX with a long chain is tens of KiB). */
export const MAX_CREDENTIAL_SIZE = 1024 * 1024;
/** Deepest nesting we accept (a PFX with a nested SafeContents bag needs about 16). */
export const MAX_BER_DEPTH = 32;

/** Universal OCTET STRING, primitive and constructed. */
const OCTET = 0x04;
const OCTET_CONSTRUCTED = 0x24;

interface Parsed {
  /** DER-shaped encoding of the value. */
  readonly der: Uint8Array;
  /** Offset just after the value in the input. */
  readonly end: number;
}

/**
 * One BER value at the start of `input` re-encoded as DER-shaped bytes; trailing bytes after it are an error.
 * Constructed OCTET STRINGs (0x24) become primitive ones; the implicit `[0] OCTET STRING` of CMS EncryptedData is
 * left constructed (its reader joins the pieces, see `implicitOctets`).
 */
export function berToDer(input: Uint8Array, what: string): Uint8Array {
  if (input.length > MAX_CREDENTIAL_SIZE) throw credentialError('BadEncoding', `${what}: ${input.length} bytes exceeds ${MAX_CREDENTIAL_SIZE}`);
  const p = parseBer(input, 0, input.length, 0, what);
  if (p.end !== input.length) throw credentialError('BadEncoding', `${what}: ${input.length - p.end} trailing bytes`);
  return p.der;
}

function parseBer(b: Uint8Array, start: number, limit: number, depth: number, what: string): Parsed {
  if (depth > MAX_BER_DEPTH) throw credentialError('BadEncoding', `${what}: nesting deeper than ${MAX_BER_DEPTH}`);
  const tag = b[start];
  if (tag === undefined || start >= limit) throw credentialError('Truncated', `${what}: truncated (value missing)`);
  if ((tag & 0x1f) === 0x1f) throw credentialError('BadEncoding', `${what}: high tag numbers are not used in PKCS#12`);
  const l0 = b[start + 1];
  if (l0 === undefined || start + 1 >= limit) throw credentialError('Truncated', `${what}: truncated (length missing)`);
  const constructed = (tag & 0x20) !== 0;
  let pos = start + 2;
  if (l0 === 0x80) {
    // Indefinite length: constructed only, children until the end-of-contents octets 00 00.
    if (!constructed) throw credentialError('BadEncoding', `${what}: indefinite length on a primitive value`);
    const kids: Uint8Array[] = [];
    for (;;) {
      if (pos + 2 > limit) throw credentialError('Truncated', `${what}: truncated (no end-of-contents)`);
      if (b[pos] === 0 && b[pos + 1] === 0) {
        pos += 2;
        break;
      }
      const k = parseBer(b, pos, limit, depth + 1, what);
      kids.push(k.der);
      pos = k.end;
    }
    return { der: rebuild(tag, kids, what), end: pos };
  }
  let len = l0;
  if (l0 > 0x80) {
    const n = l0 & 0x7f;
    if (n > 4) throw credentialError('BadEncoding', `${what}: length too large`);
    if (pos + n > limit) throw credentialError('Truncated', `${what}: truncated (length)`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[pos + i] as number);
    pos += n;
  }
  const end = pos + len;
  if (end > limit) throw credentialError('Truncated', `${what}: truncated (need ${len} bytes, have ${limit - pos})`);
  if (!constructed) return { der: encodeTlv(tag, b.subarray(pos, end)), end };
  const kids: Uint8Array[] = [];
  while (pos < end) {
    const k = parseBer(b, pos, end, depth + 1, what);
    kids.push(k.der);
    pos = k.end;
  }
  return { der: rebuild(tag, kids, what), end };
}

function rebuild(tag: number, kids: readonly Uint8Array[], what: string): Uint8Array {
  if (tag !== OCTET_CONSTRUCTED) return encodeTlv(tag, concat(kids));
  // A constructed OCTET STRING: its pieces are OCTET STRINGs; join their contents into one primitive value.
  const parts = kids.map((k) => {
    if (k[0] !== OCTET) throw credentialError('BadEncoding', `${what}: constructed OCTET STRING with a non-OCTET STRING piece`);
    return contentsOf(k);
  });
  return encodeTlv(OCTET, concat(parts));
}

/** The contents of a DER-shaped TLV produced here (definite minimal length). */
function contentsOf(tlv: Uint8Array): Uint8Array {
  const l0 = tlv[1] as number;
  return tlv.subarray(l0 < 0x80 ? 2 : 2 + (l0 & 0x7f));
}

/** Concatenation of byte strings. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One TLV with a definite minimal length. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  let hdr: number[];
  if (n < 0x80) hdr = [tag, n];
  else if (n < 0x100) hdr = [tag, 0x81, n];
  else if (n < 0x10000) hdr = [tag, 0x82, n >> 8, n & 0xff];
  else if (n < 0x1000000) hdr = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  else hdr = [tag, 0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(hdr.length + n);
  out.set(hdr);
  out.set(value, hdr.length);
  return out;
}

/** SEQUENCE of the given encodings. */
export function seq(...items: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(0x30, concat(items));
}

/** SET OF the given encodings, sorted as DER requires. */
export function setOf(...items: readonly Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return a.length - b.length;
  });
  return encodeTlv(0x31, concat(sorted));
}

/** `[n] EXPLICIT` around one encoding. */
export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return encodeTlv(0xa0 | n, inner);
}

/** OCTET STRING. */
export function octets(v: Uint8Array): Uint8Array {
  return encodeTlv(OCTET, v);
}

/** NULL. */
export function nullDer(): Uint8Array {
  return new Uint8Array([0x05, 0x00]);
}

/** A non-negative INTEGER. */
export function uint(n: number): Uint8Array {
  const bytes: number[] = [];
  let x = n;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return encodeTlv(0x02, new Uint8Array(bytes));
}

/** OBJECT IDENTIFIER from its dotted form. */
export function oidDer(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const first = (arcs[0] as number) * 40 + (arcs[1] as number);
  for (const a of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [a & 0x7f];
    let x = Math.floor(a / 128);
    while (x > 0) {
      chunk.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...chunk);
  }
  return encodeTlv(0x06, new Uint8Array(out));
}

/** BMPString (UTF-16BE) of `s`. */
export function bmpString(s: string): Uint8Array {
  return encodeTlv(0x1e, utf16be(s));
}

/** UTF-16BE code units of `s` (no terminator). */
export function utf16be(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

/** AlgorithmIdentifier with DER parameters (or none). */
export function algorithm(oid: string, params?: Uint8Array): Uint8Array {
  return params === undefined ? seq(oidDer(oid)) : seq(oidDer(oid), params);
}
