/**
 * Password-based encryption for PKCS#12 bags and PKCS#8 EncryptedPrivateKeyInfo, all through node:crypto:
 * - PBES2 (RFC 8018 §6.2): PBKDF2 with HMAC-SHA-1/224/256/384/512, AES-128/192/256-CBC or DES-EDE3-CBC; scrypt KDF.
 * - The PKCS#12 PBE schemes (RFC 7292 Appendix C): pbeWithSHAAnd3-KeyTripleDES-CBC, …2-KeyTripleDES-CBC,
 *   …128/40BitRC2-CBC and …RC4 (RC2/RC4 only where OpenSSL offers them: OpenSSL 3 needs its legacy provider).
 * - The PKCS#12 key derivation (RFC 7292 Appendix B.2), built from node:crypto hashes, for those schemes and the MAC.
 * An algorithm we cannot do is a CredentialError 'UnsupportedAlgorithm' naming it.
 */
import type { CredentialCrypto, CredentialHash } from '../crypto/credential-crypto.js';
import { DerReader, Tag, oid as readOid, smallInt, type Tlv } from '../x509/der.js';
import { algorithm, concat, octets, seq, uint, utf16be } from './asn1.js';
import { credentialError } from './errors.js';
import { readDer } from './read.js';

/** Most KDF iterations we run for one derivation (bounds CPU to about 4 s for the PKCS#12 KDF; real files use 1–600 000). */
export const MAX_KDF_ITERATIONS = 1_000_000;

/** OIDs of the schemes, PRFs and ciphers. */
export const PbeOid = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  pbeWithMD5AndDES: '1.2.840.113549.1.5.3',
  pbeWithSHA1AndDES: '1.2.840.113549.1.5.10',
  pbeWithMD5AndRC2: '1.2.840.113549.1.5.6',
  pbeWithSHA1AndRC2: '1.2.840.113549.1.5.11',
  pkcs12Rc4_128: '1.2.840.113549.1.12.1.1',
  pkcs12Rc4_40: '1.2.840.113549.1.12.1.2',
  pkcs12Des3: '1.2.840.113549.1.12.1.3',
  pkcs12Des2: '1.2.840.113549.1.12.1.4',
  pkcs12Rc2_128: '1.2.840.113549.1.12.1.5',
  pkcs12Rc2_40: '1.2.840.113549.1.12.1.6',
  hmacSha1: '1.2.840.113549.2.7',
  hmacSha224: '1.2.840.113549.2.8',
  hmacSha256: '1.2.840.113549.2.9',
  hmacSha384: '1.2.840.113549.2.10',
  hmacSha512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  desCbc: '1.3.14.3.2.7',
  rc2Cbc: '1.2.840.113549.3.2',
} as const;

/** Digest OIDs (PKCS#12 MAC) → node:crypto hash name. */
export const DIGESTS: Readonly<Record<string, CredentialHash>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.5': 'md5',
};

/** Human names of algorithms for error messages. */
const NAMES: Readonly<Record<string, string>> = {
  [PbeOid.pbes2]: 'PBES2',
  [PbeOid.pkcs12Des3]: 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  [PbeOid.pkcs12Des2]: 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  [PbeOid.pbeWithMD5AndDES]: 'pbeWithMD5AndDES-CBC (single DES)',
  [PbeOid.pbeWithSHA1AndDES]: 'pbeWithSHA1AndDES-CBC (single DES)',
  [PbeOid.pbeWithMD5AndRC2]: 'pbeWithMD5AndRC2-CBC',
  [PbeOid.pbeWithSHA1AndRC2]: 'pbeWithSHA1AndRC2-CBC',
  [PbeOid.pkcs12Rc4_128]: 'pbeWithSHAAnd128BitRC4',
  [PbeOid.pkcs12Rc4_40]: 'pbeWithSHAAnd40BitRC4',
  [PbeOid.pkcs12Rc2_128]: 'pbeWithSHAAnd128BitRC2-CBC',
  [PbeOid.pkcs12Rc2_40]: 'pbeWithSHAAnd40BitRC2-CBC',
  [PbeOid.desCbc]: 'DES-CBC',
  [PbeOid.rc2Cbc]: 'RC2-CBC',
  '1.2.840.113549.1.5.14': 'PBMAC1',
};

/** Display name of an algorithm OID. */
export function algorithmName(o: string): string {
  return NAMES[o] ?? o;
}

