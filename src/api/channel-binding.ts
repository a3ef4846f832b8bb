/**
 * Channel bindings (RFC 5929) of a TLS connection, for SASL *-PLUS mechanisms (SCRAM-SHA-256-PLUS in
 * PostgreSQL, LDAP, XMPP) and other protocols that tie an inner authentication to the TLS channel.
 */
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { configError } from '../errors.js';
import { signatureSchemeHash } from '../wire/registry.js';
import { parseCertificate } from '../x509/certificate.js';

/** Channel binding types a TlsConnection can give. */
export type ChannelBindingType = 'tls-server-end-point';

/** Signature algorithm OIDs whose hash RFC 5929 §4.1 replaces by SHA-256 (MD5 and SHA-1 signatures). */
const WEAK_HASH_SIGNATURE_OIDS: ReadonlySet<string> = new Set([
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
]);

/** The scheme's hash for RFC 5929: none for EdDSA, unknown schemes or SHA-1 (weak OIDs are mapped before). */
function hashOfScheme(scheme: number | undefined): HashAlg | undefined {
  const h = signatureSchemeHash(scheme);
  return h === null || h === undefined || h === 'sha1' ? undefined : h;
}

/**
 * tls-server-end-point (RFC 5929 §4.1): the hash of the server's certificate (DER) with the hash function of its
 * signature algorithm, SHA-256 where that is MD5 or SHA-1. Throws a config error for a certificate whose signature
 * has no single hash function (Ed25519, Ed448): RFC 5929 leaves it undefined.
 */
export function tlsServerEndPoint(provider: CryptoProvider, serverCertificate: Uint8Array): Uint8Array {
  const cert = parseCertificate(serverCertificate, provider);
  const hash = WEAK_HASH_SIGNATURE_OIDS.has(cert.signatureAlgorithmOid) ? 'sha256' : hashOfScheme(cert.signatureAlgorithm);
  if (hash === undefined) {
    throw configError(`tls-server-end-point is undefined for a certificate signed with ${cert.signatureAlgorithmOid} (RFC 5929 §4.1)`);
  }
  return provider.hash(hash, serverCertificate);
}
