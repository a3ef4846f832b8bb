/**
 * The CryptoProvider on node:crypto (OpenSSL 3). The only module that imports node:crypto.
 *
 * Measured on Node 20 (DESIGN.md): X25519 keys are made from 32 random bytes through a JWK import (never
 * generateKeyPairSync + JWK export, which can deadlock); P-256/P-384 through createECDH; cipher keys are kept as
 * KeyObjects made once per traffic key; private keys are parsed once.
 */
import * as nc from 'node:crypto';
import { illegalShare } from './key-exchange-errors.js';
import type {
  Aead,
  AeadAlg,
  CryptoProvider,
  HashAlg,
  KeyAlgorithm,
  KeyExchangeClient,
  KeyExchangeServerResult,
  RunningHash,
  SealedParts,
  SigningKey,
  VerifyingKey,
} from './provider.js';
import { configError, internalError } from '../errors.js';
import { NamedGroup, signatureSchemeHash } from '../wire/registry.js';
import { hybridClient, hybridServer, type Kem } from './hybrid.js';
import { mlKem768 } from './mlkem.js';
import { nodeMlKem768, type NodeKemFunctions } from './mlkem-node.js';
import type { CredentialCrypto, CredentialHash, PrivateKeyDer } from './credential-crypto.js';

const DUMMY_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}
function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

class NodeRunningHash implements RunningHash {
  readonly #h: nc.Hash;
  constructor(h: nc.Hash) {
    this.#h = h;
  }
  update(data: Uint8Array): void {
    this.#h.update(data);
  }
  peek(): Uint8Array {
    return u8(this.#h.copy().digest());
  }
  /** The digest's Buffer as it is (see RunningHash.peekReadOnly). */
  peekReadOnly(): Uint8Array {
    return this.#h.copy().digest();
  }
  fork(): RunningHash {
    return new NodeRunningHash(this.#h.copy());
  }
}

/**
 * Options of every cipher object: a 16-byte tag. One constant object (node:crypto only reads it), not one per record.
 * `setAAD` gets no options: `plaintextLength` matters only for CCM, which no TLS suite here uses.
 */
const TAG16: nc.CipherGCMOptions = Object.freeze({ authTagLength: 16 });

class NodeAead implements Aead {
  readonly tagLen = 16;
  readonly #alg: nc.CipherGCMTypes;
  readonly #key: nc.KeyObject;
  constructor(alg: AeadAlg, key: Uint8Array) {
    this.#alg = alg as nc.CipherGCMTypes;
    this.#key = nc.createSecretKey(key);
  }
  #cipher(nonce: Uint8Array, aad: Uint8Array): nc.CipherGCM {
    const c = nc.createCipheriv(this.#alg, this.#key, nonce, TAG16);
    c.setAAD(aad);
    return c;
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + 16);
    this.sealInto(nonce, aad, plaintext, out, 0);
    return out;
  }
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const c = this.#cipher(nonce, aad);
    const n = plaintext.length;
    const body = c.update(plaintext);
    out.set(body, offset);
    const fin = c.final();
    if (fin.length) out.set(fin, offset + body.length);
    out.set(c.getAuthTag(), offset + n);
    return n + 16;
  }
  sealParts(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): SealedParts {
    const c = this.#cipher(nonce, aad);
    const body = c.update(plaintext);
    const fin = c.final(); // empty for GCM and ChaCha20-Poly1305 (stream modes)
    const ciphertext = fin.length === 0 ? u8(body) : u8(Buffer.concat([body, fin]));
    return { ciphertext, tag: u8(c.getAuthTag()) };
  }
  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = this.#cipher(nonce, aad);
    // Every byte of `out` is written below, so it need not be zero-filled (measured ~0.7 µs per 16 KiB record).
    const out = Buffer.allocUnsafeSlow(prefix.length + plaintext.length + 16);
    out.set(prefix, 0);
    let at = prefix.length;
    const body = c.update(plaintext);
    out.set(body, at);
    at += body.length;
    const fin = c.final();
    if (fin.length) out.set(fin, at);
    out.set(c.getAuthTag(), prefix.length + plaintext.length);
    return u8(out);
  }
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < 16) return null;
    const n = sealed.length - 16;
    const d = nc.createDecipheriv(this.#alg, this.#key, nonce, TAG16);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(n));
    const body = d.update(sealed.subarray(0, n));
    try {
      const fin = d.final();
      if (fin.length) return u8(Buffer.concat([body, fin]));
    } catch {
      return null;
    }
    return u8(body);
  }
}

