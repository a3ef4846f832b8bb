/**
 * IANA code points used by the engine, as `as const` tables (no TS enums: a parsed value stays a number so
 * unknown values survive). `nameOf` is for logs and traces only.
 */

/** TLS record content types (RFC 8446 §5.1). */
export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
} as const;
/** The values of {@link ContentType}. */
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  EndOfEarlyData: 5,
  EncryptedExtensions: 8,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
  CertificateStatus: 22,
  KeyUpdate: 24,
  MessageHash: 254,
} as const;
/** The values of {@link HandshakeType}. */
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

/** Alert descriptions (RFC 8446 §6, RFC 5246 §7.2). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
/** The names of {@link AlertDescription}. */
export type AlertName = keyof typeof AlertDescription;
/** The values of {@link AlertDescription}. */
export type AlertDescription = (typeof AlertDescription)[AlertName];

/** Alert levels. */
export const AlertLevel = { Warning: 1, Fatal: 2 } as const;

/** Extension types (RFC 8446 §4.2 and the extension RFCs). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;
/** The values of {@link ExtensionType}. */
export type ExtensionType = (typeof ExtensionType)[keyof typeof ExtensionType];

/** Named groups (RFC 8446 §4.2.7; hybrid groups from draft-ietf-tls-ecdhe-mlkem). */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;
/** The values of {@link NamedGroup}. */
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];

/** Signature schemes (RFC 8446 §4.2.3). */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;
/** The values of {@link SignatureScheme}. */
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

/** The hash function of each signature scheme: null for the EdDSA schemes, which hash inside the algorithm. */
const SCHEME_HASH: ReadonlyMap<number, 'sha1' | 'sha256' | 'sha384' | 'sha512' | null> = new Map([
  [SignatureScheme.rsa_pkcs1_sha1, 'sha1'],
  [SignatureScheme.ecdsa_sha1, 'sha1'],
  [SignatureScheme.rsa_pkcs1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'],
  [SignatureScheme.rsa_pss_rsae_sha256, 'sha256'],
  [SignatureScheme.rsa_pss_pss_sha256, 'sha256'],
  [SignatureScheme.rsa_pkcs1_sha384, 'sha384'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_rsae_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_pss_sha384, 'sha384'],
  [SignatureScheme.rsa_pkcs1_sha512, 'sha512'],
  [SignatureScheme.ecdsa_secp521r1_sha512, 'sha512'],
  [SignatureScheme.rsa_pss_rsae_sha512, 'sha512'],
  [SignatureScheme.rsa_pss_pss_sha512, 'sha512'],
  [SignatureScheme.ed25519, null],
  [SignatureScheme.ed448, null],
]);

/** The hash of a signature scheme; null for EdDSA (no separate hash); undefined for a scheme we do not know. */
export function signatureSchemeHash(scheme: number | undefined): 'sha1' | 'sha256' | 'sha384' | 'sha512' | null | undefined {
  return scheme === undefined ? undefined : SCHEME_HASH.get(scheme);
}

/** Signature algorithm OIDs whose hash RFC 5929 §4.1 replaces by SHA-256 (MD5 and SHA-1 signatures). */
const WEAK_HASH_SIGNATURE_OIDS: ReadonlySet<string> = new Set([
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
]);

/**
 * The hash of tls-server-end-point (RFC 5929 §4.1) for a certificate signed with `signatureAlgorithmOid` /
 * `scheme`: SHA-256 for MD5 and SHA-1 signatures, the signature's own hash otherwise. EdDSA signs without a separate
 * hash, which RFC 5929 leaves undefined; for Ed25519 we use SHA-512, as OpenSSL 3 (X509_digest_sig) and GnuTLS (the
 * hash it pairs with Ed25519) do, so the binding equals an OpenSSL or GnuTLS peer's. Ed448 (SHAKE256 in OpenSSL)
 * and unknown schemes: undefined (no binding). One rule for the idiomatic API and SSPI.
 */
export function endPointHashOf(signatureAlgorithmOid: string, scheme: number | undefined): 'sha256' | 'sha384' | 'sha512' | undefined {
  if (WEAK_HASH_SIGNATURE_OIDS.has(signatureAlgorithmOid)) return 'sha256';
  if (scheme === SignatureScheme.ed25519) return 'sha512';
  const h = signatureSchemeHash(scheme);
  return h === null || h === undefined || h === 'sha1' ? undefined : h;
}

/** Cipher suites we implement (TLS 1.3: RFC 8446 B.4; TLS 1.2: RFC 5289, 7905). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_FALLBACK_SCSV: 0x5600,
} as const;
/** The values of {@link CipherSuite}. */
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

/** Protocol versions. */
export const ProtocolVersion = {
  SSL3: 0x0300,
  TLS10: 0x0301,
  TLS11: 0x0302,
  TLS12: 0x0303,
  TLS13: 0x0304,
} as const;
/** The values of {@link ProtocolVersion}. */
export type ProtocolVersion = (typeof ProtocolVersion)[keyof typeof ProtocolVersion];

const names = new WeakMap<Readonly<Record<string, number>>, Map<number, string>>();

/** The name of `value` in `table` (its first, for a value with several), or a hex fallback: for logs and info. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  let byValue = names.get(table);
  if (byValue === undefined) {
    byValue = new Map();
    for (const [k, v] of Object.entries(table)) if (!byValue.has(v)) byValue.set(v, k);
    names.set(table, byValue);
  }
  return byValue.get(value) ?? `0x${value.toString(16).padStart(4, '0')}`;
}

/** GREASE values (RFC 8701): 0x0A0A, 0x1A1A, … 0xFAFA. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && (value >> 8) === (value & 0xff);
}
