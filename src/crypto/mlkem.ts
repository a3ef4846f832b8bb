/**
 * ML-KEM-768 (FIPS 203) from @noble/post-quantum, adapted to the Kem interface of crypto/hybrid.ts.
 * noble's encapsulate does not run the FIPS 203 §7.2 encapsulation-key check, so we do: every 12-bit coefficient
 * of the encoded vector must be below q = 3329 (ByteEncode12(ByteDecode12(ek)) == ek).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { Kem } from './hybrid.js';

const Q = 3329;

/** FIPS 203 §7.2 modulus check of an ML-KEM encapsulation key (k·384 coefficient bytes, then the 32-byte rho). */
export function mlKemModulusCheck(ek: Uint8Array, k: number): boolean {
  if (ek.length !== 384 * k + 32) return false;
  for (let i = 0; i < 384 * k; i += 3) {
    const b0 = ek[i] as number;
    const b1 = ek[i + 1] as number;
    const b2 = ek[i + 2] as number;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q) return false;
    if (((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

/** ML-KEM-768. */
export const mlKem768: Kem = {
  publicKeyLen: 1184,
  cipherTextLen: 1088,
  usesCallerRandomness: true,
  keygen: (seed) => ml_kem768.keygen(seed),
  encapsulate: (publicKey, msg) => ml_kem768.encapsulate(publicKey, msg),
  decapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
  checkPublicKey: (publicKey) => mlKemModulusCheck(publicKey, 3),
};
