/**
 * The trust anchors the Node runtime supplies, the ones node:tls uses when no `ca` is given: its bundled root store
 * (`tls.rootCertificates`) plus the PEM file named by NODE_EXTRA_CA_CERTS. The only module that reads either.
 * A pure function: whoever builds a TrustStore (src/x509/trust-store.ts) decides when to call it.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { pemToDer } from './x509/pem.js';

/**
 * Node's default anchors as DER certificates. NODE_EXTRA_CA_CERTS is read as node:tls reads it: a PEM file whose
 * certificates are added to the bundled ones; a file that cannot be read or decoded adds nothing.
 */
export function systemTrustAnchors(env: Readonly<Record<string, string | undefined>> = process.env): Uint8Array[] {
  const anchors = rootCertificates.flatMap((pem) => pemToDer(pem));
  const extra = env['NODE_EXTRA_CA_CERTS'];
  if (extra !== undefined && extra !== '') {
    try {
      anchors.push(...pemToDer(readFileSync(extra, 'latin1')));
    } catch {
      // Unreadable or not PEM: node:tls warns and goes on with the bundled roots; so do we.
    }
  }
  return anchors;
}
