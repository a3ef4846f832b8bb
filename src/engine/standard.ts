/**
 * The standard dependencies every front end builds its engines with: TLS 1.2 from src/tls12 and a trust store over
 * Node's default anchors (src/system-trust.ts). A frozen value, imported explicitly by whoever builds an engine or
 * a configuration; its trust store reads the anchors on first use, so import order never matters.
 */
import { startClient12, startServer12 } from '../tls12/index.js';
import { systemTrustAnchors } from '../system-trust.js';
import { TrustStore } from '../x509/trust-store.js';
import type { EngineDependencies } from './dependencies.js';

export const STANDARD_DEPENDENCIES: EngineDependencies = Object.freeze({
  tls12: Object.freeze({ client: startClient12, server: startServer12 }),
  trust: new TrustStore(() => systemTrustAnchors()),
});
