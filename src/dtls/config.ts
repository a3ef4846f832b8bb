/**
 * Configurations for DTLS 1.2: the TLS options, prepared as for TLS (src/engine/config.ts) and narrowed to what
 * DTLS 1.2 runs: TLS 1.2's AEAD suites (RFC 6347 §4.1.2.5 forbids RC4; we have AEAD suites only) and ECDHE groups.
 */
import { prepareClientConfig, prepareServerConfig } from '../engine/config.js';
import type { EngineDependencies } from '../engine/dependencies.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import { ECDHE_GROUPS } from '../tls12/index.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';
import type { ClientOptions, ServerOptions } from '../vocabulary/options.js';

/** Prepare a server configuration for DTLS 1.2. */
export function prepareDtlsServerConfig(o: ServerOptions, deps: EngineDependencies = STANDARD_DEPENDENCIES): PreparedServerConfig {
  const c = prepareServerConfig({ ...o, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, deps);
  return { ...c, suites: c.suites.filter((s) => s.version === 'TLSv1.2'), groups: c.groups.filter((g) => ECDHE_GROUPS.includes(g)) };
}

/** Prepare a client configuration for DTLS 1.2. */
export function prepareDtlsClientConfig(o: ClientOptions, deps: EngineDependencies = STANDARD_DEPENDENCIES): PreparedClientConfig {
  const c = prepareClientConfig({ ...o, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, deps);
  // DTLS 1.2 has no hybrid group (X25519MLKEM768 is a TLS 1.3 key share): offer the ECDHE groups only.
  const groups = c.groups.filter((g) => ECDHE_GROUPS.includes(g));
  return { ...c, suites: c.suites.filter((s) => s.version === 'TLSv1.2'), groups, keyShareGroups: [] };
}
