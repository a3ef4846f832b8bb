/**
 * The little of LDAPv3 (RFC 4511) the StartTLS examples speak, by hand: BER TLVs with definite lengths, LDAPMessage
 * framing, and the operations StartTLS needs (Extended, Bind, Search, Unbind). Parsing is bounds-checked and
 * rejects indefinite lengths, lengths past the buffer and messages over MAX_MESSAGE bytes.
 */

/** Largest LDAPMessage accepted (bounds the framing buffer). */
export const MAX_MESSAGE = 1 << 20;

/** StartTLS extended operation (RFC 4511 §4.14). */
export const START_TLS_OID = '1.3.6.1.4.1.1466.20037';
/** "Who am I?" extended operation (RFC 4532). */
export const WHO_AM_I_OID = '1.3.6.1.4.1.4203.1.11.3';

/** Protocol operation tags ([APPLICATION n]). */
export const Op = {
  BindRequest: 0x60,
  BindResponse: 0x61,
  UnbindRequest: 0x42,
  SearchRequest: 0x63,
  SearchResultEntry: 0x64,
  SearchResultDone: 0x65,
  ExtendedRequest: 0x77,
  ExtendedResponse: 0x78,
} as const;

/** LDAP result codes used here. */
export const ResultCode = { success: 0, protocolError: 2, confidentialityRequired: 13, unwillingToPerform: 53 } as const;

/** One BER element: its tag byte, its contents, and where it ended in the input. */
export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly end: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Read one TLV at `at`; undefined when `buf` does not hold all of it yet. Throws on malformed lengths. */
export function readTlv(buf: Uint8Array, at = 0, limit = buf.length): Tlv | undefined {
  if (limit - at < 2) return undefined;
  const tag = buf[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error('ldap: multi-byte tags are not used by LDAP');
  let len = buf[at + 1] as number;
  let p = at + 2;
  if (len === 0x80) throw new Error('ldap: indefinite length is forbidden (RFC 4511 §5.1)');
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Error('ldap: length field too long');
    if (limit - p < n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    p += n;
  }
  if (len > MAX_MESSAGE) throw new Error(`ldap: element of ${len} bytes exceeds ${MAX_MESSAGE}`);
  if (limit - p < len) return undefined;
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** The children of a constructed element, in order; throws if they do not fill it exactly. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < value.length) {
    const t = readTlv(value, at);
    if (t === undefined) throw new Error('ldap: truncated element');
    out.push(t);
    at = t.end;
  }
  return out;
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((n, c) => n + c.length, 0);
  const head = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : len < 0x10000 ? [tag, 0x82, len >> 8, len & 0xff] : [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const c of content) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function integer(n: number, tag = 0x02): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return tlv(tag, new Uint8Array(bytes));
}

export function readInteger(t: Tlv): number {
  if (t.value.length === 0 || t.value.length > 4) throw new Error('ldap: bad INTEGER');
  let v = 0;
  for (const b of t.value) v = v * 256 + b;
  return v;
}

export const octets = (s: string | Uint8Array, tag = 0x04): Uint8Array => tlv(tag, typeof s === 'string' ? utf8.encode(s) : s);
export const text = (t: Tlv): string => fromUtf8.decode(t.value);

/** One LDAPMessage: its id, operation tag and the operation's children. */
export interface LdapMessage {
  readonly id: number;
  readonly op: number;
  /** The operation's contents (constructed operations: parse with `children`). */
  readonly body: Uint8Array;
}

export function encodeMessage(id: number, op: number, ...parts: Uint8Array[]): Uint8Array {
  return tlv(0x30, integer(id), tlv(op, ...parts));
}

/** An LDAPResult body: resultCode, matchedDN, diagnosticMessage, then any extra parts. */
export function result(code: number, diagnostic = '', ...extra: Uint8Array[]): Uint8Array[] {
  return [integer(code, 0x0a), octets(''), octets(diagnostic), ...extra];
}

/** Reassembles LDAPMessages from a byte stream (TCP or TLS plaintext). */
export class MessageReader {
  #buf = new Uint8Array(0);

  /** Add bytes; returns every complete message. */
  push(bytes: Uint8Array): LdapMessage[] {
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf, 0);
    joined.set(bytes, this.#buf.length);
    const out: LdapMessage[] = [];
    let at = 0;
    for (;;) {
      const m = readTlv(joined, at);
      if (m === undefined) break;
      if (m.tag !== 0x30) throw new Error('ldap: LDAPMessage is not a SEQUENCE');
      const [id, op] = children(m.value);
      if (id === undefined || id.tag !== 0x02 || op === undefined) throw new Error('ldap: malformed LDAPMessage');
      out.push({ id: readInteger(id), op: op.tag, body: op.value });
      at = m.end;
    }
    this.#buf = joined.slice(at);
    return out;
  }

  /** Bytes received after the last complete message (after StartTLS: the first TLS bytes). */
  takeRest(): Uint8Array {
    const r = this.#buf;
    this.#buf = new Uint8Array(0);
    return r;
  }
}

/** The resultCode and diagnosticMessage of an LDAPResult body, and its extra children (ExtendedResponse fields). */
export function readResult(body: Uint8Array): { code: number; diagnostic: string; extra: Tlv[] } {
  const [code, , diag, ...extra] = children(body);
  if (code === undefined || code.tag !== 0x0a || diag === undefined) throw new Error('ldap: malformed LDAPResult');
  return { code: readInteger(code), diagnostic: text(diag), extra };
}
