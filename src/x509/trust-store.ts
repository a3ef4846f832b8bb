/**
 * A trust store: the default anchors (a function, called once, on first use) and the verifiers built from them or
 * from caller-given anchors, each built once per crypto provider. It belongs to whoever creates it (the front ends
 * share src/engine/standard.ts's); nothing here is filled in by importing another module.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { ChainVerifier } from './chain.js';

export class TrustStore {
  readonly #defaultAnchors: () => readonly Uint8Array[];
  #anchors: readonly Uint8Array[] | undefined;
  readonly #defaults = new WeakMap<CryptoProvider, ChainVerifier>();
  readonly #given = new WeakMap<readonly Uint8Array[], { provider: CryptoProvider; verifier: ChainVerifier }>();

  /** `defaultAnchors` gives the DER anchors used when a configuration names none (e.g. systemTrustAnchors). */
  constructor(defaultAnchors: () => readonly Uint8Array[]) {
    this.#defaultAnchors = defaultAnchors;
  }

  /** The default anchors (DER), read on first use. */
  get anchors(): readonly Uint8Array[] {
    this.#anchors ??= [...this.#defaultAnchors()];
    return this.#anchors;
  }

  /** The verifier for the default anchors and this provider. */
  defaultVerifier(provider: CryptoProvider): ChainVerifier {
    let v = this.#defaults.get(provider);
    if (v === undefined) {
      v = new ChainVerifier({ trustAnchors: this.anchors, provider });
      this.#defaults.set(provider, v);
    }
    return v;
  }

  /** A verifier for caller-given DER anchors; the same array given again (with the same provider) is not parsed again. */
  verifierFor(anchors: readonly Uint8Array[], provider: CryptoProvider): ChainVerifier {
    const hit = this.#given.get(anchors);
    if (hit !== undefined && hit.provider === provider) return hit.verifier;
    const verifier = new ChainVerifier({ trustAnchors: anchors.map((d) => d.slice()), provider });
    this.#given.set(anchors, { provider, verifier });
    return verifier;
  }
}
