/**
 * Hybrid ML-KEM + ECDHE groups (draft-ietf-tls-ecdhe-mlkem). X25519MLKEM768: the client's share is the ML-KEM-768
 * encapsulation key ‖ the X25519 share (1184 + 32 = 1216 bytes); the server's share is the ML-KEM ciphertext ‖ its
 * X25519 share (1088 + 32 = 1120 bytes); the shared secret is the ML-KEM shared secret ‖ the X25519 shared secret.
 */
import { illegalShare } from './key-exchange-errors.js';
import type { KeyExchangeClient, KeyExchangeServerResult } from './provider.js';

/** The ML-KEM operations we use (shape of @noble/post-quantum's ml_kem768). */
export interface Kem {
  readonly publicKeyLen: number;
  readonly cipherTextLen: number;
  /**
   * Whether keygen and encapsulate use the caller's `seed` / `msg` (FIPS 203's derandomised forms, so a seeded
   * provider reproduces a handshake). A backend that draws them from its own CSPRNG says false and ignores them.
   */
  readonly usesCallerRandomness: boolean;
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array, msg: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** FIPS 203 §7.2 encapsulation-key check (modulus check); false when it fails. */
  checkPublicKey(publicKey: Uint8Array): boolean;
}

const X25519_LEN = 32;

/**
 * Client side of a hybrid group: ML-KEM keygen from the 64-byte `seed64`; the share is encapsulation key ‖ `xPub`.
 * `complete` decapsulates and returns ML-KEM secret ‖ X25519 secret; a server share of the wrong length is
 * illegal_parameter (InvalidKeyShare).
 */
export function hybridClient(
  group: number,
  kem: Kem,
  seed64: Uint8Array,
  xPub: Uint8Array,
  xDerive: (peer: Uint8Array) => Uint8Array,
): KeyExchangeClient {
  const { publicKey, secretKey } = kem.keygen(seed64);
  const share = new Uint8Array(publicKey.length + X25519_LEN);
  share.set(publicKey, 0);
  share.set(xPub, publicKey.length);
  return {
    group,
    publicKey: share,
    complete(serverShare: Uint8Array): Uint8Array {
      if (serverShare.length !== kem.cipherTextLen + X25519_LEN) throw illegalShare('X25519MLKEM768 server share must be 1120 bytes');
      const ss = kem.decapsulate(serverShare.subarray(0, kem.cipherTextLen), secretKey);
      const xs = xDerive(serverShare.subarray(kem.cipherTextLen));
      const out = new Uint8Array(ss.length + xs.length);
      out.set(ss, 0);
      out.set(xs, ss.length);
      return out;
    },
  };
}

/**
 * Server side of a hybrid group: encapsulates to the client's ML-KEM key with `msg32`; returns ciphertext ‖ `xPub`
 * and ML-KEM secret ‖ X25519 secret. A client share of the wrong length or an encapsulation key failing the
 * FIPS 203 modulus check is illegal_parameter (InvalidKeyShare).
 */
export function hybridServer(
  kem: Kem,
  msg32: Uint8Array,
  clientShare: Uint8Array,
  xPub: Uint8Array,
  xDerive: (peer: Uint8Array) => Uint8Array,
): KeyExchangeServerResult {
  if (clientShare.length !== kem.publicKeyLen + X25519_LEN) throw illegalShare('X25519MLKEM768 client share must be 1216 bytes');
  const ek = clientShare.subarray(0, kem.publicKeyLen);
  if (!kem.checkPublicKey(ek)) throw illegalShare('ML-KEM encapsulation key fails the modulus check');
  const { cipherText, sharedSecret } = kem.encapsulate(ek, msg32);
  const xs = xDerive(clientShare.subarray(kem.publicKeyLen));
  const publicKey = new Uint8Array(cipherText.length + X25519_LEN);
  publicKey.set(cipherText, 0);
  publicKey.set(xPub, cipherText.length);
  const out = new Uint8Array(sharedSecret.length + xs.length);
  out.set(sharedSecret, 0);
  out.set(xs, sharedSecret.length);
  return { publicKey, sharedSecret: out };
}
