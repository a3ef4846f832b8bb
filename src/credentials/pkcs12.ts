/**
 * PKCS#12 / PFX (RFC 7292) reader and writer in password-integrity and password-privacy mode, as OpenSSL, Windows
 * (PFXExportCertStoreEx), Java keytool and NSS write it: BER tolerated, MAC verified (timingSafeEqual), certificate
 * bags (X.509), key bags and shrouded key bags, nested SafeContents, friendly names and local key ids kept.
 * Structures are read with the strict DER reader of src/x509 (after BER normalisation); cryptography is pbe.ts
 * (node:crypto). Public-key integrity/privacy modes (SignedData / EnvelopedData) are rejected as unsupported.
 */
import type { CredentialCrypto, CredentialHash } from '../crypto/credential-crypto.js';
import { getDefaultCredentialCrypto } from '../crypto/node-provider.js';
import { parseCertificate } from '../x509/certificate.js';
import { DerReader, Tag, ctxCons, displayString, oid as readOid, smallInt, type Tlv } from '../x509/der.js';
import { algorithm, bmpString, concat, encodeTlv, explicit, octets, oidDer, seq, setOf, uint } from './asn1.js';
import { credentialError } from './errors.js';
import { DIGESTS, MAX_KDF_ITERATIONS, algorithmName, algorithmOid, bmpPassword, decryptPrivateKeyInfo, encryptPrivateKeyInfo, pbeDecrypt, pbeEncrypt, pkcs12Kdf, type PbeChoice } from './pbe.js';
import { readDer, withDecodeErrors } from './read.js';

/** OIDs of RFC 7292 and PKCS#7/9. */
export const Pkcs12Oid = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Attributes a bag may carry. */
export interface BagAttributes {
  /** PKCS#9 friendlyName (Windows: the certificate's friendly name; keytool: the alias). */
  readonly friendlyName: string | undefined;
  /** PKCS#9 localKeyId: ties a key bag to its certificate bag. */
  readonly localKeyId: Uint8Array | undefined;
}

/** A certificate bag. */
export interface Pkcs12Certificate extends BagAttributes {
  /** The certificate, DER. */
  readonly der: Uint8Array;
}

/** A key bag (shrouded ones decrypted). */
export interface Pkcs12Key extends BagAttributes {
  /** The private key as unencrypted PKCS#8 PrivateKeyInfo DER. */
  readonly pkcs8: Uint8Array;
  /** Its public key as SubjectPublicKeyInfo DER (to match certificates). */
  readonly spki: Uint8Array;
}

/** What a PFX holds. */
export interface Pkcs12Contents {
  readonly certificates: readonly Pkcs12Certificate[];
  readonly keys: readonly Pkcs12Key[];
  /** The MAC's digest ('sha256'), or undefined for a file without MAC. */
  readonly macDigest: string | undefined;
  /** Names of the encryption schemes met (for `sspi-tls pfx --info` and tests). */
  readonly schemes: readonly string[];
}

/** A private key with its certificate chain (leaf first), as a credential needs it. */
export interface KeyAndChain {
  readonly key: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly friendlyName: string | undefined;
  readonly localKeyId: Uint8Array | undefined;
}

/** Most bags read from one file (bounds work; a real PFX has a handful). */
export const MAX_BAGS = 1000;

/** PFXIsPFXBlob: whether `bytes` has the outer shape of a PFX (version 3 and a ContentInfo); no password needed. */
export function isPfx(bytes: Uint8Array): boolean {
  try {
    return withDecodeErrors('PFX', () => {
      const r = readDer(bytes, 'PFX');
      if (smallInt(r.expect(Tag.Integer, 'version')) !== 3) return false;
      const ci = r.sequence('authSafe');
      readOid(ci.expect(Tag.Oid, 'contentType'));
      return true;
    });
  } catch {
    return false;
  }
}

interface Outer {
  readonly contentType: string;
  readonly authSafe: Uint8Array;
  readonly mac: { digest: CredentialHash; value: Uint8Array; salt: Uint8Array; iterations: number } | undefined;
}

