/**
 * The standard dependencies every front end builds its engines with: TLS 1.2 from src/tls12, a trust store over
 * Node's default anchors (src/system-trust.ts) and the node:crypto provider. A frozen value, imported explicitly by whoever builds an engine or
 * a configuration; its trust store reads the anchors on first use, so import order never matters.
 */
import { startClient12, startServer12 } from '../tls12/index.js';
import { systemTrustAnchors } from '../system-trust.js';
import { TrustStore } from '../x509/trust-store.js';
import type { EngineDependencies } from './dependencies.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';

export const STANDARD_DEPENDENCIES: EngineDependencies = Object.freeze({
  tls12: Object.freeze({ client: startClient12, server: startServer12 }),
  trust: new TrustStore(() => systemTrustAnchors()),
  /** node:crypto with system randomness and clock (made on first use). */
  get provider(): CryptoProvider {
    return getDefaultProvider();
  },
});
