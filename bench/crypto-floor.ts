/**
 * The crypto floor: the summed cost of exactly the node:crypto calls one handshake makes, with none of our code
 * around them. We record one steady-state handshake through a counting provider (bench/counting-provider.ts), then
 * replay its calls with bare node:crypto, the same way crypto/node-provider.ts makes them, on inputs of the same
 * sizes prepared in advance. Time per handshake ÷ floor is then our JS overhead.
 *
 * What one full TLS 1.3 handshake costs (x25519, AES-128-GCM, SHA-256, 2 tickets; ECDSA P-256 or RSA-2048 PSS),
 * steady state (client caches warm), as recorded on this engine — run.ts prints the live count each run:
 *
 *   server: x25519 keygen (32 random bytes → JWK import → public-key JWK export) ×1, x25519 derive (JWK import
 *           of the peer share + diffieHellman) ×1, sign ×1 (ECDSA P-256 / RSA-PSS), HMAC-SHA256 ×23 (key schedule:
 *           Extract ×2 — the early secret and its "derived" are constants without a PSK —, Derive-Secret ×7,
 *           traffic key+iv ×4 secrets = 8, finished key+MAC ×2 each = 4, resumption PSK per ticket ×2),
 *           transcript: createHash ×1, update ×7, copy+digest ×5 (a hash needed twice is computed once);
 *           AES-128-GCM createSecretKey ×4, createCipheriv ×2 seal + createDecipheriv ×1 open (the handshake
 *           records); tickets: AES-256-GCM seal ×2 under one key object; randomBytes ×5 (pooled); timingSafeEqual ×1.
 *   client: x25519 keygen ×1 + derive ×1, verify ×1 (CertificateVerify; the chain signature is cached by
 *           ChainVerifier), HMAC-SHA256 ×23, transcript: createHash ×1, update ×7, copy+digest ×5; AES-128-GCM
 *           createSecretKey ×4, open ×2, seal ×1; randomBytes ×2; timingSafeEqual ×1. No SHA-256 of the leaf:
 *           the X.509 parse cache confirms a hit by comparing bytes.
 *
 * Not in the floor: the X.509 DER parse (JS, ours, cached) and SPKI import (cached by the provider).
 */
import * as nc from 'node:crypto';
import type { BenchCert } from './certs.js';
import { pooledRandom } from '../src/crypto/node-provider.js';
import { CountingProvider, type OpCounts, type RecordedOp } from './counting-provider.js';
import { handshake, makePair, type PairOptions } from './ours.js';

export interface RecordedHandshake {
  readonly server: RecordedOp[];
  readonly client: RecordedOp[];
  readonly serverCounts: OpCounts;
  readonly clientCounts: OpCounts;
}

/** Record the provider calls of one steady-state handshake (after `warm` handshakes that fill the caches). */
export function recordHandshake(cert: BenchCert, o: PairOptions = {}, warm = 2): RecordedHandshake {
  const sp = new CountingProvider();
  const cp = new CountingProvider();
  const s = makePair(cert, { ...o, provider: sp });
  const c = makePair(cert, { ...o, provider: cp });
  const pair = { server: s.server, client: c.client };
  c.client.resume = o.resume ?? false;
  for (let i = 0; i < warm; i++) handshake(pair);
  sp.reset();
  cp.reset();
  sp.trace = [];
  cp.trace = [];
  handshake(pair);
  const out = { server: sp.trace, client: cp.trace, serverCounts: sp.reset(), clientCounts: cp.reset() };
  sp.trace = null;
  cp.trace = null;
  return out;
}

const HASH_OF_SCHEME: Record<number, string> = { 0x0403: 'sha256', 0x0503: 'sha384', 0x0804: 'sha256', 0x0805: 'sha384', 0x0401: 'sha256' };
function signOpts(k: nc.KeyObject, scheme: number): nc.SignKeyObjectInput {
  if ((scheme >= 0x0804 && scheme <= 0x0806) || (scheme >= 0x0809 && scheme <= 0x080b)) {
    return { key: k, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: nc.constants.RSA_PSS_SALTLEN_DIGEST };
  }
  if ((scheme & 0xff) === 0x01) return { key: k, padding: nc.constants.RSA_PKCS1_PADDING };
  return { key: k, dsaEncoding: 'der' };
}

const DUMMY_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Build a function that replays `ops` with bare node:crypto. Inputs (keys, data, valid ciphertexts and signatures)
 * are made here, outside the timed replay.
 */
