/**
 * The TLS 1.2 PRF and what is derived with it (RFC 5246 §5, §6.3, §7.4.9; RFC 7627 §4; RFC 5705 §4):
 *
 *   pre_master_secret ──PRF("extended master secret", session_hash)──▶ master_secret (48)
 *   master_secret ──PRF("key expansion", server_random ‖ client_random)──▶ key_block
 *   master_secret ──PRF("client finished" | "server finished", Hash(handshake_messages))──▶ verify_data (12)
 *   master_secret ──PRF(label, client_random ‖ server_random [‖ u16 len ‖ context])──▶ exporter output
 *
 * Only the extended master secret is implemented: we require it from every peer (RFC 7627 §5.2, §5.3).
 */
import { concat } from '../codec/bytes.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { internalError } from '../errors.js';

const enc = new TextEncoder();

/** P_hash(secret, seed) truncated to `length` bytes (RFC 5246 §5). */
export function pHash(p: CryptoProvider, hash: HashAlg, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = seed; // A(0)
  let at = 0;
  while (at < length) {
    a = p.hmac(hash, secret, a); // A(i) = HMAC(secret, A(i-1))
    const block = p.hmac(hash, secret, concat(a, seed));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** PRF(secret, label, seed) = P_<hash>(secret, label ‖ seed) (RFC 5246 §5); `hash` is the suite's PRF hash. */
export function prf(p: CryptoProvider, hash: HashAlg, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  return pHash(p, hash, secret, concat(enc.encode(label), seed), length);
}

/** The master secret with extended master secret (RFC 7627 §4): session_hash = Hash(ClientHello … ClientKeyExchange). */
export function extendedMasterSecret(p: CryptoProvider, suite: SuiteInfo, preMasterSecret: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(p, suite.hash, preMasterSecret, 'extended master secret', sessionHash, 48);
}

/** AEAD keys and implicit IVs of both directions (RFC 5246 §6.3; no MAC keys for AEAD suites). */
export interface KeyBlock {
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/** key_block = PRF(master_secret, "key expansion", server_random ‖ client_random). */
export function keyBlock(p: CryptoProvider, suite: SuiteInfo, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): KeyBlock {
  const k = suite.keyLen;
  const iv = suite.ivLen;
  const b = prf(p, suite.hash, masterSecret, 'key expansion', concat(serverRandom, clientRandom), 2 * k + 2 * iv);
  return {
    clientWriteKey: b.slice(0, k),
    serverWriteKey: b.slice(k, 2 * k),
    clientWriteIv: b.slice(2 * k, 2 * k + iv),
    serverWriteIv: b.slice(2 * k + iv, 2 * k + 2 * iv),
  };
}

/** verify_data of a Finished (RFC 5246 §7.4.9): 12 bytes for every suite we implement. */
export function verifyData(p: CryptoProvider, suite: SuiteInfo, masterSecret: Uint8Array, fromClient: boolean, handshakeHash: Uint8Array): Uint8Array {
  return prf(p, suite.hash, masterSecret, fromClient ? 'client finished' : 'server finished', handshakeHash, 12);
}

/** Labels RFC 5705 §4 reserves for the protocol itself: an exporter may not use them. */
const RESERVED = ['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion'];

/** The TLS 1.2 exporter (RFC 5705 §4). A null context differs from an empty one. */
export function exportKeyingMaterial12(
  p: CryptoProvider,
  suite: SuiteInfo,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  context: Uint8Array | null,
  length: number,
): Uint8Array {
  if (RESERVED.includes(label)) throw internalError(`exporter label "${label}" is reserved`);
  if (context !== null && context.length > 0xffff) throw internalError('exporter context longer than 65535 bytes');
  const seed = context === null
    ? concat(clientRandom, serverRandom)
    : concat(clientRandom, serverRandom, new Uint8Array([context.length >>> 8, context.length & 0xff]), context);
  return prf(p, suite.hash, masterSecret, label, seed, length);
}