/** The PKCS#12 PBE schemes: node cipher, key and IV length. */
const PKCS12_SCHEMES: Readonly<Record<string, { cipher: string; keyLen: number; ivLen: number }>> = {
  [PbeOid.pkcs12Des3]: { cipher: 'des-ede3-cbc', keyLen: 24, ivLen: 8 },
  [PbeOid.pkcs12Des2]: { cipher: 'des-ede-cbc', keyLen: 16, ivLen: 8 },
  [PbeOid.pkcs12Rc2_128]: { cipher: 'rc2-cbc', keyLen: 16, ivLen: 8 },
  [PbeOid.pkcs12Rc2_40]: { cipher: 'rc2-40-cbc', keyLen: 5, ivLen: 8 },
  [PbeOid.pkcs12Rc4_128]: { cipher: 'rc4', keyLen: 16, ivLen: 0 },
  [PbeOid.pkcs12Rc4_40]: { cipher: 'rc4-40', keyLen: 5, ivLen: 0 },
};

const PBES2_CIPHERS: Readonly<Record<string, { cipher: string; keyLen: number; ivLen: number }>> = {
  [PbeOid.aes128Cbc]: { cipher: 'aes-128-cbc', keyLen: 16, ivLen: 16 },
  [PbeOid.aes192Cbc]: { cipher: 'aes-192-cbc', keyLen: 24, ivLen: 16 },
  [PbeOid.aes256Cbc]: { cipher: 'aes-256-cbc', keyLen: 32, ivLen: 16 },
  [PbeOid.desEde3Cbc]: { cipher: 'des-ede3-cbc', keyLen: 24, ivLen: 8 },
  [PbeOid.desCbc]: { cipher: 'des-cbc', keyLen: 8, ivLen: 8 },
};

const PRFS: Readonly<Record<string, CredentialHash>> = {
  [PbeOid.hmacSha1]: 'sha1',
  [PbeOid.hmacSha224]: 'sha224',
  [PbeOid.hmacSha256]: 'sha256',
  [PbeOid.hmacSha384]: 'sha384',
  [PbeOid.hmacSha512]: 'sha512',
};

/** Hash block sizes (v of RFC 7292 B.2). */
const BLOCK: Readonly<Partial<Record<CredentialHash, number>>> = { sha1: 64, sha224: 64, sha256: 64, md5: 64, sha384: 128, sha512: 128 };

/** RFC 7292 B.1: the password as a BMPString with a two-byte NUL terminator (none for an absent password). */
export function bmpPassword(password: string | null): Uint8Array {
  return password === null ? new Uint8Array(0) : concat([utf16be(password), new Uint8Array(2)]);
}

/**
 * RFC 7292 Appendix B.2: `n` bytes of key material for purpose `id` (1 key, 2 IV, 3 MAC key) from the BMPString
 * password, salt and iteration count, with node:crypto hash `hash`.
 */
export function pkcs12Kdf(
  crypto: CredentialCrypto,
  hash: CredentialHash,
  id: 1 | 2 | 3,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  n: number,
): Uint8Array {
  checkIterations(iterations);
  const v = BLOCK[hash];
  if (v === undefined) throw credentialError('UnsupportedAlgorithm', `PKCS#12 key derivation with ${hash} is not supported`);
  const u = crypto.digest(hash).length;
  const D = new Uint8Array(v).fill(id);
  const fill = (src: Uint8Array): Uint8Array => {
    const len = src.length === 0 ? 0 : v * Math.ceil(src.length / v);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length] as number;
    return out;
  };
  const I = concat([fill(salt), fill(password)]);
  const blocks = Math.ceil(n / u);
  const out = new Uint8Array(blocks * u);
  for (let i = 0; i < blocks; i++) {
    let A = crypto.digest(hash, D, I);
    for (let r = 1; r < iterations; r++) A = crypto.digest(hash, A);
    out.set(A, i * u);
    if (i + 1 === blocks) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I, with B = A repeated to v bytes.
    const B = new Uint8Array(v);
    for (let k = 0; k < v; k++) B[k] = A[k % u] as number;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return out.subarray(0, n);
}

function checkIterations(n: number): void {
  if (n < 1 || n > MAX_KDF_ITERATIONS) throw credentialError('LimitExceeded', `iteration count ${n} outside 1..${MAX_KDF_ITERATIONS}`);
}