/** PKCS#8 PrivateKeyInfo of an X25519 key up to its 32-byte private key (RFC 8410 §7). */
const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/** Import an X25519 private key from its 32 bytes. */
type X25519Import = (d: Uint8Array) => nc.KeyObject;

/**
 * The fastest X25519 private-key import this Node accepts: a JWK with a placeholder public part, which Node 20–22
 * do not check against the private key (PKCS#8 DER is ~10x slower there), else PKCS#8 DER (Node 24 checks the JWK's
 * x and refuses a placeholder; DER is as fast as JWK there). Probed once per provider.
 */
function x25519Importer(): X25519Import {
  const jwk: X25519Import = (d) => nc.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(d), x: DUMMY_X }, format: 'jwk' });
  try {
    jwk(new Uint8Array(32).fill(1));
    return jwk;
  } catch {
    return (d) => {
      const der = new Uint8Array(X25519_PKCS8_PREFIX.length + 32);
      der.set(X25519_PKCS8_PREFIX, 0);
      der.set(d, X25519_PKCS8_PREFIX.length);
      try {
        return nc.createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: 'der', type: 'pkcs8' });
      } finally {
        der.fill(0);
      }
    };
  }
}

/** X25519 client half, from 32 random bytes. */
function x25519Private(importKey: X25519Import, d: Uint8Array): { key: nc.KeyObject; pub: Uint8Array } {
  const key = importKey(d);
  const x = nc.createPublicKey(key).export({ format: 'jwk' }).x as string;
  return { key, pub: u8(Buffer.from(x, 'base64url')) };
}

function x25519Derive(priv: nc.KeyObject, peer: Uint8Array): Uint8Array {
  if (peer.length !== 32) throw illegalShare('x25519 share must be 32 bytes');
  let shared: Buffer;
  try {
    const publicKey = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(peer) }, format: 'jwk' });
    shared = nc.diffieHellman({ privateKey: priv, publicKey });
  } catch (e) {
    throw illegalShare('invalid x25519 share', e);
  }
  // RFC 8446 §7.4.2: an all-zero X25519 result MUST be rejected.
  let any = 0;
  for (let i = 0; i < shared.length; i++) any |= shared[i] as number;
  if (any === 0) throw illegalShare('x25519 shared secret is all zero');
  return u8(shared);
}

const EC_CURVES: Record<number, { name: string; len: number; scalar: number }> = {
  [NamedGroup.secp256r1]: { name: 'prime256v1', len: 65, scalar: 32 },
  [NamedGroup.secp384r1]: { name: 'secp384r1', len: 97, scalar: 48 },
};

function ecdhDerive(ecdh: nc.ECDH, peer: Uint8Array, len: number): Uint8Array {
  // RFC 8446 §4.2.8.2: uncompressed points only, validated.
  if (peer.length !== len || peer[0] !== 4) throw illegalShare('EC share must be an uncompressed point');
  try {
    return u8(ecdh.computeSecret(peer));
  } catch (e) {
    throw illegalShare('invalid EC share', e);
  }
}


function isPss(scheme: number): boolean {
  return scheme >= 0x0804 && scheme <= 0x0806 || scheme >= 0x0809 && scheme <= 0x080b;
}
function isPkcs1(scheme: number): boolean {
  return (scheme & 0xff) === 0x01;
}

function keyAlgorithm(k: nc.KeyObject): { algorithm: KeyAlgorithm; bits: number } {
  const t = k.asymmetricKeyType;
  const d = k.asymmetricKeyDetails ?? {};
  switch (t) {
    case 'rsa':
      return { algorithm: 'rsa', bits: d.modulusLength ?? 0 };
    case 'rsa-pss':
      return { algorithm: 'rsa-pss', bits: d.modulusLength ?? 0 };
    case 'ec': {
      const c = d.namedCurve;
      if (c === 'prime256v1') return { algorithm: 'ec-p256', bits: 256 };
      if (c === 'secp384r1') return { algorithm: 'ec-p384', bits: 384 };
      if (c === 'secp521r1') return { algorithm: 'ec-p521', bits: 521 };
      throw configError(`unsupported EC curve ${String(c)}`);
    }
    case 'ed25519':
      return { algorithm: 'ed25519', bits: 0 };
    case 'ed448':
      return { algorithm: 'ed448', bits: 0 };
    default:
      throw configError(`unsupported key type ${String(t)}`);
  }
}