function readOuter(bytes: Uint8Array): Outer {
  const r = readDer(bytes, 'PFX');
  const version = smallInt(r.expect(Tag.Integer, 'version'));
  if (version !== 3) throw credentialError('BadEncoding', `PFX: version ${version}, expected 3`);
  const ci = r.sequence('authSafe');
  const contentType = readOid(ci.expect(Tag.Oid, 'contentType'));
  if (contentType === Pkcs12Oid.signedData) throw credentialError('UnsupportedAlgorithm', 'PFX: public-key integrity mode (SignedData) is not supported');
  if (contentType !== Pkcs12Oid.data) throw credentialError('BadEncoding', `PFX: authSafe content type ${contentType}`);
  const authSafe = ci.sequence('content', ctxCons(0)).expect(Tag.OctetString, 'data').value;
  let mac: Outer['mac'];
  if (!r.done) {
    const m = r.sequence('macData');
    const digestInfo = m.sequence('mac');
    const alg = digestInfo.expect(Tag.Sequence, 'digestAlgorithm');
    const digestOid = algorithmOid(alg);
    const digest = DIGESTS[digestOid];
    if (digest === undefined) throw credentialError('UnsupportedAlgorithm', `PFX: MAC algorithm ${algorithmName(digestOid)} is not supported`);
    const value = digestInfo.expect(Tag.OctetString, 'digest').value;
    const salt = m.expect(Tag.OctetString, 'macSalt').value;
    const it = m.optional(Tag.Integer, 'iterations');
    const iterations = it === undefined ? 1 : smallInt(it);
    if (iterations > MAX_KDF_ITERATIONS) throw credentialError('LimitExceeded', `PFX: MAC iteration count ${iterations} exceeds ${MAX_KDF_ITERATIONS}`);
    m.end();
    mac = { digest, value, salt, iterations };
  }
  r.end();
  return { contentType, authSafe, mac };
}

/**
 * Which password form opens the MAC: the text itself, or, for an empty password, also the absent password (OpenSSL
 * and Windows differ on whether "" is encoded as 00 00 or as nothing). undefined when neither does.
 */
function macPassword(crypto: CredentialCrypto, o: Outer, password: string | null): string | null | undefined {
  const mac = o.mac;
  if (mac === undefined) return password;
  const candidates: (string | null)[] = password === null || password === '' ? ['', null] : [password];
  for (const p of candidates) {
    const len = crypto.digest(mac.digest).length;
    const key = pkcs12Kdf(crypto, mac.digest, 3, bmpPassword(p), mac.salt, mac.iterations, len);
    if (crypto.equal(crypto.hmac(mac.digest, key, o.authSafe), mac.value)) return p;
  }
  return undefined;
}