export function prepareReplay(ops: readonly RecordedOp[], cert: BenchCert): () => void {
  const priv = nc.createPrivateKey(cert.key);
  const pub = nc.createPublicKey(new nc.X509Certificate(cert.cert).publicKey.export({ format: 'pem', type: 'spki' }));
  const peerX = (nc.createPublicKey(nc.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: nc.randomBytes(32).toString('base64url'), x: DUMMY_X }, format: 'jwk' })).export({ format: 'jwk' }).x) as string;
  const buf = (n: number): Buffer => nc.randomBytes(n);
  const nonce = buf(12);
  // Per-op prepared inputs.
  const steps: (() => void)[] = [];
  const hashes = new Map<number, nc.Hash>();
  const aeadKeys = new Map<number, nc.KeyObject>();
  // A key made before the recorded handshake (ticket keys: one AEAD per ticket key, made once) is not part of the
  // per-handshake cost; the replay makes it up front.
  const preKeys = new Map<number, nc.KeyObject>();
  const recordedKeys = new Set<number>();
  const cachedKey = (id: number, alg: string): nc.KeyObject => {
    let k = preKeys.get(id);
    if (k === undefined) {
      k = nc.createSecretKey(nc.randomBytes(alg === 'aes-128-gcm' ? 16 : 32));
      preKeys.set(id, k);
    }
    return k;
  };
  let xPriv: nc.KeyObject | undefined;
  // Randomness as the provider draws it (crypto/node-provider.ts pooledRandom): small requests are cut from a 4 KiB
  // pool refilled by one randomFillSync, not one OpenSSL call each.
  const random = pooledRandom();
  for (const op of ops) {
    const len = op.len ?? 0;
    switch (op.op) {
      case 'randomBytes':
        steps.push(() => random(len));
        break;
      case 'hash': {
        const d = buf(len);
        const alg = op.alg as string;
        steps.push(() => nc.createHash(alg).update(d).digest());
        break;
      }
      case 'createHash': {
        const id = op.obj as number;
        const alg = op.alg as string;
        steps.push(() => hashes.set(id, nc.createHash(alg)));
        break;
      }
      case 'hash.update': {
        const id = op.obj as number;
        const d = buf(len);
        steps.push(() => (hashes.get(id) as nc.Hash).update(d));
        break;
      }
      case 'hash.peek': {
        const id = op.obj as number;
        steps.push(() => (hashes.get(id) as nc.Hash).copy().digest());
        break;
      }
      case 'hash.fork': {
        const id = op.obj as number;
        const nid = op.len as number;
        steps.push(() => hashes.set(nid, (hashes.get(id) as nc.Hash).copy()));
        break;
      }
      case 'hmac': {
        const k = buf(op.keyLen ?? 32);
        const d = buf(len);
        const alg = op.alg as string;
        steps.push(() => nc.createHmac(alg, k).update(d).digest());
        break;
      }
      case 'aead.key': {
        const id = op.obj as number;
        recordedKeys.add(id);
        const k = buf(op.keyLen ?? 16);
        steps.push(() => aeadKeys.set(id, nc.createSecretKey(k)));
        break;
      }
      case 'aead.seal': {
        const id = op.obj as number;
        if (!recordedKeys.has(id)) cachedKey(id, op.alg as string);
        const alg = op.alg as nc.CipherGCMTypes;
        const aad = buf(op.keyLen ?? 5);
        const pt = buf(len);
        steps.push(() => {
          const c = nc.createCipheriv(alg, (aeadKeys.get(id) ?? (preKeys.get(id) as nc.KeyObject)), nonce, { authTagLength: 16 });
          c.setAAD(aad, { plaintextLength: pt.length });
          c.update(pt);
          c.final();
          c.getAuthTag();
        });
        break;
      }
      case 'aead.open': {
        // A valid ciphertext for the key this replay will install under `id` (its bytes are fixed here).
        const id = op.obj as number;
        const alg = op.alg as nc.CipherGCMTypes;
        const aad = buf(op.keyLen ?? 5);
        const n = len - 16;
        const keyBytes = buf(alg === 'aes-128-gcm' ? 16 : 32);
        const c = nc.createCipheriv(alg, keyBytes, nonce, { authTagLength: 16 });
        c.setAAD(aad, { plaintextLength: n });
        const ct = Buffer.concat([c.update(buf(n)), c.final()]);
        const tag = c.getAuthTag();
        // The replay's key object for `id` (made at its aead.key step, which is timed) has other bytes; open under a
        // key made here for this ciphertext instead: same cost.
        void id;
        const ko = nc.createSecretKey(keyBytes);
        steps.push(() => {
          const d = nc.createDecipheriv(alg, ko, nonce, { authTagLength: 16 });
          d.setAAD(aad, { plaintextLength: n });
          d.setAuthTag(tag);
          d.update(ct);
          d.final();
        });
        break;
      }
      case 'kx.keygen':
        steps.push(() => {
          const r = random(32);
          const d = Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('base64url');
          xPriv = nc.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: DUMMY_X }, format: 'jwk' });
          void nc.createPublicKey(xPriv).export({ format: 'jwk' }).x;
        });
        break;
      case 'kx.derive':
        steps.push(() => {
          const publicKey = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerX }, format: 'jwk' });
          nc.diffieHellman({ privateKey: xPriv as nc.KeyObject, publicKey });
        });
        break;
      case 'sign': {
        const scheme = op.scheme as number;
        const d = buf(len);
        const h = HASH_OF_SCHEME[scheme] ?? 'sha256';
        const opts = signOpts(priv, scheme);
        steps.push(() => nc.sign(h, d, opts));
        break;
      }
      case 'verify': {
        const scheme = op.scheme as number;
        const d = buf(len);
        const h = HASH_OF_SCHEME[scheme] ?? 'sha256';
        const sig = nc.sign(h, d, signOpts(priv, scheme));
        const opts = signOpts(pub, scheme) as nc.VerifyKeyObjectInput;
        steps.push(() => {
          if (!nc.verify(h, d, opts, sig)) throw new Error('floor: verify failed');
        });
        break;
      }
      case 'loadVerifyingKey':
        // Cached by SPKI in the provider after the first handshake: no node:crypto call.
        break;
      case 'timingSafeEqual': {
        const a = buf(len);
        const b = Buffer.from(a);
        steps.push(() => nc.timingSafeEqual(a, b));
        break;
      }
      default:
        throw new Error(`floor: unknown op ${op.op}`);
    }
  }
  return () => {
    for (const s of steps) s();
    hashes.clear();
    aeadKeys.clear();
  };
}

/** Number of node:crypto-level operations in a recording (for the table's footnote). */
export function opCount(ops: readonly RecordedOp[]): number {
  return ops.filter((o) => o.op !== 'loadVerifyingKey').length;
}
