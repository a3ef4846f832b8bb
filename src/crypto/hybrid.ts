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
  /**
   * Optional form of keygen that writes the encapsulation key at `out[0, publicKeyLen)` (the start of the hybrid
   * share) and returns the decapsulation key: one 1184-byte array and copy fewer per client handshake.
   */
  keygenInto?(seed: Uint8Array, out: Uint8Array): Uint8Array;
  /**
   * Optional form of encapsulate that writes the ciphertext at `out[0, cipherTextLen)` (the start of the hybrid
   * share) and returns the shared secret: one 1088-byte array and copy fewer per server handshake.
   */
  encapsulateInto?(publicKey: Uint8Array, msg: Uint8Array, out: Uint8Array): Uint8Array;
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
  const share = new Uint8Array(kem.publicKeyLen + X25519_LEN);
  let secretKey: Uint8Array;
  if (kem.keygenInto !== undefined) {
    secretKey = kem.keygenInto(seed64, share);
  } else {
    const keys = kem.keygen(seed64);
    share.set(keys.publicKey, 0);
    secretKey = keys.secretKey;
  }
  share.set(xPub, kem.publicKeyLen);
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
  const publicKey = new Uint8Array(kem.cipherTextLen + X25519_LEN);
  let sharedSecret: Uint8Array;
  if (kem.encapsulateInto !== undefined) {
    sharedSecret = kem.encapsulateInto(ek, msg32, publicKey);
  } else {
    const enc = kem.encapsulate(ek, msg32);
    publicKey.set(enc.cipherText, 0);
    sharedSecret = enc.sharedSecret;
  }
  const xs = xDerive(clientShare.subarray(kem.publicKeyLen));
  publicKey.set(xPub, kem.cipherTextLen);
  const out = new Uint8Array(sharedSecret.length + xs.length);
  out.set(sharedSecret, 0);
  out.set(xs, sharedSecret.length);
  return { publicKey, sharedSecret: out };
}