/** PFXVerifyPassword: whether `password` opens the file's MAC (or, without a MAC, decrypts its contents). */
export function verifyPfxPassword(bytes: Uint8Array, password: string | null, crypto: CredentialCrypto = getDefaultCredentialCrypto()): boolean {
  try {
    readPfx(bytes, password, crypto);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read a PFX. Throws CredentialError: 'BadPassword' (the MAC does not verify and the password does not decrypt),
 * 'MacMismatch' (the password decrypts but the MAC fails: a damaged or altered file), 'Truncated', 'BadEncoding',
 * 'UnsupportedAlgorithm' (named), 'LimitExceeded'.
 */
export function readPfx(bytes: Uint8Array, password: string | null, crypto: CredentialCrypto = getDefaultCredentialCrypto()): Pkcs12Contents {
  return withDecodeErrors('PFX', () => {
    const outer = readOuter(bytes);
    const p = macPassword(crypto, outer, password);
    if (p === undefined) {
      // Tell a wrong password from a damaged file: if the password decrypts the contents, the file was altered.
      let decrypts = false;
      try {
        readAuthSafe(crypto, outer.authSafe, password ?? '');
        decrypts = true;
      } catch {
        decrypts = false;
      }
      if (decrypts) throw credentialError('MacMismatch', 'PFX: MAC verification failed although the password decrypts it: the file is damaged or was altered');
      throw credentialError('BadPassword', 'PFX: wrong password (MAC verification failed)');
    }
    const c = readAuthSafe(crypto, outer.authSafe, p);
    return { ...c, macDigest: outer.mac?.digest };
  });
}

function readAuthSafe(crypto: CredentialCrypto, authSafe: Uint8Array, password: string | null): Omit<Pkcs12Contents, 'macDigest'> {
  const certificates: Pkcs12Certificate[] = [];
  const keys: Pkcs12Key[] = [];
  const schemes: string[] = [];
  const out = { certificates, keys, schemes };
  const r = readDer(authSafe, 'AuthenticatedSafe');
  r.list((lr) => {
    const ci = lr.sequence('ContentInfo');
    const type = readOid(ci.expect(Tag.Oid, 'contentType'));
    const content = ci.sequence('content', ctxCons(0));
    if (type === Pkcs12Oid.data) {
      readSafeContents(crypto, content.expect(Tag.OctetString, 'data').value, password, out, 0);
    } else if (type === Pkcs12Oid.encryptedData) {
      const ed = content.sequence('EncryptedData');
      smallInt(ed.expect(Tag.Integer, 'version'));
      const eci = ed.sequence('encryptedContentInfo');
      readOid(eci.expect(Tag.Oid, 'contentType'));
      const alg = eci.expect(Tag.Sequence, 'contentEncryptionAlgorithm');
      const enc = implicitOctets(eci.any('encryptedContent'));
      schemes.push(algorithmName(algorithmOid(alg)));
      readSafeContents(crypto, pbeDecrypt(crypto, alg, enc, password), password, out, 0);
    } else if (type === Pkcs12Oid.envelopedData) {
      throw credentialError('UnsupportedAlgorithm', 'PFX: public-key privacy mode (EnvelopedData) is not supported');
    } else {
      throw credentialError('BadEncoding', `PFX: unknown ContentInfo type ${type}`);
    }
  });
  return out;
}

/** `[0] IMPLICIT OCTET STRING`, primitive (0x80) or constructed from OCTET STRING pieces (0xa0, BER). */
function implicitOctets(t: Tlv): Uint8Array {
  if (t.tag === 0x80) return t.value;
  if (t.tag !== 0xa0) throw credentialError('BadEncoding', `PFX: encryptedContent tag 0x${t.tag.toString(16)}`);
  const r = new DerReader(t.value, t.path, t.depth + 1);
  return concat(r.list((x) => x.expect(Tag.OctetString, 'piece').value));
}

function readSafeContents(
  crypto: CredentialCrypto,
  der: Uint8Array,
  password: string | null,
  out: { certificates: Pkcs12Certificate[]; keys: Pkcs12Key[]; schemes: string[] },
  depth: number,
): void {
  if (depth > 4) throw credentialError('BadEncoding', 'PFX: SafeContents nested too deeply');
  const r = readDer(der, 'SafeContents');
  r.list((br) => {
    if (out.certificates.length + out.keys.length >= MAX_BAGS) throw credentialError('LimitExceeded', `PFX: more than ${MAX_BAGS} bags`);
    const bag = br.sequence('SafeBag');
    const bagId = readOid(bag.expect(Tag.Oid, 'bagId'));
    const value = bag.sequence('bagValue', ctxCons(0));
    const attrs = bag.done ? { friendlyName: undefined, localKeyId: undefined } : readAttributes(bag.expect(Tag.Set, 'bagAttributes'));
    bag.end();
    switch (bagId) {
      case Pkcs12Oid.certBag: {
        const cb = value.sequence('CertBag');
        const certId = readOid(cb.expect(Tag.Oid, 'certId'));
        if (certId !== Pkcs12Oid.x509Certificate) return; // SDSI certificates: skipped
        const der = cb.sequence('certValue', ctxCons(0)).expect(Tag.OctetString, 'x509Certificate').value;
        out.certificates.push({ der: der.slice(), ...attrs });
        return;
      }
      case Pkcs12Oid.keyBag:
        out.keys.push({ ...importKey(crypto, value.expect(Tag.Sequence, 'PrivateKeyInfo').bytes), ...attrs });
        return;
      case Pkcs12Oid.pkcs8ShroudedKeyBag: {
        const epki = value.expect(Tag.Sequence, 'EncryptedPrivateKeyInfo');
        const alg = new DerReader(epki.value, 'EncryptedPrivateKeyInfo', 2).expect(Tag.Sequence, 'encryptionAlgorithm');
        out.schemes.push(algorithmName(algorithmOid(alg)));
        out.keys.push({ ...importKey(crypto, decryptPrivateKeyInfo(crypto, epki.bytes, password)), ...attrs });
        return;
      }
      case Pkcs12Oid.safeContentsBag:
        readSafeContents(crypto, value.expect(Tag.Sequence, 'SafeContents').bytes, password, out, depth + 1);
        return;
      default:
        return; // CRL and secret bags: not credentials
    }
  });
}

function readAttributes(set: Tlv): BagAttributes {
  let friendlyName: string | undefined;
  let localKeyId: Uint8Array | undefined;
  const r = new DerReader(set.value, set.path, set.depth + 1);
  r.list((ar) => {
    const a = ar.sequence('Attribute');
    const type = readOid(a.expect(Tag.Oid, 'attrId'));
    const values = a.sequence('attrValues', Tag.Set);
    if (type === Pkcs12Oid.friendlyName) {
      const v = values.any('friendlyName');
      friendlyName = displayString(v);
    } else if (type === Pkcs12Oid.localKeyId) {
      localKeyId = values.expect(Tag.OctetString, 'localKeyId').value.slice();
    }
  });
  return { friendlyName, localKeyId };
}

function importKey(crypto: CredentialCrypto, pkcs8: Uint8Array): { pkcs8: Uint8Array; spki: Uint8Array } {
  try {
    return crypto.privateKey(pkcs8);
  } catch (e) {
    throw credentialError('BadEncoding', `PFX: the private key is not a usable PKCS#8 key (${(e as Error).message})`, e);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Every key of `c` with its certificate (same localKeyId, else same public key) and the chain to it built from the
 * other certificates by subject/issuer. Throws 'KeyMismatch' when a key's localKeyId names a certificate with
 * another public key.
 */
export function keysWithChains(c: Pkcs12Contents): KeyAndChain[] {
  const parsed = c.certificates.map((cert) => {
    try {
      const info = parseCertificate(cert.der);
      return { cert, spki: info.spki, subject: info.subject.der, issuer: info.issuer.der };
    } catch {
      return { cert, spki: undefined, subject: undefined, issuer: undefined };
    }
  });
  const out: KeyAndChain[] = [];
  for (const k of c.keys) {
    let leaf = k.localKeyId === undefined ? undefined : parsed.find((p) => sameBytes(p.cert.localKeyId, k.localKeyId));
    if (leaf !== undefined && leaf.spki === undefined) {
      throw credentialError('BadEncoding', 'PFX: the certificate with the key\'s localKeyId is not a valid X.509 certificate');
    }
    if (leaf !== undefined && !sameBytes(leaf.spki, k.spki)) {
      throw credentialError('KeyMismatch', 'PFX: the key and the certificate with the same localKeyId have different public keys');
    }
    leaf ??= parsed.find((p) => sameBytes(p.spki, k.spki));
    if (leaf === undefined) continue;
    const chain = [leaf.cert.der];
    let cur = leaf;
    const used = new Set([leaf]);
    while (chain.length < 10 && !sameBytes(cur.subject, cur.issuer)) {
      const next = parsed.find((p) => !used.has(p) && sameBytes(p.subject, cur.issuer));
      if (next === undefined) break;
      chain.push(next.cert.der);
      used.add(next);
      cur = next;
    }
    out.push({ key: k.pkcs8, chain, friendlyName: k.friendlyName ?? leaf.cert.friendlyName, localKeyId: k.localKeyId ?? leaf.cert.localKeyId });
  }
  return out;
}

/** What {@link writePfx} writes. */
export interface WritePfxOptions {
  /** Certificates, leaf first (the leaf gets the key's localKeyId). */
  readonly chain: readonly Uint8Array[];
  /** The leaf's private key: PKCS#8 DER (or undefined for a certificates-only file). */
  readonly key?: Uint8Array;
  readonly password: string;
  readonly friendlyName?: string;
  /**
   * 'aes' (default): PBES2 PBKDF2-HMAC-SHA-256 + AES-256-CBC, SHA-256 MAC, as OpenSSL 3 and Windows ("AES256-SHA256")
   * write. 'legacy': pbeWithSHAAnd3-KeyTripleDES-CBC for keys and certificates, SHA-1 MAC, for old Windows/Java.
   */
  readonly encryption?: 'aes' | 'legacy';
  /** KDF and MAC iterations (default 2048, OpenSSL's). */
  readonly iterations?: number;
}

/** Write a PFX as OpenSSL lays it out: certificates in an encrypted SafeContents, the shrouded key in a data one. */
export function writePfx(o: WritePfxOptions, crypto: CredentialCrypto = getDefaultCredentialCrypto()): Uint8Array {
  const iterations = o.iterations ?? 2048;
  const choice: PbeChoice = o.encryption === 'legacy' ? 'pkcs12-3des' : 'aes-256-pbkdf2-sha256';
  const leaf = o.chain[0];
  const keyId = leaf === undefined ? undefined : crypto.digest('sha1', leaf);
  const attrs = (withId: boolean): Uint8Array[] => {
    const list: Uint8Array[] = [];
    if (o.friendlyName !== undefined && withId) list.push(seq(oidDer(Pkcs12Oid.friendlyName), setOf(bmpString(o.friendlyName))));
    if (keyId !== undefined && withId) list.push(seq(oidDer(Pkcs12Oid.localKeyId), setOf(octets(keyId))));
    return list.length === 0 ? [] : [setOf(...list)];
  };
  const certBags = o.chain.map((der, i) =>
    seq(oidDer(Pkcs12Oid.certBag), explicit(0, seq(oidDer(Pkcs12Oid.x509Certificate), explicit(0, octets(der)))), ...attrs(i === 0 && o.key !== undefined)),
  );
  const certContents = seq(...certBags);
  const { alg, encrypted } = pbeEncrypt(crypto, choice, certContents, o.password, iterations);
  const encryptedData = seq(
    oidDer(Pkcs12Oid.encryptedData),
    explicit(0, seq(uint(0), seq(oidDer(Pkcs12Oid.data), alg, encodeTlv(0x80, encrypted)))),
  );
  const infos = [encryptedData];
  if (o.key !== undefined) {
    const shrouded = encryptPrivateKeyInfo(crypto, o.key, o.password, choice, iterations);
    const keyContents = seq(seq(oidDer(Pkcs12Oid.pkcs8ShroudedKeyBag), explicit(0, shrouded), ...attrs(true)));
    infos.push(seq(oidDer(Pkcs12Oid.data), explicit(0, octets(keyContents))));
  }
  const authSafe = seq(...infos);
  const digest = o.encryption === 'legacy' ? 'sha1' : 'sha256';
  const salt = crypto.randomBytes(8);
  const macKey = pkcs12Kdf(crypto, digest, 3, bmpPassword(o.password), salt, iterations, digest === 'sha1' ? 20 : 32);
  const mac = crypto.hmac(digest, macKey, authSafe);
  const macData = seq(seq(algorithm(digest === 'sha1' ? Pkcs12Oid.sha1 : Pkcs12Oid.sha256, new Uint8Array([0x05, 0x00])), octets(mac)), octets(salt), uint(iterations));
  return seq(uint(3), seq(oidDer(Pkcs12Oid.data), explicit(0, octets(authSafe))), macData);
}