function unsupported(scheme: string, cipher: string, cause?: unknown): Error {
  return credentialError(
    'UnsupportedAlgorithm',
    `${algorithmName(scheme)} (${cipher}) is not available in this Node.js/OpenSSL build (OpenSSL 3 keeps it in the legacy provider, ` +
      'which `node --openssl-legacy-provider` loads); or re-export the file with AES (openssl pkcs12 -export without -legacy, or Windows "AES256-SHA256")',
    cause,
  );
}

/** A cipher, its key and IV, ready to run. */
interface CipherRun {
  readonly cipher: string;
  readonly key: Uint8Array;
  readonly iv: Uint8Array | null;
}

/**
 * Decrypt `data` encrypted with AlgorithmIdentifier `alg` (a PKCS#12 PBE scheme or PBES2) under `password`.
 * `password` is the text; PKCS#12 schemes use its BMPString form, PBES2 its UTF-8 bytes (as OpenSSL and Windows do).
 * A wrong password shows as a padding failure: 'BadPassword'.
 */
export function pbeDecrypt(crypto: CredentialCrypto, alg: Tlv, data: Uint8Array, password: string | null): Uint8Array {
  const r = new DerReader(alg.value, 'AlgorithmIdentifier', 1);
  const scheme = readOid(r.expect(Tag.Oid, 'algorithm'));
  const params = r.done ? undefined : r.any('parameters');
  let run: CipherRun;
  const p12 = PKCS12_SCHEMES[scheme];
  if (p12 !== undefined) {
    if (params === undefined) throw credentialError('BadEncoding', `${algorithmName(scheme)}: missing parameters`);
    const pr = new DerReader(params.value, 'pkcs-12PbeParams', 2);
    const salt = pr.expect(Tag.OctetString, 'salt').value;
    const iterations = smallInt(pr.expect(Tag.Integer, 'iterations'));
    if (!crypto.hasCipher(p12.cipher)) throw unsupported(scheme, p12.cipher);
    const pw = bmpPassword(password);
    const key = pkcs12Kdf(crypto, 'sha1', 1, pw, salt, iterations, p12.keyLen);
    const iv = p12.ivLen === 0 ? null : pkcs12Kdf(crypto, 'sha1', 2, pw, salt, iterations, p12.ivLen);
    run = { cipher: p12.cipher, key, iv };
  } else if (scheme === PbeOid.pbes2) {
    if (params === undefined) throw credentialError('BadEncoding', 'PBES2: missing parameters');
    run = pbes2Cipher(crypto, params, password);
  } else {
    throw credentialError('UnsupportedAlgorithm', `encryption scheme ${algorithmName(scheme)} is not supported`);
  }
  try {
    return crypto.decrypt(run.cipher, run.key, run.iv, data);
  } catch (e) {
    throw credentialError('BadPassword', 'wrong password (decryption failed)', e);
  }
}

function pbes2Cipher(crypto: CredentialCrypto, params: Tlv, password: string | null): CipherRun {
  const r = new DerReader(params.value, 'PBES2-params', 2);
  const kdf = r.sequence('keyDerivationFunc');
  const kdfOid = readOid(kdf.expect(Tag.Oid, 'algorithm'));
  const kdfParams = kdf.sequence('parameters');
  const enc = r.sequence('encryptionScheme');
  const encOid = readOid(enc.expect(Tag.Oid, 'algorithm'));
  const c = PBES2_CIPHERS[encOid];
  if (c === undefined) throw credentialError('UnsupportedAlgorithm', `PBES2 cipher ${algorithmName(encOid)} is not supported`);
  const iv = enc.expect(Tag.OctetString, 'iv').value;
  if (iv.length !== c.ivLen) throw credentialError('BadEncoding', `PBES2: IV of ${iv.length} bytes for ${c.cipher}`);
  const pw = new TextEncoder().encode(password ?? '');
  let key: Uint8Array;
  if (kdfOid === PbeOid.pbkdf2) {
    const salt = kdfParams.expect(Tag.OctetString, 'salt').value;
    const iterations = smallInt(kdfParams.expect(Tag.Integer, 'iterationCount'));
    checkIterations(iterations);
    const keyLenTlv = kdfParams.optional(Tag.Integer, 'keyLength');
    if (keyLenTlv !== undefined && smallInt(keyLenTlv) !== c.keyLen) throw credentialError('BadEncoding', 'PBES2: keyLength does not match the cipher');
    let prf: CredentialHash = 'sha1';
    if (!kdfParams.done) {
      const prfSeq = kdfParams.sequence('prf');
      const prfOid = readOid(prfSeq.expect(Tag.Oid, 'algorithm'));
      const h = PRFS[prfOid];
      if (h === undefined) throw credentialError('UnsupportedAlgorithm', `PBKDF2 PRF ${prfOid} is not supported`);
      prf = h;
    }
    key = crypto.pbkdf2(pw, salt, iterations, c.keyLen, prf);
  } else if (kdfOid === PbeOid.scrypt) {
    const salt = kdfParams.expect(Tag.OctetString, 'salt').value;
    const N = smallInt(kdfParams.expect(Tag.Integer, 'costParameter'));
    const blockSize = smallInt(kdfParams.expect(Tag.Integer, 'blockSize'));
    const parallelization = smallInt(kdfParams.expect(Tag.Integer, 'parallelizationParameter'));
    if (N > 1 << 20 || blockSize > 64 || parallelization > 64) throw credentialError('LimitExceeded', 'scrypt parameters too large');
    key = crypto.scrypt(pw, salt, c.keyLen, { N, r: blockSize, p: parallelization });
  } else {
    throw credentialError('UnsupportedAlgorithm', `PBES2 key derivation ${algorithmName(kdfOid)} is not supported`);
  }
  if (!crypto.hasCipher(c.cipher)) throw unsupported(encOid, c.cipher);
  return { cipher: c.cipher, key, iv };
}

