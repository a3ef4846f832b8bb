/**
 * A TLS 1.3 suite as DTLS 1.3 runs it: the same AEAD and hash, with the key schedule's HKDF labels prefixed "dtls13"
 * instead of "tls13 " (RFC 9147 §5.9). The TLS 1.3 key schedule reads the prefix from the suite, so the handshake
 * machine derives DTLS 1.3 secrets from such a copy without knowing it runs over datagrams. The copy is made in
 * src/crypto/suites.ts (the TLS 1.3 machines make it too, under a datagram context).
 */
export { dtls13Suite } from '../../crypto/suites.js';
