/**
 * Why a credential file could not be loaded. The reader throws {@link CredentialError} with a stable `code`; the
 * front ends turn it into their error (the API and the adapter: TlsError InvalidConfig with this as `cause`; the CLI:
 * a one-line usage error; the SSPI certificate-store functions: the Windows error code of {@link WIN32_ERROR_FOR}).
 */

/** The stable reasons. */
export type CredentialErrorCode =
  /** The password does not open the file (MAC or decryption failed). */
  | 'BadPassword'
  /** The password decrypts the contents but the MAC does not match: the file was altered or damaged. */
  | 'MacMismatch'
  /** The bytes end before the structure does. */
  | 'Truncated'
  /** Not the expected ASN.1 structure. */
  | 'BadEncoding'
  /** An algorithm this build (node:crypto / OpenSSL without the legacy provider) cannot do; the message names it. */
  | 'UnsupportedAlgorithm'
  /** A private key was needed and the file has none (or none matching a certificate). */
  | 'NoKey'
  /** A certificate was needed and the file has none. */
  | 'NoCertificate'
  /** The key does not belong to the certificate. */
  | 'KeyMismatch'
  /** A bound on work (iteration count, size) was exceeded. */
  | 'LimitExceeded';

/** A credential file could not be used; `message` says which and why (never the password). */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  /** The stable reason. */
  readonly code: CredentialErrorCode;

  /** @internal Use {@link credentialError}. */
  constructor(code: CredentialErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** A CredentialError with `code` and a one-line detail. */
export function credentialError(code: CredentialErrorCode, detail: string, cause?: unknown): CredentialError {
  return new CredentialError(code, detail, cause);
}

/**
 * The GetLastError value PFXImportCertStore / PFXVerifyPassword / CertOpenStore report for each reason, as Windows'
 * crypt32 does where it has one (ERROR_INVALID_PASSWORD for a wrong password, the ASN.1 decode errors, NTE_BAD_ALGID).
 */
export const WIN32_ERROR_FOR: Readonly<Record<CredentialErrorCode, number>> = {
  BadPassword: 86, // ERROR_INVALID_PASSWORD
  MacMismatch: 0x80091007, // CRYPT_E_HASH_VALUE
  Truncated: 0x80093102, // CRYPT_E_ASN1_EOD
  BadEncoding: 0x80093100, // CRYPT_E_ASN1_CORRUPT
  UnsupportedAlgorithm: 0x80090008, // NTE_BAD_ALGID
  NoKey: 0x80090016, // NTE_BAD_KEYSET
  NoCertificate: 0x80092004, // CRYPT_E_NOT_FOUND
  KeyMismatch: 0x80090016, // NTE_BAD_KEYSET
  LimitExceeded: 0x80090005, // NTE_BAD_DATA
};