function signOpts(k: nc.KeyObject, scheme: number): nc.SignKeyObjectInput {
  if (isPss(scheme)) return { key: k, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: nc.constants.RSA_PSS_SALTLEN_DIGEST };
  if (isPkcs1(scheme)) return { key: k, padding: nc.constants.RSA_PKCS1_PADDING };
  return { key: k, dsaEncoding: 'der' };
}

class NodeSigningKey implements SigningKey {
  readonly algorithm: KeyAlgorithm;
  readonly bits: number;
  readonly spki: Uint8Array;
  readonly #key: nc.KeyObject;
  constructor(key: nc.KeyObject) {
    this.#key = key;
    const a = keyAlgorithm(key);
    this.algorithm = a.algorithm;
    this.bits = a.bits;
    this.spki = u8(nc.createPublicKey(key).export({ format: 'der', type: 'spki' }));
  }
  sign(scheme: number, data: Uint8Array): Uint8Array {
    const h = signatureSchemeHash(scheme);
    if (h === undefined) throw configError(`cannot sign with scheme ${scheme}`);
    return u8(nc.sign(h, data, signOpts(this.#key, scheme)));
  }
}

class NodeVerifyingKey implements VerifyingKey {
  readonly algorithm: KeyAlgorithm;
  readonly bits: number;
  readonly #key: nc.KeyObject;
  constructor(key: nc.KeyObject) {
    this.#key = key;
    const a = keyAlgorithm(key);
    this.algorithm = a.algorithm;
    this.bits = a.bits;
  }
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const h = signatureSchemeHash(scheme);
    if (h === undefined) return false;
    try {
      return nc.verify(h, data, signOpts(this.#key, scheme) as nc.VerifyKeyObjectInput, signature);
    } catch {
      return false;
    }
  }
}


/** What a Kem that draws its own randomness is given instead of a seed. */
const NO_SEED = new Uint8Array(0);

/**
 * System randomness drawn from a 4 KiB pool refilled by randomFillSync: one OpenSSL call per ~100 small requests
 * instead of one each (≈ 4 µs a call). Every request gets fresh bytes (copied out, never reused).
 */
export function pooledRandom(): (n: number) => Uint8Array {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return (n) => {
    if (n > 256) return u8(nc.randomBytes(n));
    if (at + n > pool.length) {
      nc.randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}

/** Options of the node:crypto provider. */
export interface NodeProviderOptions {
  /** Override randomness (tests). */
  readonly randomBytes?: (n: number) => Uint8Array;
  /** Override the clock (tests), ms since epoch. */
  readonly now?: () => number;
  /**
   * The ML-KEM-768 behind X25519MLKEM768: e.g. `await loadMlKem768Wasm()` (crypto/mlkem-wasm.ts, about 5x faster
   * than noble); null to offer no hybrid group. By default node:crypto's own when the running Node has it (Node 24+,
   * crypto/mlkem-node.ts) and randomness is not overridden, else the pure-JavaScript @noble/post-quantum one.
   */
  readonly mlkem?: Kem | null;
}

/** The CryptoProvider on node:crypto. */
/** Sixteen zero bytes: the ChaCha20 input whose ciphertext is the keystream block (the record number mask). */
const ZERO_BLOCK = new Uint8Array(16);

export class NodeCryptoProvider implements CryptoProvider {
  readonly #random: (n: number) => Uint8Array;
  readonly #now: () => number;
  readonly #verifyCache = new Map<string, VerifyingKey>();
  readonly #mlkem: Kem | null | undefined;
  readonly #x25519Import: X25519Import = x25519Importer();

  constructor(opts: NodeProviderOptions = {}) {
    this.#random = opts.randomBytes ?? pooledRandom();
    this.#now = opts.now ?? Date.now;
    // node:crypto's ML-KEM (Node 24+) draws encapsulation randomness itself: not for a provider whose randomness
    // is overridden (seeded, reproducible handshakes), which keeps noble's derandomised forms.
    this.#mlkem = opts.mlkem !== undefined || opts.randomBytes !== undefined ? opts.mlkem : nodeMlKem768(nc as unknown as NodeKemFunctions);
  }

  /** The ML-KEM-768 in use (the option, else the module's default); undefined when the hybrid group is off. */
  get #kem(): Kem | undefined {
    return this.#mlkem === null ? undefined : (this.#mlkem ?? mlKem768);
  }

  get supportedGroups(): readonly number[] {
    const g: number[] = [];
    if (this.#kem !== undefined) g.push(NamedGroup.X25519MLKEM768);
    g.push(NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1);
    return g;
  }

  randomBytes(n: number): Uint8Array {
    return this.#random(n);
  }
  now(): number {
    return this.#now();
  }
  hash(alg: HashAlg, data: Uint8Array): Uint8Array {
    return u8(nc.createHash(alg).update(data).digest());
  }
  createHash(alg: HashAlg): RunningHash {
    return new NodeRunningHash(nc.createHash(alg));
  }
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
    return u8(nc.createHmac(alg, key).update(data).digest());
  }
  /** The digest's Buffer as it is (see CryptoProvider.hmacKeyMaterial: the engine only reads it). */
  hmacKeyMaterial(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
    return nc.createHmac(alg, key).update(data).digest();
  }
  aead(alg: AeadAlg, key: Uint8Array): Aead {
    return new NodeAead(alg, key);
  }
  recordNumberMask(alg: AeadAlg, key: Uint8Array, sample: Uint8Array): Uint8Array {
    if (sample.length !== 16) throw internalError('record number mask: the sample is 16 bytes');
    if (alg === 'chacha20-poly1305') {
      // node's chacha20 IV is the RFC 8439 block input: 32-bit little-endian counter ‖ 96-bit nonce, as sampled.
      return u8(nc.createCipheriv('chacha20', key, sample).update(ZERO_BLOCK));
    }
    const c = nc.createCipheriv(alg === 'aes-128-gcm' ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
    c.setAutoPadding(false);
    return u8(c.update(sample));
  }

  keyExchangeClient(group: number): KeyExchangeClient | undefined {
    if (group === NamedGroup.x25519) {
      const { key, pub } = x25519Private(this.#x25519Import, this.#random(32));
      return { group, publicKey: pub, complete: (peer) => x25519Derive(key, peer) };
    }
    const curve = EC_CURVES[group];
    if (curve !== undefined) {
      const ecdh = this.#ecdh(curve.name, curve.scalar);
      return { group, publicKey: u8(ecdh.getPublicKey()), complete: (peer) => ecdhDerive(ecdh, peer, curve.len) };
    }
    const kem = this.#kem;
    if (group === NamedGroup.X25519MLKEM768 && kem !== undefined) {
      const x = x25519Private(this.#x25519Import, this.#random(32));
      return hybridClient(group, kem, kem.usesCallerRandomness ? this.#random(64) : NO_SEED, x.pub, (peer) => x25519Derive(x.key, peer));
    }
    return undefined;
  }

  keyExchangeServer(group: number, clientShare: Uint8Array): KeyExchangeServerResult {
    const kem = this.#kem;
    if (group === NamedGroup.X25519MLKEM768 && kem !== undefined) {
      const x = x25519Private(this.#x25519Import, this.#random(32));
      return hybridServer(kem, kem.usesCallerRandomness ? this.#random(32) : NO_SEED, clientShare, x.pub, (peer) => x25519Derive(x.key, peer));
    }
    if (group === NamedGroup.x25519) {
      // Our half and the shared secret at once (no client-side object and closure in between).
      const x = x25519Private(this.#x25519Import, this.#random(32));
      return { publicKey: x.pub, sharedSecret: x25519Derive(x.key, clientShare) };
    }
    const kx = this.keyExchangeClient(group);
    if (kx === undefined) throw configError(`unsupported group ${group}`);
    const sharedSecret = kx.complete(clientShare);
    return { publicKey: kx.publicKey, sharedSecret };
  }

  #ecdh(name: string, scalarLen: number): nc.ECDH {
    const ecdh = nc.createECDH(name);
    // A random scalar ≥ the group order is rejected by OpenSSL; retry (probability ~2^-32 for P-256).
    for (;;) {
      try {
        ecdh.setPrivateKey(this.#random(scalarLen));
        return ecdh;
      } catch {
        /* try another scalar */
      }
    }
  }

  loadSigningKey(key: string | Uint8Array): SigningKey {
    let k: nc.KeyObject;
    try {
      k = typeof key === 'string'
        ? nc.createPrivateKey(key)
        : nc.createPrivateKey({ key: Buffer.from(key.buffer, key.byteOffset, key.byteLength), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw configError(`cannot read private key: ${(e as Error).message}`);
    }
    return new NodeSigningKey(k);
  }

  loadVerifyingKey(spki: Uint8Array): VerifyingKey {
    const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('base64');
    const hit = this.#verifyCache.get(id);
    if (hit !== undefined) return hit;
    let k: nc.KeyObject;
    try {
      k = nc.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    } catch (e) {
      throw configError(`cannot read public key: ${(e as Error).message}`);
    }
    const v = new NodeVerifyingKey(k);
    if (this.#verifyCache.size > 1024) this.#verifyCache.clear();
    this.#verifyCache.set(id, v);
    return v;
  }

  equalSecret(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && nc.timingSafeEqual(a, b);
  }
}

let defaultProvider: NodeCryptoProvider | undefined;
/** The shared default provider (system randomness and clock). */
export function getDefaultProvider(): NodeCryptoProvider {
  defaultProvider ??= new NodeCryptoProvider();
  return defaultProvider;
}

/** CredentialCrypto over node:crypto (PKCS#12, encrypted keys, certificate stores: src/credentials, src/sspi/cert-store.ts). */
export class NodeCredentialCrypto implements CredentialCrypto {
  digest(alg: CredentialHash, ...parts: readonly Uint8Array[]): Uint8Array {
    const h = nc.createHash(alg);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  }
  hmac(alg: CredentialHash, key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(nc.createHmac(alg, key).update(data).digest());
  }
  pbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number, keyLen: number, alg: CredentialHash): Uint8Array {
    return new Uint8Array(nc.pbkdf2Sync(password, salt, iterations, keyLen, alg));
  }
  scrypt(password: Uint8Array, salt: Uint8Array, keyLen: number, params: { readonly N: number; readonly r: number; readonly p: number }): Uint8Array {
    const maxmem = 128 * params.N * params.r + 2 * 1024 * 1024;
    return new Uint8Array(nc.scryptSync(password, salt, keyLen, { N: params.N, r: params.r, p: params.p, maxmem }));
  }
  hasCipher(name: string): boolean {
    if (!nc.getCiphers().includes(name)) return false;
    try {
      const info = nc.getCipherInfo(name);
      nc.createDecipheriv(name, new Uint8Array(info?.keyLength ?? 16), info?.ivLength === undefined ? null : new Uint8Array(info.ivLength));
      return true;
    } catch {
      return false; // listed but not loadable (OpenSSL 3 without the legacy provider)
    }
  }
  decrypt(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
    const d = nc.createDecipheriv(cipher, key, iv);
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  }
  encrypt(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
    const c = nc.createCipheriv(cipher, key, iv);
    return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
  }
  randomBytes(n: number): Uint8Array {
    return new Uint8Array(nc.randomBytes(n));
  }
  equal(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && nc.timingSafeEqual(a, b);
  }
  privateKey(key: string | Uint8Array, passphrase?: string): PrivateKeyDer {
    const k =
      typeof key === 'string'
        ? nc.createPrivateKey(passphrase === undefined ? { key, format: 'pem' } : { key, format: 'pem', passphrase })
        : nc.createPrivateKey({ key: Buffer.from(key.buffer, key.byteOffset, key.byteLength), format: 'der', type: 'pkcs8' });
    return {
      pkcs8: new Uint8Array(k.export({ type: 'pkcs8', format: 'der' })),
      spki: new Uint8Array(nc.createPublicKey(k).export({ type: 'spki', format: 'der' })),
    };
  }
}

/** A NodeCredentialCrypto (stateless; a new one is as good as any). */
export function getDefaultCredentialCrypto(): CredentialCrypto {
  return new NodeCredentialCrypto();
}

/**
 * node:crypto's X509Certificate for DER bytes: only for node:tls-shaped accessors of the node adapter
 * (getPeerX509Certificate, getPeerCertificate's key fields). Validation never uses it; that parser is ours.
 */
export function nodeX509Certificate(der: Uint8Array): nc.X509Certificate {
  return new nc.X509Certificate(der);
}

/**
 * The SubjectPublicKeyInfo (DER, base64) of a certificate (PEM or DER) or of a private key (PEM, or PKCS#8 DER;
 * encrypted with `passphrase`), for matching keys to certificates; undefined when node:crypto cannot read it.
 */
export function publicKeyInfoOf(input: { readonly certificate: string | Uint8Array } | { readonly privateKey: string | Uint8Array; readonly der: boolean; readonly passphrase?: string }): string | undefined {
  try {
    const key =
      'certificate' in input
        ? new nc.X509Certificate(typeof input.certificate === 'string' ? input.certificate : Buffer.from(input.certificate)).publicKey
        : nc.createPublicKey(
            nc.createPrivateKey({
              key: typeof input.privateKey === 'string' ? input.privateKey : Buffer.from(input.privateKey),
              ...(input.der ? { format: 'der' as const, type: 'pkcs8' as const } : {}),
              ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
            }),
          );
    return key.export({ type: 'spki', format: 'der' }).toString('base64');
  } catch {
    return undefined;
  }
}
