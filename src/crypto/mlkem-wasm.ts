/**
 * ML-KEM-768 (FIPS 203) from liboqs compiled to WebAssembly (@oqs/liboqs-js, the Open Quantum Safe project's
 * JavaScript bindings), adapted to the Kem interface of crypto/hybrid.ts. About five times faster than the
 * pure-JavaScript @noble/post-quantum (docs/performance.md has the figures), so a server answering Chromium's
 * X25519MLKEM768 share pays tens of microseconds instead of hundreds.
 *
 * Loading it is asynchronous (WebAssembly instantiation), so nothing loads it behind the caller's back: call
 * `loadMlKem768Wasm()` once and pass the result to `new NodeCryptoProvider({ mlkem })`. The CLI does.
 *
 * liboqs draws keygen and encapsulation randomness from its own CSPRNG (WebCrypto's getRandomValues, i.e. Node's
 * OpenSSL), not from the provider: `usesCallerRandomness` is false, and a seeded provider for reproducible
 * handshakes keeps the noble backend. The FIPS 203 §7.2 encapsulation-key check is ours, whatever the backend.
 * Known answers: test/unit/crypto/mlkem-wasm.test.ts checks decapsulation (including implicit rejection) against
 * the C2SP-verified noble vectors and keygen/encapsulation by round trips with noble.
 */
import type { Kem } from './hybrid.js';
import { mlKemModulusCheck } from './mlkem.js';

/** The part of @oqs/liboqs-js's MLKEM768 instance we use. */
interface OqsMlKem768 {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** Load the WebAssembly ML-KEM-768; rejects when the package or WebAssembly is unavailable. */
export async function loadMlKem768Wasm(): Promise<Kem> {
  const mod = (await import('@oqs/liboqs-js')) as { createMLKEM768: () => Promise<OqsMlKem768> };
  const oqs = await mod.createMLKEM768();
  return {
    publicKeyLen: 1184,
    cipherTextLen: 1088,
    usesCallerRandomness: false,
    keygen: () => oqs.generateKeyPair(),
    encapsulate: (publicKey) => {
      const { ciphertext, sharedSecret } = oqs.encapsulate(publicKey);
      return { cipherText: ciphertext, sharedSecret };
    },
    decapsulate: (cipherText, secretKey) => oqs.decapsulate(cipherText, secretKey),
    checkPublicKey: (publicKey) => mlKemModulusCheck(publicKey, 3),
  };
}
