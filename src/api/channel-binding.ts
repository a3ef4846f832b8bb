/**
 * Channel bindings (RFC 5929) of a TLS connection, for SASL *-PLUS mechanisms (SCRAM-SHA-256-PLUS in
 * PostgreSQL, LDAP, XMPP) and other protocols that tie an inner authentication to the TLS channel.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { configError } from '../errors.js';
import { endPointHashOf } from '../wire/registry.js';
import { parseCertificate } from '../x509/certificate.js';

/** Channel binding types a TlsConnection can give. */
export type ChannelBindingType = 'tls-server-end-point';

/**
 * tls-server-end-point (RFC 5929 §4.1): the hash of the server's certificate (DER) by endPointHashOf
 * (src/wire/registry.ts: SHA-512 for Ed25519, as OpenSSL 3 and GnuTLS).
 * Throws a config error for a certificate whose signature gives no hash (Ed448, unknown algorithms).
 */
export function tlsServerEndPoint(provider: CryptoProvider, serverCertificate: Uint8Array): Uint8Array {
  const cert = parseCertificate(serverCertificate, provider);
  const hash = endPointHashOf(cert.signatureAlgorithmOid, cert.signatureAlgorithm);
  if (hash === undefined) {
    throw configError(`tls-server-end-point is undefined for a certificate signed with ${cert.signatureAlgorithmOid} (RFC 5929 §4.1)`);
  }
  return provider.hash(hash, serverCertificate);
}
