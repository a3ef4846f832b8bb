/**
 * node:tls's host check, for the cases the engine leaves to the adapter: a caller's `checkServerIdentity`
 * (node:tls runs it after the chain verified, on a full handshake), and `servername: ''` (no SNI sent, the
 * certificate still checked against `host`).
 */
import { parseCertificate } from '../x509/certificate.js';
import { matchServerName } from '../x509/hostname.js';
import type { NodeClientOptions } from './options.js';
import { altnameError, onlyCnNamesHost, type IdentityError } from './altname.js';
import { peerCertificateOf, type PeerCertificate } from './peer-certificate.js';

export type { IdentityError } from './altname.js';

/** Whether the adapter (not the engine) checks the host for these options. */
export function adapterChecksIdentity(o: NodeClientOptions): boolean {
  return typeof o.checkServerIdentity === 'function' || o.servername === '';
}

/** The name node:tls checks: servername, else host, else 'localhost'. */
export function identityName(o: NodeClientOptions): string {
  return o.servername !== undefined && o.servername !== '' ? o.servername : (o.host ?? 'localhost');
}

/** Our own check (no CN fallback), worded as node:tls's (code ERR_TLS_CERT_ALTNAME_INVALID). */
function defaultCheck(host: string, chain: readonly Uint8Array[]): IdentityError | undefined {
  const leaf = chain[0];
  if (leaf !== undefined && matchServerName(parseCertificate(leaf), host)) return undefined;
  const err = altnameError(host, chain);
  // node:tls would have taken the CN: say why we do not, rather than its 'is not cert's CN' sentence.
  if (onlyCnNamesHost(host, chain)) err.message = `Hostname/IP does not match certificate's altnames: Host: ${host}. is only in the cert's CN, which is not used (RFC 9525 §6.3)`;
  return err;
}

/** The identity error for this handshake, or undefined when the host checks out (or the engine checked it). */
export function identityError(o: NodeClientOptions, chain: readonly Uint8Array[]): IdentityError | undefined {
  if (!adapterChecksIdentity(o)) return undefined;
  const host = identityName(o);
  const fn = o.checkServerIdentity;
  if (typeof fn === 'function') {
    const cert = peerCertificateOf(chain, true);
    try {
      return fn(host, cert as PeerCertificate) ?? undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
  return defaultCheck(host, chain);
}
