/**
 * What reading and writing credential files (PKCS#12, encrypted keys, certificate stores) needs from cryptography:
 * digests and HMAC over more hashes than TLS uses, PBKDF2/scrypt, CBC (and legacy) ciphers, and private-key
 * conversion. Implemented over node:crypto by NodeCredentialCrypto (node-provider.ts); passed in, never global.
 */

/** Digests credential formats use (MD5 and SHA-224 only where old files name them). */
export type CredentialHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5';

/** A private key as PKCS#8 DER with its public key (SubjectPublicKeyInfo DER). */
export interface PrivateKeyDer {
  readonly pkcs8: Uint8Array;
  readonly spki: Uint8Array;
}

/** Cryptography for credential files. Every method is synchronous. */
export interface CredentialCrypto {
  /** Digest of the concatenated parts. */
  digest(alg: CredentialHash, ...parts: readonly Uint8Array[]): Uint8Array;
  hmac(alg: CredentialHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  pbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number, keyLen: number, alg: CredentialHash): Uint8Array;
  scrypt(password: Uint8Array, salt: Uint8Array, keyLen: number, params: { readonly N: number; readonly r: number; readonly p: number }): Uint8Array;
  /** Whether this build offers the cipher (OpenSSL names: 'aes-256-cbc', 'des-ede3-cbc', 'rc2-40-cbc', 'rc4'…). */
  hasCipher(name: string): boolean;
  /** Decrypt (PKCS#7 padding removed); throws when the padding is wrong (a wrong password). */
  decrypt(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array;
  /** Encrypt with PKCS#7 padding. */
  encrypt(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array;
  randomBytes(n: number): Uint8Array;
  /** Constant-time equality (false for different lengths). */
  equal(a: Uint8Array, b: Uint8Array): boolean;
  /**
   * A private key as PKCS#8 DER and its public key: PEM text (PKCS#8, PKCS#1, SEC1; traditional encrypted PEM with
   * `passphrase`) or PKCS#8 DER. Throws on anything else; the message says why (OpenSSL's words).
   */
  privateKey(key: string | Uint8Array, passphrase?: string): PrivateKeyDer;
}
