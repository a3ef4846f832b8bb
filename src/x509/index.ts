/**
 * `sspi-tls/x509`: certificate parsing, chain validation, server-identity matching and OCSP checks, on our own
 * strict DER reader, with all cryptography through the CryptoProvider. Policy: docs/design/x509-policy.md.
 */
export {
  parseCertificate,
  type Certificate,
  type DistinguishedName,
  type BasicConstraints,
  type KeyUsage,
  type SubjectAltName,
  type NameConstraints,
  type GeneralSubtrees,
  type Extensions,
  type PublicKeyAlgorithm,
} from './certificate.js';
export {
  verifyChain,
  checkTrustAnchor,
  type AnchorCheck,
  ChainVerifier,
  DEFAULT_MAX_INTERMEDIATES,
  MAX_INTERMEDIATES_LIMIT,
  type ChainResult,
  type CertificateUsage,
  type VerifyOptions,
  type VerifyChainOptions,
  type ChainVerifierOptions,
} from './chain.js';
export { matchServerName, matchIpAddress, parseIpAddress } from './hostname.js';
export { pemToDer, derToPem } from './pem.js';
export { TrustStore } from './trust-store.js';
export { systemTrustAnchors } from '../system-trust.js';
export { parseCrl, checkCrls, type Crl, type RevokedEntry } from './crl.js';
export { checkOcspResponse, type OcspResult, type OcspOptions } from './ocsp.js';
export { DEFAULT_MIN_RSA_BITS } from './signature.js';
