/**
 * node:tls's OCSP stapling events. Server: 'OCSPRequest' (certificate, issuer, callback(err, response)) when a
 * ClientHello carries status_request (RFC 6066 §8) — asked at the engine's Accepted point, before the server's
 * flight, so the response given is stapled in this handshake: CertificateStatus in TLS 1.2, the leaf
 * CertificateEntry's status_request extension in TLS 1.3 (RFC 8446 §4.4.2.1). Client: 'OCSPResponse' (the staple,
 * or null) with `requestOCSP`, once the server's certificate flight was processed and before our Finished leaves.
 */
import { nodeX509Certificate } from '../crypto/node-provider.js';
import type { PreparedServerConfig } from '../vocabulary/config.js';
import type { ClientHello } from '../wire/client-hello.js';
import { ExtensionType } from '../wire/registry.js';
import { pemToDer } from '../x509/pem.js';
import type { PemOrDer } from './options.js';

/** The program's OCSPRequest handling: `callback(err)` fails the handshake, `callback(null, response)` staples. */
export type OcspRequestHook = (certificate: Buffer, issuer: Buffer | null, callback: (err: Error | null, response?: Uint8Array | null) => void) => void;

/** Whether the ClientHello asks for certificate status (status_request, RFC 6066 §8). */
export function offersStatusRequest(hello: ClientHello): boolean {
  return hello.extensions.some((e) => e.type === ExtensionType.status_request);
}

/** The DER certificates of a node:tls `ca` option (PEM text or bundles, DER). */
function certificatesOf(ca: PemOrDer | readonly PemOrDer[] | undefined): Uint8Array[] {
  if (ca === undefined) return [];
  const items: readonly PemOrDer[] = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  const out: Uint8Array[] = [];
  for (const it of items) {
    const text = typeof it === 'string' ? it : Buffer.from(it).toString('latin1');
    if (text.includes('-----BEGIN')) out.push(...pemToDer(text));
    else if (it instanceof Uint8Array) out.push(it);
  }
  return out;
}

/**
 * The issuer of `chain[0]`, as node:tls finds it: the next certificate of the chain sent, else one of the `ca`
 * certificates that issued it (name and signature); null when none did.
 */
export function issuerOf(chain: readonly Uint8Array[], ca: PemOrDer | readonly PemOrDer[] | undefined): Buffer | null {
  const leafDer = chain[0];
  if (leafDer === undefined) return null;
  const leaf = nodeX509Certificate(leafDer);
  for (const der of [...chain.slice(1), ...certificatesOf(ca)]) {
    try {
      const candidate = nodeX509Certificate(der);
      if (leaf.checkIssued(candidate) && leaf.verify(candidate.publicKey)) return Buffer.from(der);
    } catch {
      // not a certificate we can read: not the issuer
    }
  }
  return null;
}

/** The certificate a handshake under `config` is expected to send for `serverName` (SNI choice, else the first). */
export function certificateIndexFor(config: PreparedServerConfig, serverName: string | null): number {
  const i = serverName === null ? undefined : config.sniCallback?.(serverName);
  return i !== undefined && i >= 0 && i < config.certificates.length ? i : 0;
}

/** `config` with `response` stapled to certificate `index` (and no staple: null). */
export function withStaple(config: PreparedServerConfig, index: number, response: Uint8Array | null): PreparedServerConfig {
  const certificates = config.certificates.map((c, i) => (i === index ? { ...c, ocspResponse: response === null || response.length === 0 ? undefined : new Uint8Array(response) } : c));
  return { ...config, certificates };
}
