/**
 * Private keys as programs hold them: PEM or DER, PKCS#8, PKCS#1/SEC1 ("traditional"), unencrypted or encrypted
 * (PKCS#8 EncryptedPrivateKeyInfo, decrypted by pbe.ts; traditional OpenSSL PEM with Proc-Type/DEK-Info, decrypted by
 * node:crypto's PEM reader). The result is always unencrypted PKCS#8 DER.
 */
import type { CredentialCrypto } from '../crypto/credential-crypto.js';
import { getDefaultCredentialCrypto } from '../crypto/node-provider.js';
import { pemToDer } from '../x509/pem.js';
import { credentialError, type CredentialError } from './errors.js';
import { decryptPrivateKeyInfo } from './pbe.js';
import { withDecodeErrors } from './read.js';

/** Whether `key` is encrypted (and so needs a passphrase). */
export function isEncryptedKey(key: string | Uint8Array): boolean {
  if (typeof key === 'string') return key.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,\s*ENCRYPTED/.test(key);
  return isEncryptedPkcs8Der(key);
}

/** EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE (AlgorithmIdentifier) …; PrivateKeyInfo with INTEGER version. */
function isEncryptedPkcs8Der(der: Uint8Array): boolean {
  if (der[0] !== 0x30) return false;
  const l0 = der[1] ?? 0;
  const at = l0 < 0x80 ? 2 : 2 + (l0 & 0x7f);
  return der[at] === 0x30;
}

/**
 * The key as unencrypted PKCS#8 DER. `passphrase` is needed for an encrypted key (else 'BadPassword' saying one is
 * needed) and ignored for a plain one, as node:tls does.
 */
export function unlockPrivateKey(key: string | Uint8Array, passphrase: string | undefined, crypto: CredentialCrypto = getDefaultCredentialCrypto()): Uint8Array {
  if (typeof key === 'string') {
    const enc = pemToDer(key, 'ENCRYPTED PRIVATE KEY')[0];
    if (enc !== undefined) return normaliseDecrypted(crypto, withDecodeErrors('EncryptedPrivateKeyInfo', () => decryptPrivateKeyInfo(crypto, enc, requirePassphrase(passphrase))));
    const dek = /DEK-Info:\s*([A-Za-z0-9-]+)/.exec(key)?.[1];
    const pass = dek !== undefined ? requirePassphrase(passphrase) : undefined;
    try {
      return crypto.privateKey(key, pass).pkcs8;
    } catch (e) {
      throw traditionalError(e, dek);
    }
  }
  if (isEncryptedPkcs8Der(key)) return normaliseDecrypted(crypto, withDecodeErrors('EncryptedPrivateKeyInfo', () => decryptPrivateKeyInfo(crypto, key, requirePassphrase(passphrase))));
  return normalise(crypto, key);
}

function requirePassphrase(p: string | undefined): string {
  if (p === undefined) throw credentialError('BadPassword', 'the private key is encrypted and no passphrase was given');
  return p;
}

function normalise(crypto: CredentialCrypto, pkcs8: Uint8Array): Uint8Array {
  try {
    return crypto.privateKey(pkcs8).pkcs8;
  } catch (e) {
    throw credentialError('BadEncoding', `not a usable PKCS#8 private key (${(e as Error).message})`, e);
  }
}

/**
 * A decrypted EncryptedPrivateKeyInfo that is not a key: a wrong password whose garbage happened to end in valid
 * CBC padding (about 1 time in 256), as OpenSSL reports it too.
 */
function normaliseDecrypted(crypto: CredentialCrypto, pkcs8: Uint8Array): Uint8Array {
  try {
    return crypto.privateKey(pkcs8).pkcs8;
  } catch (e) {
    throw credentialError('BadPassword', 'wrong password (the decrypted data is not a private key)', e);
  }
}

function traditionalError(e: unknown, dek: string | undefined): CredentialError {
  const msg = (e as Error).message;
  if (dek !== undefined && /bad decrypt|wrong|decrypt/i.test(msg)) return credentialError('BadPassword', 'wrong passphrase for the encrypted private key', e);
  if (dek !== undefined && /unsupported/i.test(msg)) {
    return credentialError('UnsupportedAlgorithm', `encrypted PEM key cipher ${dek} is not available in this Node.js/OpenSSL build (legacy provider)`, e);
  }
  return credentialError('BadEncoding', `not a usable private key (${msg.split('\n')[0] ?? ''})`, e);
}
