/**
 * The stateless HelloRetryRequest cookie of a DTLS 1.3 server (RFC 9147 §5.1): everything the server needs to go on
 * from a second ClientHello, with no state kept after the first, authenticated and bound to the client's address.
 *
 *   cookie = version(1) ‖ issued(u32, seconds) ‖ cipher_suite(u16) ‖ selected_group(u16) ‖ key_share_in_hrr(u8)
 *            ‖ ch1_hash<1..255>
 *            ‖ HMAC-SHA256(key, address<0..255> ‖ everything before)
 *
 * The transcript continues from message_hash(Hash(ClientHello1)) and the HelloRetryRequest, which the server
 * rebuilds from the suite, the group and this cookie (as the second ClientHello echoes it). Keys rotate: cookies are
 * made with the first key and accepted under any listed one (§5.1 recommends overlapping lifetimes).
 */
import { Reader } from '../../codec/reader.js';
import { encode } from '../../codec/writer.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { internalError } from '../../errors.js';

const COOKIE_VERSION = 1;
const MAC_LENGTH = 32;
/** Default lifetime of a cookie: long enough for a client's retransmissions, short enough to limit reuse. */
export const COOKIE_LIFETIME_MS = 60_000;

/** What a cookie carries. */
export interface CookieState {
  readonly suite: number;
  readonly group: number;
  /** Whether the HelloRetryRequest carried key_share (it asked for a new share) or the cookie only. */
  readonly keyShareInHrr: boolean;
  /** Transcript-Hash(ClientHello1) under the suite's hash. */
  readonly ch1Hash: Uint8Array;
}

function mac(p: CryptoProvider, key: Uint8Array, address: Uint8Array, fields: Uint8Array): Uint8Array {
  return p.hmac('sha256', key, encode((w) => w.vec8((w) => w.bytes(address)).bytes(fields)));
}

/** A cookie for `state`, bound to `address` (the client's transport address, e.g. "192.0.2.1:4433" as bytes). */
export function makeCookie(p: CryptoProvider, keys: readonly Uint8Array[], address: Uint8Array, state: CookieState): Uint8Array {
  const key = keys[0];
  if (key === undefined) throw internalError('no cookie key');
  const fields = encode((w) => {
    w.u8(COOKIE_VERSION).u32(Math.floor(p.now() / 1000) >>> 0).u16(state.suite).u16(state.group).u8(state.keyShareInHrr ? 1 : 0);
    w.vec8((w) => w.bytes(state.ch1Hash));
  });
  const out = new Uint8Array(fields.length + MAC_LENGTH);
  out.set(fields, 0);
  out.set(mac(p, key, address, fields), fields.length);
  return out;
}

/**
 * The state in a cookie, or null when it is not ours, was made for another address, was tampered with or is
 * older than `lifetimeMs` (or from the future). The caller answers null with illegal_parameter (§5.1).
 */
export function openCookie(
  p: CryptoProvider,
  keys: readonly Uint8Array[],
  address: Uint8Array,
  cookie: Uint8Array,
  lifetimeMs = COOKIE_LIFETIME_MS,
): CookieState | null {
  if (cookie.length <= MAC_LENGTH) return null;
  const fields = cookie.subarray(0, cookie.length - MAC_LENGTH);
  const tag = cookie.subarray(cookie.length - MAC_LENGTH);
  if (!keys.some((k) => p.equalSecret(mac(p, k, address, fields), tag))) return null;
  // Authenticated: the fields are ours, but still parsed through the codec.
  const r = new Reader(fields, 'cookie');
  if (r.u8('version') !== COOKIE_VERSION) return null;
  const issuedMs = r.u32('issued') * 1000;
  const suite = r.u16('cipher_suite');
  const group = r.u16('selected_group');
  const flag = r.u8('key_share_in_hrr');
  if (flag > 1) return null;
  const ch1Hash = r.vec8('ch1_hash', { min: 1 }).rest().slice();
  r.expectEnd();
  const age = p.now() - issuedMs;
  if (age < -1000 || age > lifetimeMs) return null;
  return { suite, group, keyShareInHrr: flag === 1, ch1Hash };
}
