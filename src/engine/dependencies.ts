/**
 * What an engine is built from besides its configuration: the TLS 1.2 state machines (the TLS 1.3 ones are the
 * engine's own) and the trust store used when a configuration names no `ca`. Whoever builds an engine passes them
 * in (the front ends pass src/engine/standard.ts's); no module fills them in by being imported.
 */
import type { Tls12ClientFactory, Tls12ServerFactory } from '../tls13/machine.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { TrustStore } from '../x509/trust-store.js';

/** The TLS 1.2 machine factories, called when TLS 1.2 is negotiated. */
export interface Tls12Machines {
  readonly client: Tls12ClientFactory;
  readonly server: Tls12ServerFactory;
}

/** An engine's dependencies. */
export interface EngineDependencies {
  /** TLS 1.2, or undefined for an engine that speaks TLS 1.3 only. */
  readonly tls12: Tls12Machines | undefined;
  /** Default trust anchors (and the verifiers built from them) for configurations without `ca`. */
  readonly trust: TrustStore;
  /** The crypto provider of configurations that name none (`provider` option). */
  readonly provider: CryptoProvider;
}
