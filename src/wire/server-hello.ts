/** ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
import { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { equalPublic, fromHex } from '../codec/bytes.js';
import { frameHandshake } from './handshake.js';
import { readExtensions, writeExtensions, type RawExtension } from './extensions.js';
import { HandshakeType } from './registry.js';

/** SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest. */
export const HRR_RANDOM = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
/** Downgrade sentinels (RFC 8446 §4.1.3): last 8 bytes of ServerHello.random. */
export const DOWNGRADE_TLS12 = fromHex('444f574e47524401');
/** Downgrade sentinel for TLS 1.1 or below (RFC 8446 §4.1.3). */
export const DOWNGRADE_TLS11 = fromHex('444f574e47524400');

/** ServerHello fields, also used for HelloRetryRequest (RFC 8446 §4.1.3); extensions stay raw. */
export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly legacyCompressionMethod: number;
  readonly extensions: readonly RawExtension[];
}

/** True when the random is the HelloRetryRequest value (RFC 8446 §4.1.3). */
export function isHelloRetryRequest(sh: ServerHello): boolean {
  return equalPublic(sh.random, HRR_RANDOM);
}

/** Decode a ServerHello or HelloRetryRequest body (RFC 8446 §4.1.3); a session id over 32 bytes is decode_error. */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const legacySessionIdEcho = r.vec8Bytes('legacy_session_id_echo', { max: 32 });
  const cipherSuite = r.u16('cipher_suite');
  const legacyCompressionMethod = r.u8('legacy_compression_method');
  const extensions = r.remaining > 0 ? readExtensions(r) : [];
  r.expectEnd();
  return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
}

/** Encode a framed ServerHello or HelloRetryRequest (RFC 8446 §4.1.3). */
export function encodeServerHello(sh: ServerHello): Uint8Array {
  return frameHandshake(HandshakeType.ServerHello, (w) => writeServerHelloBody(w, sh));
}

/** Write a ServerHello's body (no handshake header): for a message written straight into the engine's flight. */
export function writeServerHelloBody(w: Writer, sh: ServerHello): void {
  w.u16(sh.legacyVersion).bytes(sh.random);
  w.vec8Bytes(sh.legacySessionIdEcho);
  w.u16(sh.cipherSuite).u8(sh.legacyCompressionMethod);
  writeExtensions(w, sh.extensions);
}
