/**
 * A deterministic CryptoProvider for tests (DESIGN C.7): node:crypto primitives with a seeded random source and a
 * fixed clock (Go's zeroSource / time.Unix(0, 0)). Two providers built with the same seed and clock reproduce a
 * handshake byte for byte, as long as every signature is deterministic (Ed25519; RSA-PSS and ECDSA are randomised
 * inside OpenSSL).
 *
 * Randomness: SHA-256 in counter mode over the seed. `script(...chunks)` queues exact values served first, one
 * chunk per randomBytes() call (each chunk must have the requested length): that is how RFC 8448's client random
 * and ephemeral private keys are injected.
 *
 * `nullCipher: true` replaces every AEAD by an identity "cipher" whose tag is 16 zero bytes (rustls's
 * fuzzing provider): both ends must use it; it lets mutation tests reach the parsers behind record protection.
 */
import { createHash } from 'node:crypto';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { Aead, AeadAlg, SealedParts } from '../../src/crypto/provider.js';

/** SHA-256 counter-mode byte stream from a seed, plus a queue of scripted values. */
export class SeededRandom {
  readonly #seed: Uint8Array;
  #counter = 0;
  #pool: Uint8Array = new Uint8Array(0);
  #script: Uint8Array[] = [];
  /** Number of randomBytes() calls served so far (scripted or not). */
  calls = 0;

  constructor(seed: string | Uint8Array) {
    this.#seed = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed.slice();
  }

  /** Restart the stream from the seed and drop any scripted values. */
  reset(): void {
    this.#counter = 0;
    this.#pool = new Uint8Array(0);
    this.#script = [];
    this.calls = 0;
  }

  /** Queue exact values for the next randomBytes() calls, in order. */
  script(...chunks: readonly Uint8Array[]): void {
    for (const c of chunks) this.#script.push(c.slice());
  }

  /** Scripted values not yet consumed. */
  get pendingScript(): number {
    return this.#script.length;
  }

  next(n: number): Uint8Array {
    this.calls++;
    const s = this.#script.shift();
    if (s !== undefined) {
      if (s.length !== n) throw new Error(`SeededRandom: scripted value of ${s.length} bytes, but ${n} were asked for`);
      return s.slice();
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      if (this.#pool.length === 0) {
        const ctr = new Uint8Array(4);
        new DataView(ctr.buffer).setUint32(0, this.#counter++);
        this.#pool = new Uint8Array(createHash('sha256').update(this.#seed).update(ctr).digest());
      }
      const take = Math.min(n - at, this.#pool.length);
      out.set(this.#pool.subarray(0, take), at);
      this.#pool = this.#pool.subarray(take);
      at += take;
    }
    return out;
  }
}

/** The AEAD of `nullCipher` providers: ciphertext = plaintext, tag = 16 zero bytes. */
class NullAead implements Aead {
  readonly tagLen = 16;
  seal(_nonce: Uint8Array, _aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + 16);
    out.set(plaintext, 0);
    return out;
  }
  sealInto(_nonce: Uint8Array, _aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    out.set(plaintext, offset);
    const n = plaintext.length;
    out.fill(0, offset + n, offset + n + 16);
    return n + 16;
  }
  sealParts(_nonce: Uint8Array, _aad: Uint8Array, plaintext: Uint8Array): SealedParts {
    return { ciphertext: plaintext.slice(), tag: new Uint8Array(16) };
  }
  sealRecord(_nonce: Uint8Array, _aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(prefix.length + plaintext.length + 16);
    out.set(prefix, 0);
    out.set(plaintext, prefix.length);
    return out;
  }
  open(_nonce: Uint8Array, _aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < 16) return null;
    const n = sealed.length - 16;
    for (let i = n; i < sealed.length; i++) if (sealed[i] !== 0) return null;
    return sealed.slice(0, n);
  }
}

/** A fixed, arbitrary instant (2025-06-01T00:00:00Z) for tests that check no certificate validity. */
export const FIXED_NOW = Date.UTC(2025, 5, 1);

export interface DeterministicOptions {
  readonly seed?: string | Uint8Array;
  /** Milliseconds since the epoch returned by now() (default FIXED_NOW); change it later with `setNow`. */
  readonly now?: number;
  readonly nullCipher?: boolean;
}

/** NodeCryptoProvider with seeded randomness, a fixed clock and optionally the null cipher. */
export class DeterministicProvider extends NodeCryptoProvider {
  readonly rng: SeededRandom;
  readonly nullCipher: boolean;
  readonly #clock: { now: number };

  constructor(opts: DeterministicOptions = {}) {
    const rng = new SeededRandom(opts.seed ?? 'sspi-tls deterministic provider');
    const clock = { now: opts.now ?? FIXED_NOW };
    super({ randomBytes: (n) => rng.next(n), now: () => clock.now });
    this.rng = rng;
    this.#clock = clock;
    this.nullCipher = opts.nullCipher ?? false;
  }

  setNow(ms: number): void {
    this.#clock.now = ms;
  }

  override aead(alg: AeadAlg, key: Uint8Array): Aead {
    return this.nullCipher ? new NullAead() : super.aead(alg, key);
  }
}
