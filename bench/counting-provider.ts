/**
 * A CryptoProvider that forwards to NodeCryptoProvider and counts every call by kind. Used to check that
 * crypto-floor.ts replays exactly the node:crypto operations one handshake makes (bench/run.ts prints the counts).
 */
import { NodeCryptoProvider } from '../src/index.js';
import type { CryptoProvider } from '../src/index.js';

type Prov = CryptoProvider;
type RunningHash = ReturnType<Prov['createHash']>;
type Aead = ReturnType<Prov['aead']>;

/** Counts of provider calls, by operation. */
export type OpCounts = Record<string, number>;

/** One recorded call: its kind and the sizes the replay needs (bytes). */
export interface RecordedOp {
  readonly op: string;
  readonly alg?: string;
  readonly len?: number;
  readonly keyLen?: number;
  readonly scheme?: number;
  /** Which hash/AEAD object the call is on (created by createHash / hash.fork / aead.key with that id). */
  readonly obj?: number;
}

export class CountingProvider implements CryptoProvider {
  readonly inner: NodeCryptoProvider;
  counts: OpCounts = {};
  /** Every call in order, when recording (set to [] to start). */
  trace: RecordedOp[] | null = null;
  #ids = 0;
  constructor(inner = new NodeCryptoProvider()) {
    this.inner = inner;
  }
  #n(k: string, rec?: RecordedOp): void {
    this.counts[k] = (this.counts[k] ?? 0) + 1;
    if (rec !== undefined) this.trace?.push(rec);
  }
  reset(): OpCounts {
    const c = this.counts;
    this.counts = {};
    return c;
  }
  get supportedGroups(): readonly number[] {
    return this.inner.supportedGroups;
  }
  randomBytes(n: number): Uint8Array {
    this.#n('randomBytes', { op: 'randomBytes', len: n });
    return this.inner.randomBytes(n);
  }
  now(): number {
    return this.inner.now();
  }
  hash(alg: Parameters<Prov['hash']>[0], data: Uint8Array): Uint8Array {
    this.#n(`hash ${alg}`, { op: 'hash', alg, len: data.length });
    return this.inner.hash(alg, data);
  }
  recordNumberMask(alg: Parameters<Prov['recordNumberMask']>[0], key: Uint8Array, sample: Uint8Array): Uint8Array {
    this.#n(`recordNumberMask ${alg}`);
    return this.inner.recordNumberMask(alg, key, sample);
  }
  createHash(alg: Parameters<Prov['createHash']>[0]): RunningHash {
    const id = ++this.#ids;
    this.#n(`createHash ${alg}`, { op: 'createHash', alg, obj: id });
    return this.#wrapHash(this.inner.createHash(alg), id);
  }
  #wrapHash(h: RunningHash, id: number): RunningHash {
    return {
      update: (d) => {
        this.#n('hash.update', { op: 'hash.update', len: d.length, obj: id });
        h.update(d);
      },
      peek: () => {
        this.#n('hash.copy+digest', { op: 'hash.peek', obj: id });
        return h.peek();
      },
      fork: () => {
        const nid = ++this.#ids;
        this.#n('hash.copy', { op: 'hash.fork', obj: id, len: nid });
        return this.#wrapHash(h.fork(), nid);
      },
    };
  }
  hmac(alg: Parameters<Prov['hmac']>[0], key: Uint8Array, data: Uint8Array): Uint8Array {
    this.#n(`hmac ${alg}`, { op: 'hmac', alg, keyLen: key.length, len: data.length });
    return this.inner.hmac(alg, key, data);
  }
  aead(alg: Parameters<Prov['aead']>[0], key: Uint8Array): Aead {
    const id = ++this.#ids;
    this.#n(`aead key ${alg}`, { op: 'aead.key', alg, keyLen: key.length, obj: id });
    const a = this.inner.aead(alg, key);
    return {
      tagLen: a.tagLen,
      seal: (n, aad, p) => {
        this.#n(`aead seal ${alg}`, { op: 'aead.seal', alg, len: p.length, keyLen: aad.length, obj: id });
        return a.seal(n, aad, p);
      },
      sealInto: (n, aad, p, o, off) => {
        this.#n(`aead seal ${alg}`, { op: 'aead.seal', alg, len: p.length, keyLen: aad.length, obj: id });
        return a.sealInto(n, aad, p, o, off);
      },
      sealParts: (n, aad, p) => {
        this.#n(`aead seal ${alg}`, { op: 'aead.seal', alg, len: p.length, keyLen: aad.length, obj: id });
        return a.sealParts(n, aad, p);
      },
      sealRecord: (n, aad, prefix, p) => {
        this.#n(`aead seal ${alg}`, { op: 'aead.seal', alg, len: p.length, keyLen: aad.length, obj: id });
        return a.sealRecord(n, aad, prefix, p);
      },
      open: (n, aad, s) => {
        this.#n(`aead open ${alg}`, { op: 'aead.open', alg, len: s.length, keyLen: aad.length, obj: id });
        return a.open(n, aad, s);
      },
    };
  }
  keyExchangeClient(group: number): ReturnType<Prov['keyExchangeClient']> {
    this.#n(`kx keygen ${group}`, { op: 'kx.keygen', scheme: group });
    const k = this.inner.keyExchangeClient(group);
    if (k === undefined) return undefined;
    return {
      group: k.group,
      publicKey: k.publicKey,
      complete: (s) => {
        this.#n(`kx derive ${group}`, { op: 'kx.derive', scheme: group });
        return k.complete(s);
      },
    };
  }
  keyExchangeServer(group: number, share: Uint8Array): ReturnType<Prov['keyExchangeServer']> {
    this.#n(`kx keygen ${group}`, { op: 'kx.keygen', scheme: group });
    this.#n(`kx derive ${group}`, { op: 'kx.derive', scheme: group });
    return this.inner.keyExchangeServer(group, share);
  }
  loadSigningKey(key: string | Uint8Array): ReturnType<Prov['loadSigningKey']> {
    const k = this.inner.loadSigningKey(key);
    return {
      algorithm: k.algorithm,
      bits: k.bits,
      spki: k.spki,
      sign: (scheme, data) => {
        this.#n(`sign 0x${scheme.toString(16).padStart(4, '0')}`, { op: 'sign', scheme, len: data.length });
        return k.sign(scheme, data);
      },
    };
  }
  loadVerifyingKey(spki: Uint8Array): ReturnType<Prov['loadVerifyingKey']> {
    this.#n('loadVerifyingKey (cached by SPKI)', { op: 'loadVerifyingKey', len: spki.length });
    const k = this.inner.loadVerifyingKey(spki);
    return {
      algorithm: k.algorithm,
      bits: k.bits,
      verify: (scheme, data, sig) => {
        this.#n(`verify 0x${scheme.toString(16).padStart(4, '0')}`, { op: 'verify', scheme, len: data.length });
        return k.verify(scheme, data, sig);
      },
    };
  }
  equalSecret(a: Uint8Array, b: Uint8Array): boolean {
    this.#n('timingSafeEqual', { op: 'timingSafeEqual', len: a.length });
    return this.inner.equalSecret(a, b);
  }
}