/** Which scheme {@link pbeEncrypt} writes. */
export type PbeChoice = 'aes-256-pbkdf2-sha256' | 'pkcs12-3des';

/** Encrypt `data` under `password`; returns the AlgorithmIdentifier (DER) and the ciphertext. */
export function pbeEncrypt(
  crypto: CredentialCrypto,
  choice: PbeChoice,
  data: Uint8Array,
  password: string,
  iterations: number,
): { alg: Uint8Array; encrypted: Uint8Array } {
  const salt = crypto.randomBytes(choice === 'pkcs12-3des' ? 8 : 16);
  if (choice === 'pkcs12-3des') {
    const pw = bmpPassword(password);
    const key = pkcs12Kdf(crypto, 'sha1', 1, pw, salt, iterations, 24);
    const iv = pkcs12Kdf(crypto, 'sha1', 2, pw, salt, iterations, 8);
    const encrypted = crypto.encrypt('des-ede3-cbc', key, iv, data);
    return { alg: algorithm(PbeOid.pkcs12Des3, seq(octets(salt), uint(iterations))), encrypted };
  }
  const iv = crypto.randomBytes(16);
  const key = crypto.pbkdf2(new TextEncoder().encode(password), salt, iterations, 32, 'sha256');
  const encrypted = crypto.encrypt('aes-256-cbc', key, iv, data);
  const kdf = algorithm(PbeOid.pbkdf2, seq(octets(salt), uint(iterations), algorithm(PbeOid.hmacSha256, new Uint8Array([0x05, 0x00]))));
  const alg = algorithm(PbeOid.pbes2, seq(kdf, algorithm(PbeOid.aes256Cbc, octets(iv))));
  return { alg, encrypted };
}

/** EncryptedPrivateKeyInfo (RFC 5958 §3) → the PKCS#8 PrivateKeyInfo DER. */
export function decryptPrivateKeyInfo(crypto: CredentialCrypto, der: Uint8Array, password: string | null): Uint8Array {
  const r = readDer(der, 'EncryptedPrivateKeyInfo');
  const alg = r.expect(Tag.Sequence, 'encryptionAlgorithm');
  const data = r.expect(Tag.OctetString, 'encryptedData').value;
  r.end();
  return pbeDecrypt(crypto, alg, data, password);
}

/** PKCS#8 PrivateKeyInfo → EncryptedPrivateKeyInfo DER. */
export function encryptPrivateKeyInfo(crypto: CredentialCrypto, pkcs8: Uint8Array, password: string, choice: PbeChoice, iterations: number): Uint8Array {
  const { alg, encrypted } = pbeEncrypt(crypto, choice, pkcs8, password, iterations);
  return seq(alg, octets(encrypted));
}

/** The OID of an AlgorithmIdentifier TLV (for messages). */
export function algorithmOid(alg: Tlv): string {
  return readOid(new DerReader(alg.value, 'AlgorithmIdentifier', 1).expect(Tag.Oid, 'algorithm'));
}

