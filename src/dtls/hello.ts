/**
 * The DTLS 1.2 hellos (RFC 6347 §4.2.1, §4.3.2): the ClientHello's cookie field, HelloVerifyRequest, and the
 * version numbers of the hellos. The TLS 1.2 machines read and write TLS 1.2 hellos; these functions translate
 * between the two forms (the bytes on the wire are what the transcript hashes).
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { misbehaved } from '../errors.js';
import { decodeClientHello, type ClientHello } from '../wire/client-hello.js';
import { readExtensions, writeExtensions } from '../wire/extensions.js';
import { ExtensionType, ProtocolVersion } from '../wire/registry.js';
import { DTLS10, DTLS12 } from './record.js';

/** HelloVerifyRequest's handshake type (RFC 6347 §4.3.2). */
export const HELLO_VERIFY_REQUEST = 3;
/** RFC 6347 §4.3.2: opaque cookie<0..2^8-1>. */
export const MAX_COOKIE = 255;

/** The TLS version a DTLS version stands for in the TLS 1.2 machines (RFC 6347 §4.1). */
export function tlsVersionOf(dtls: number): number {
  if (dtls === DTLS12) return ProtocolVersion.TLS12;
  if (dtls === DTLS10) return ProtocolVersion.TLS11;
  return ProtocolVersion.SSL3;
}

/** A DTLS ClientHello: the TLS 1.2 fields (version mapped) and the cookie. */
export interface DtlsClientHello {
  readonly hello: ClientHello;
  readonly cookie: Uint8Array;
  /** The wire client_version. */
  readonly version: number;
}

/** Decode a DTLS ClientHello body (decode_error on anything malformed). */
export function decodeDtlsClientHello(body: Uint8Array): DtlsClientHello {
  const r = new Reader(body, 'ClientHello');
  const version = r.u16('client_version');
  const random = r.bytes(32, 'random');
  const legacySessionId = r.vec8('session_id', { max: 32 }).rest();
  const cookie = r.vec8('cookie').rest();
  const cs = r.vec16('cipher_suites', { min: 2 });
  if (cs.remaining % 2 !== 0) cs.bytes(cs.remaining + 1, 'cipher_suites');
  const cipherSuites = cs.list((e) => e.u16('cipher_suite'));
  const legacyCompressionMethods = r.vec8('compression_methods', { min: 1 }).rest();
  const extensions = r.remaining > 0 ? readExtensions(r, true) : [];
  r.expectEnd();
  return { hello: { legacyVersion: tlsVersionOf(version), random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions }, cookie, version };
}

/** Encode a DTLS ClientHello body with `cookie`. */
export function encodeDtlsClientHello(ch: ClientHello, cookie: Uint8Array): Uint8Array {
  return Writer.encode((w) => {
    w.u16(DTLS12).bytes(ch.random);
    w.vec8((w) => w.bytes(ch.legacySessionId));
    w.vec8((w) => w.bytes(cookie));
    w.vec16((w) => {
      for (const s of ch.cipherSuites) w.u16(s);
    });
    w.vec8((w) => w.bytes(ch.legacyCompressionMethods));
    // DTLS 1.2 negotiates by client_version; supported_versions belongs to DTLS 1.3 (RFC 9147 §5.3).
    writeExtensions(w, ch.extensions.filter((e) => e.type !== ExtensionType.supported_versions));
  });
}

/**
 * The DTLS ClientHello body for the TLS ClientHello message `tlsMessage` (4-byte header ‖ body) that the TLS
 * machines built.
 */
export function dtlsClientHelloFromTls(tlsMessage: Uint8Array, cookie: Uint8Array): Uint8Array {
  return encodeDtlsClientHello(decodeClientHello(tlsMessage.subarray(4)), cookie);
}

/** HelloVerifyRequest body: server_version (RFC 6347 §4.2.1: DTLS 1.0's, for any version) ‖ cookie. */
export function encodeHelloVerifyRequest(cookie: Uint8Array): Uint8Array {
  return Writer.encode((w) => w.u16(DTLS10).vec8((w) => w.bytes(cookie)));
}

/** The cookie of a HelloVerifyRequest body. */
export function decodeHelloVerifyRequest(body: Uint8Array): Uint8Array {
  const r = new Reader(body, 'HelloVerifyRequest');
  const version = r.u16('server_version');
  if (version !== DTLS10 && version !== DTLS12) throw misbehaved('SelectedUnofferedVersion', { detail: 'HelloVerifyRequest version' });
  const cookie = r.vec8('cookie').rest();
  r.expectEnd();
  return cookie;
}

/** A hello body (ClientHello or ServerHello) with its first two bytes (the version) replaced. */
export function withVersion(body: Uint8Array, version: number): Uint8Array {
  const out = body.slice();
  if (out.length >= 2) {
    out[0] = version >>> 8;
    out[1] = version & 0xff;
  }
  return out;
}

/**
 * Stateless cookies (RFC 6347 §4.2.1): HMAC-SHA256 under a server secret over the peer's transport address and
 * the ClientHello's parameters (everything but the cookie itself), so a server keeps no state for a ClientHello
 * until the client proves it can receive at its address.
 */
export class CookieSecret {
  readonly #p: CryptoProvider;
  readonly #secret: Uint8Array;
  constructor(p: CryptoProvider, secret?: Uint8Array) {
    this.#p = p;
    this.#secret = secret ?? p.randomBytes(32);
  }

  /** The cookie for a ClientHello body from `peer` (any stable bytes naming the transport address). */
  cookieFor(peer: Uint8Array, body: Uint8Array): Uint8Array {
    const r = new Reader(body, 'ClientHello');
    r.bytes(2 + 32, 'client_version and random');
    r.vec8('session_id');
    const beforeCookie = 2 + 32 + 1 + (body[34] ?? 0);
    const cookieLen = r.u8('cookie');
    const rest = body.subarray(beforeCookie + 1 + cookieLen);
    const input = Writer.encode((w) => {
      w.vec16((w) => w.bytes(peer));
      w.bytes(body.subarray(0, beforeCookie));
      w.bytes(rest);
    });
    return this.#p.hmac('sha256', this.#secret, input);
  }

  /** Whether `cookie` is the one we would give this ClientHello (constant time). */
  check(peer: Uint8Array, body: Uint8Array, cookie: Uint8Array): boolean {
    const expected = this.cookieFor(peer, body);
    return cookie.length === expected.length && this.#p.equalSecret(cookie, expected);
  }
}
