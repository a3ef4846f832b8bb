/**
 * Signature checks through the CryptoProvider: an X.509 signature algorithm has already been mapped to the TLS
 * SignatureScheme that computes the same thing (certificate.ts), so verification is one `VerifyingKey.verify`.
 */
import type { BadCertificateReason } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/registry.js';
import type { PublicKeyAlgorithm } from './certificate.js';

/** Default minimum RSA modulus size (NIST SP 800-131A; what browsers and rustls-webpki require). */
export const DEFAULT_MIN_RSA_BITS = 2048;

/** A failed check: the reason and a public detail. */
export interface Failure {
  readonly reason: BadCertificateReason;
  readonly detail: string;
}

/** The key the signature is checked against: an SPKI and what we parsed from it. */
export interface SignerKey {
  readonly spki: Uint8Array;
  readonly publicKeyAlgorithm: PublicKeyAlgorithm;
  readonly publicKeyBits: number;
}

/** Whether a signer key is acceptable at all (known algorithm, RSA big enough); a Failure if not. */
export function checkKey(key: SignerKey, minRsaBits: number, who: string): Failure | undefined {
  if (key.publicKeyAlgorithm === 'unknown') return { reason: 'UnsupportedKey', detail: `${who}: unsupported public key algorithm` };
  if ((key.publicKeyAlgorithm === 'rsa' || key.publicKeyAlgorithm === 'rsa-pss') && key.publicKeyBits < minRsaBits) {
    return { reason: 'UnsupportedKey', detail: `${who}: RSA key of ${key.publicKeyBits} bits is below ${minRsaBits}` };
  }
  return undefined;
}

/** The scheme to verify with for this key, or undefined when the algorithm does not fit the key. */
function schemeForKey(scheme: number, alg: PublicKeyAlgorithm): number | undefined {
  switch (scheme) {
    case SignatureScheme.rsa_pkcs1_sha256:
    case SignatureScheme.rsa_pkcs1_sha384:
    case SignatureScheme.rsa_pkcs1_sha512:
      return alg === 'rsa' ? scheme : undefined;
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
      // RSASSA-PSS signatures by an id-RSASSA-PSS key are the rsa_pss_pss_* schemes (RFC 8446 §4.2.3).
      return alg === 'rsa' ? scheme : alg === 'rsa-pss' ? scheme + 5 : undefined;
    case SignatureScheme.ecdsa_secp256r1_sha256:
    case SignatureScheme.ecdsa_secp384r1_sha384:
    case SignatureScheme.ecdsa_secp521r1_sha512:
      // In X.509 the hash is not tied to the curve (ecdsa-with-SHA384 by a P-256 key is legal); the provider
      // hashes by scheme and uses the key's own curve.
      return alg === 'ec-p256' || alg === 'ec-p384' || alg === 'ec-p521' ? scheme : undefined;
    case SignatureScheme.ed25519:
      return alg === 'ed25519' ? scheme : undefined;
    case SignatureScheme.ed448:
      return alg === 'ed448' ? scheme : undefined;
    default:
      return undefined;
  }
}

/**
 * Verify `signature` over `data` made with X.509 algorithm `scheme` (undefined = unsupported) by `key`.
 * Returns undefined on success, or the Failure.
 */
export function verifySignature(
  provider: CryptoProvider,
  key: SignerKey,
  scheme: number | undefined,
  data: Uint8Array,
  signature: Uint8Array,
  minRsaBits: number,
  what: string,
): Failure | undefined {
  if (scheme === undefined) return { reason: 'BadSignature', detail: `${what}: unsupported signature algorithm` };
  const bad = checkKey(key, minRsaBits, what);
  if (bad !== undefined) return bad;
  const s = schemeForKey(scheme, key.publicKeyAlgorithm);
  if (s === undefined) {
    return { reason: 'BadSignature', detail: `${what}: signature algorithm 0x${scheme.toString(16)} does not fit a ${key.publicKeyAlgorithm} key` };
  }
  let ok: boolean;
  try {
    ok = provider.loadVerifyingKey(key.spki).verify(s, data, signature);
  } catch {
    return { reason: 'UnsupportedKey', detail: `${what}: the issuer's public key cannot be loaded` };
  }
  return ok ? undefined : { reason: 'BadSignature', detail: `${what}: signature does not verify` };
}
