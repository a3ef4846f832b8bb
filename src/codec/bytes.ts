/** Uint8Array helpers. Nothing here is constant-time: secrets go through crypto/constant-time.ts. */

/** Concatenate into a fresh array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Equality of public (non-secret) data. */
export function equalPublic(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `list` holds a byte string equal to `b` (public data: ALPN ids, names). */
export function includesBytes(list: readonly Uint8Array[], b: Uint8Array): boolean {
  for (const x of list) if (equalPublic(x, b)) return true;
  return false;
}

/**
 * Bytes as a string of the same length, one character per byte (U+0000..U+00FF). How node:tls reports a negotiated
 * ALPN id (`alpnProtocol`), and how we show ids in traces: distinct ids stay distinct, unlike a UTF-8 decode.
 */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** A fresh copy. */
export function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex (logs, and cache keys such as certificate fingerprints). */
export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number] as string;
  return s;
}

/** Parse hex (whitespace ignored), for tests and vectors. */
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new RangeError('odd-length hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Up to this many characters, ASCII is converted in JavaScript: host names, ALPN ids and labels are short and
 * ASCII, and a TextEncoder/TextDecoder call costs more than the loop.
 */
const SHORT_ASCII = 64;

/** UTF-8 encode. */
export function utf8(s: string): Uint8Array {
  const n = s.length;
  if (n <= SHORT_ASCII) {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
    }
    if (i === n) return out;
  }
  return encoder.encode(s);
}

/** ASCII/UTF-8 decode (for names and ALPN ids). */
export function fromUtf8(b: Uint8Array): string {
  const n = b.length;
  if (n <= SHORT_ASCII) {
    let s = '';
    let i = 0;
    for (; i < n; i++) {
      const c = b[i] as number;
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === n) return s;
  }
  return decoder.decode(b);
}

/** A shared zero-length byte array. */
export const EMPTY = new Uint8Array(0);
