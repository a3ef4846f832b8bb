/**
 * node:tls's checkServerIdentity wording (ERR_TLS_CERT_ALTNAME_INVALID) for a host name our verifier refused: the
 * IP list, the DNS altnames, or, for a certificate without DNS names, its CN. Only the wording: whether a name
 * matches is our own rule (RFC 9525: subjectAltName only, no CN fallback).
 */
import { isIP } from 'node:net';
import { peerCertificateOf, type PeerCertificate } from './peer-certificate.js';

/** An error as node:tls's checkServerIdentity makes it. */
export type IdentityError = Error & { code?: string; reason?: string; host?: string; cert?: PeerCertificate };

/**
 * node:tls's checkServerIdentity wording for `host` against a certificate: the IP list, the DNS altnames, or (a
 * certificate without DNS names) its CN, as node:tls words each case. Only the wording: whether the name matches
 * is our own rule (no CN fallback).
 */
export function altnameReason(host: string, cert: PeerCertificate | Record<string, never>): string {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const san = 'subjectaltname' in cert ? (cert.subjectaltname ?? '') : '';
  const entries = san === '' ? [] : san.split(', ');
  if (isIP(name) !== 0) {
    const ips = entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice('IP Address:'.length));
    return `IP: ${name} is not in the cert's list: ${ips.join(', ')}`;
  }
  if (entries.some((e) => e.startsWith('DNS:'))) return `Host: ${name}. is not in the cert's altnames: ${san}`;
  const cn = 'subject' in cert ? cert.subject['CN'] : undefined;
  if (cn !== undefined) return `Host: ${name}. is not cert's CN: ${Array.isArray(cn) ? cn.join(',') : cn}`;
  return 'Cert does not contain a DNS name';
}

/** An ERR_TLS_CERT_ALTNAME_INVALID error as node:tls's checkServerIdentity makes it, for `host` and `chain`'s leaf. */
export function altnameError(host: string, chain: readonly Uint8Array[]): IdentityError {
  const cert = peerCertificateOf(chain, false);
  const reason = altnameReason(host, cert);
  const err: IdentityError = new Error(`Hostname/IP does not match certificate's altnames: ${reason}`);
  err.code = 'ERR_TLS_CERT_ALTNAME_INVALID';
  err.reason = reason;
  err.host = host;
  if ('raw' in cert) err.cert = cert as PeerCertificate;
  return err;
}

/**
 * Whether node:tls would have accepted `host` by the certificate's CN (a certificate with no DNS altname whose CN
 * names the host, a leftmost `*` standing for one label): the case where we refuse only because we do not fall
 * back to the CN, which node:tls's sentence ('… is not cert's CN: host') would misstate.
 */
export function onlyCnNamesHost(host: string, chain: readonly Uint8Array[]): boolean {
  const cert = peerCertificateOf(chain, false);
  const san = 'subjectaltname' in cert ? (cert.subjectaltname ?? '') : '';
  if (san.split(', ').some((e) => e.startsWith('DNS:')) || !('subject' in cert)) return false;
  const cn = cert.subject['CN'];
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  const matches = (pattern: string): boolean => {
    const p = pattern.toLowerCase();
    if (p === name) return true;
    if (!p.startsWith('*.')) return false;
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot) === p.slice(1);
  };
  return cn !== undefined && (Array.isArray(cn) ? cn : [cn]).some(matches);
}
