/**
 * ML-KEM-768 (FIPS 203) from liboqs compiled to WebAssembly (@oqs/liboqs-js, the Open Quantum Safe project's
 * JavaScript bindings), adapted to the Kem interface of crypto/hybrid.ts. About five times faster than the
 * pure-JavaScript @noble/post-quantum (docs/performance.md has the figures), so a server answering Chromium's
 * X25519MLKEM768 share pays tens of microseconds instead of hundreds.
 *
 * Loading it is asynchronous (WebAssembly instantiation), so nothing loads it behind the caller's back: call
 * `loadMlKem768Wasm()` once and pass the result to `new NodeCryptoProvider({ mlkem })`. The CLI does.
 *
 * The calls go to the package's Emscripten module (`dist/ml-kem-768.min.js`, the one its MLKEM768 class wraps) and
 * to the same liboqs functions (OQS_KEM_keypair / _encaps / _decaps) the class calls, but through one scratch area
 * in WebAssembly memory allocated at load instead of three malloc/free pairs, argument validation and two result
 * arrays per call (docs/performance.md, issue 18 round 3: about 15 % of an encapsulation's instructions). Secret
 * bytes (decapsulation key, shared secret) are zeroed in the scratch area as soon as they are copied out.
 *
 * liboqs draws keygen and encapsulation randomness from its own CSPRNG (WebCrypto's getRandomValues, i.e. Node's
 * OpenSSL), not from the provider: `usesCallerRandomness` is false, and a seeded provider for reproducible
 * handshakes keeps the noble backend. The FIPS 203 §7.2 encapsulation-key check is ours, whatever the backend.
 * Known answers: test/unit/crypto/mlkem-wasm.test.ts checks decapsulation (including implicit rejection) against
 * the C2SP-verified noble vectors and keygen/encapsulation by round trips with noble.
 */
import type { Kem } from './hybrid.js';
import { mlKemModulusCheck } from './mlkem.js';

/** The part of the Emscripten module of liboqs's ML-KEM-768 build that we call. */
interface OqsModule {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _OQS_init(): void;
  _OQS_KEM_new(namePtr: number): number;
  _OQS_KEM_keypair(kem: number, publicKey: number, secretKey: number): number;
  _OQS_KEM_encaps(kem: number, cipherText: number, sharedSecret: number, publicKey: number): number;
  _OQS_KEM_decaps(kem: number, sharedSecret: number, cipherText: number, secretKey: number): number;
}

const PK = 1184;
const SK = 2400;
const CT = 1088;
const SS = 32;
/** liboqs's algorithm name, NUL-terminated. */
const NAME = new TextEncoder().encode('ML-KEM-768\0');

/** Where @oqs/liboqs-js keeps its ML-KEM-768 Emscripten module (beside src/, which the package's entry is in). */
function moduleUrl(): string {
  return new URL('../dist/ml-kem-768.min.js', import.meta.resolve('@oqs/liboqs-js')).href;
}

/** Load the WebAssembly ML-KEM-768; rejects when the package or WebAssembly is unavailable. */
export async function loadMlKem768Wasm(): Promise<Kem> {
  const factory = ((await import(moduleUrl())) as { default: () => Promise<OqsModule> }).default;
  const m = await factory();
  m._OQS_init();
  // One allocation for the life of the module: the algorithm name, then the scratch area of every call.
  const base = m._malloc(NAME.length + PK + SK + CT + SS);
  if (base === 0) throw new Error('ML-KEM-768 (WebAssembly): out of memory');
  m.HEAPU8.set(NAME, base);
  const kem = m._OQS_KEM_new(base);
  if (kem === 0) throw new Error('ML-KEM-768 (WebAssembly): liboqs has no ML-KEM-768');
  const pk = base + NAME.length;
  const sk = pk + PK;
  const ct = sk + SK;
  const ss = ct + CT;
  const fail = (what: string, rc: number): Error => new Error(`ML-KEM-768 (WebAssembly): ${what} failed (${rc})`);
  /** Copy [at, at + len) out of WebAssembly memory and zero [wipeFrom, at + len) there: no secret stays behind. */
  const takeWiped = (at: number, len: number, wipeFrom = at): Uint8Array => {
    const heap = m.HEAPU8; // read after the call: a memory growth replaces the view
    const out = heap.slice(at, at + len);
    heap.fill(0, wipeFrom, at + len);
    return out;
  };
  const keygenInto = (_seed: Uint8Array, out: Uint8Array): Uint8Array => {
    const rc = m._OQS_KEM_keypair(kem, pk, sk);
    const secretKey = takeWiped(sk, SK);
    if (rc !== 0) throw fail('keypair', rc);
    out.set(m.HEAPU8.subarray(pk, pk + PK), 0);
    return secretKey;
  };
  const encapsulateInto = (publicKey: Uint8Array, _msg: Uint8Array, out: Uint8Array): Uint8Array => {
    if (publicKey.length !== PK) throw new RangeError('ML-KEM-768 encapsulation key must be 1184 bytes');
    m.HEAPU8.set(publicKey, pk);
    const rc = m._OQS_KEM_encaps(kem, ct, ss, pk);
    const sharedSecret = takeWiped(ss, SS);
    if (rc !== 0) throw fail('encapsulation', rc);
    out.set(m.HEAPU8.subarray(ct, ct + CT), 0);
    return sharedSecret;
  };
  return {
    publicKeyLen: PK,
    cipherTextLen: CT,
    usesCallerRandomness: false,
    keygenInto,
    keygen: (seed) => {
      const publicKey = new Uint8Array(PK);
      return { secretKey: keygenInto(seed, publicKey), publicKey };
    },
    encapsulateInto,
    encapsulate: (publicKey, msg) => {
      const cipherText = new Uint8Array(CT);
      return { sharedSecret: encapsulateInto(publicKey, msg, cipherText), cipherText };
    },
    decapsulate: (cipherText, secretKey) => {
      if (cipherText.length !== CT || secretKey.length !== SK) throw new RangeError('ML-KEM-768 ciphertext must be 1088 bytes and the key 2400');
      const heap = m.HEAPU8;
      heap.set(cipherText, ct);
      heap.set(secretKey, sk);
      const rc = m._OQS_KEM_decaps(kem, ss, ct, sk);
      // The shared secret out; the decapsulation key, ciphertext and secret (sk … ss + SS) zeroed.
      const sharedSecret = takeWiped(ss, SS, sk);
      if (rc !== 0) throw fail('decapsulation', rc);
      return sharedSecret;
    },
    checkPublicKey: (publicKey) => mlKemModulusCheck(publicKey, 3),
  };
}
