/** The cipher-suite table: id, version, AEAD, hash, key and IV lengths. */
import type { AeadAlg, HashAlg } from './provider.js';
import { CipherSuite } from '../wire/registry.js';

/** A cipher suite we implement. */
export interface SuiteInfo {
  readonly id: number;
  readonly name: string;
  readonly version: 'TLSv1.3' | 'TLSv1.2';
  readonly aead: AeadAlg;
  readonly hash: HashAlg;
  readonly hashLen: number;
  readonly keyLen: number;
  /** TLS 1.3: the per-record IV; TLS 1.2: the implicit part (4 for GCM, 12 for ChaCha20-Poly1305). */
  readonly ivLen: number;
  /** TLS 1.2 only: explicit nonce bytes carried in each record (8 for GCM, 0 for ChaCha20-Poly1305). */
  readonly explicitNonceLen: number;
  /** TLS 1.2 only: the certificate key family ('ecdsa' or 'rsa'). */
  readonly auth?: 'ecdsa' | 'rsa';
  /** Bits of security, for SSPI CIPHER_INFO / CONNECTION_INFO. */
  readonly strength: number;
  /**
   * TLS 1.3 suites only: the HKDF-Expand-Label prefix, "tls13 " when absent (RFC 8446 §7.1); DTLS 1.3 runs the same
   * key schedule with "dtls13" (RFC 9147 §5.9), carried by a copy of the suite (src/dtls/v13/suite.ts).
   */
  readonly labelPrefix?: LabelPrefix;
}

/**
 * The DTLS 1.3 copy of a TLS 1.3 suite: the same suite with the key schedule's labels prefixed "dtls13" (RFC 9147
 * §5.9). One object per suite, so identity comparisons between copies hold.
 */
export function dtls13Suite(suite: SuiteInfo): SuiteInfo {
  if (suite.version !== 'TLSv1.3') throw new RangeError(`${suite.name} is not a TLS 1.3 suite`);
  if (suite.labelPrefix === 'dtls13') return suite;
  const c = DTLS13_COPIES.get(suite.id);
  if (c === undefined) throw new RangeError(`${suite.name} is not in the suite table`);
  return c;
}

/** The HKDF-Expand-Label prefixes: TLS 1.3's and DTLS 1.3's (both six bytes). */
export type LabelPrefix = 'tls13 ' | 'dtls13';

const S = CipherSuite;

/** Every suite we implement, in our default preference order (AES-GCM first: hardware-accelerated here). */
export const SUITES: readonly SuiteInfo[] = [
  { id: S.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3', aead: 'aes-128-gcm', hash: 'sha256', hashLen: 32, keyLen: 16, ivLen: 12, explicitNonceLen: 0, strength: 128 },
  { id: S.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3', aead: 'aes-256-gcm', hash: 'sha384', hashLen: 48, keyLen: 32, ivLen: 12, explicitNonceLen: 0, strength: 256 },
  { id: S.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256', version: 'TLSv1.3', aead: 'chacha20-poly1305', hash: 'sha256', hashLen: 32, keyLen: 32, ivLen: 12, explicitNonceLen: 0, strength: 256 },
  { id: S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2', aead: 'aes-128-gcm', hash: 'sha256', hashLen: 32, keyLen: 16, ivLen: 4, explicitNonceLen: 8, auth: 'ecdsa', strength: 128 },
  { id: S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2', aead: 'aes-128-gcm', hash: 'sha256', hashLen: 32, keyLen: 16, ivLen: 4, explicitNonceLen: 8, auth: 'rsa', strength: 128 },
  { id: S.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', version: 'TLSv1.2', aead: 'aes-256-gcm', hash: 'sha384', hashLen: 48, keyLen: 32, ivLen: 4, explicitNonceLen: 8, auth: 'ecdsa', strength: 256 },
  { id: S.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', version: 'TLSv1.2', aead: 'aes-256-gcm', hash: 'sha384', hashLen: 48, keyLen: 32, ivLen: 4, explicitNonceLen: 8, auth: 'rsa', strength: 256 },
  { id: S.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', version: 'TLSv1.2', aead: 'chacha20-poly1305', hash: 'sha256', hashLen: 32, keyLen: 32, ivLen: 12, explicitNonceLen: 0, auth: 'ecdsa', strength: 256 },
  { id: S.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', version: 'TLSv1.2', aead: 'chacha20-poly1305', hash: 'sha256', hashLen: 32, keyLen: 32, ivLen: 12, explicitNonceLen: 0, auth: 'rsa', strength: 256 },
];

const BY_ID: ReadonlyMap<number, SuiteInfo> = new Map(SUITES.map((s) => [s.id, s]));

/** The DTLS 1.3 copies, made once from the table (a constant: identity comparisons between copies hold). */
const DTLS13_COPIES: ReadonlyMap<number, SuiteInfo> = new Map(
  SUITES.filter((s) => s.version === 'TLSv1.3').map((s) => [s.id, { ...s, labelPrefix: 'dtls13' as const }]),
);

/** The suite for an id, or undefined if we do not implement it. */
export function suiteById(id: number): SuiteInfo | undefined {
  return BY_ID.get(id);
}

/** Suite id for an IANA name (node:tls-style `ciphers` strings), or undefined. */
export function suiteByName(name: string): SuiteInfo | undefined {
  return SUITES.find((s) => s.name === name);
}
