/**
 * The DTLS 1.2 record layer (RFC 6347 §4.1): explicit epoch and sequence number per record, AEAD protection as in
 * TLS 1.2 with epoch ‖ sequence_number as the 64-bit seq_num (RFC 5288 GCM with that value as the explicit nonce,
 * RFC 7905 ChaCha20-Poly1305 with the XOR nonce), one replay window per read epoch.
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { limitExceeded } from '../errors.js';
import { ContentType } from '../wire/registry.js';
import type { DatagramRecordLayer, DropCounts, EpochKeys, ReceivedRecord } from './record-layer.js';
import { DTLS_RECORD_HEADER, DTLS10, DTLS12, encodeRecordHeader, epochSeq, MAX_RECORD_SEQ, splitDatagram, type DtlsRecord } from './record.js';
import { ReplayWindow } from './replay-window.js';

/** Records of the next epoch held until its keys arrive (a reordered Finished before its ChangeCipherSpec). */
export const MAX_EARLY_RECORDS = 16;
/** Largest DTLSCiphertext body (RFC 6347 §4.1: 2^14 + 2048). */
const MAX_BODY = 16384 + 2048;

interface Protection {
  readonly aead: Aead;
  readonly iv: Uint8Array;
  readonly explicitNonce: boolean;
}

interface WriteEpoch {
  readonly protection: Protection | undefined;
  seq: number;
}

interface ReadEpoch {
  readonly protection: Protection | undefined;
  readonly window: ReplayWindow;
}

function protection(p: CryptoProvider, keys: EpochKeys): Protection {
  return { aead: p.aead(keys.suite.aead, keys.key), iv: keys.iv, explicitNonce: keys.suite.explicitNonceLen > 0 };
}

/** GCM: salt ‖ explicit nonce (epoch ‖ seq); ChaCha20-Poly1305: iv XOR (0 ‖ epoch ‖ seq). */
function nonceFor(pr: Protection, es: Uint8Array): Uint8Array {
  const n = new Uint8Array(12);
  if (pr.explicitNonce) {
    n.set(pr.iv.subarray(0, 4));
    n.set(es, 4);
  } else {
    n.set(pr.iv);
    for (let i = 0; i < 8; i++) n[4 + i] = (n[4 + i] as number) ^ (es[i] as number);
  }
  return n;
}

function aad(es: Uint8Array, type: number, version: number, length: number): Uint8Array {
  const a = new Uint8Array(13);
  a.set(es);
  a[8] = type;
  a[9] = version >>> 8;
  a[10] = version & 0xff;
  a[11] = length >>> 8;
  a[12] = length & 0xff;
  return a;
}

export class DtlsRecordLayer12 implements DatagramRecordLayer {
  readonly #p: CryptoProvider;
  readonly #write = new Map<number, WriteEpoch>([[0, { protection: undefined, seq: 0 }]]);
  readonly #read = new Map<number, ReadEpoch>([[0, { protection: undefined, window: new ReplayWindow() }]]);
  #writeEpoch = 0;
  #readEpoch = 0;
  #early: DtlsRecord[] = [];
  /** The version written in record headers (DTLS 1.0's for a client's first ClientHello is allowed; we write 1.2). */
  readonly version = DTLS12;

  constructor(p: CryptoProvider) {
    this.#p = p;
  }

  get writeEpoch(): number {
    return this.#writeEpoch;
  }

  get readEpoch(): number {
    return this.#readEpoch;
  }

  overhead(epoch: number): number {
    const pr = this.#write.get(epoch)?.protection;
    if (pr === undefined) return DTLS_RECORD_HEADER;
    return DTLS_RECORD_HEADER + (pr.explicitNonce ? 8 : 0) + pr.aead.tagLen;
  }

  /** Seal a record; `seqOverride` is used once, for a HelloVerifyRequest (RFC 6347 §4.2.1: the ClientHello's sequence number). */
  seal(type: number, fragment: Uint8Array, epoch = this.#writeEpoch, seqOverride?: number): Uint8Array {
    const w = this.#write.get(epoch);
    if (w === undefined) throw limitExceeded('SequenceExhausted', { detail: `no write epoch ${epoch}` });
    let seq: number;
    if (seqOverride !== undefined) {
      seq = seqOverride;
      if (seq >= w.seq) w.seq = seq + 1;
    } else {
      seq = w.seq;
      if (seq > MAX_RECORD_SEQ) throw limitExceeded('SequenceExhausted');
      w.seq = seq + 1;
    }
    const pr = w.protection;
    if (pr === undefined) {
      const out = new Uint8Array(DTLS_RECORD_HEADER + fragment.length);
      out.set(encodeRecordHeader(type, this.version, epoch, seq, fragment.length));
      out.set(fragment, DTLS_RECORD_HEADER);
      return out;
    }
    const es = epochSeq(epoch, seq);
    const explicit = pr.explicitNonce ? 8 : 0;
    const bodyLen = explicit + fragment.length + pr.aead.tagLen;
    const prefix = new Uint8Array(DTLS_RECORD_HEADER + explicit);
    prefix.set(encodeRecordHeader(type, this.version, epoch, seq, bodyLen));
    if (explicit > 0) prefix.set(es, DTLS_RECORD_HEADER);
    return pr.aead.sealRecord(nonceFor(pr, es), aad(es, type, this.version, fragment.length), prefix, fragment);
  }

  /** Write the next record of `epoch` with a sequence number of at least `seq`. */
  advanceWriteSeq(epoch: number, seq: number): void {
    const w = this.#write.get(epoch);
    if (w !== undefined && seq > w.seq) w.seq = seq;
  }

  receive(datagram: Uint8Array, drops: DropCounts): ReceivedRecord[] {
    const out: ReceivedRecord[] = [];
    const records = splitDatagram(datagram);
    if (records.length === 0 && datagram.length > 0) drops.malformed++;
    for (const r of records) {
      if (r.epoch === this.#readEpoch + 1) {
        // Keys for the next epoch come with the peer's ChangeCipherSpec, which may still be on its way.
        if (this.#early.length < MAX_EARLY_RECORDS) this.#early.push({ ...r, header: r.header.slice(), body: r.body.slice() });
        drops.future++;
        continue;
      }
      const opened = this.#open(r, drops);
      if (opened !== undefined) out.push(opened);
    }
    return out;
  }

  #open(r: DtlsRecord, drops: DropCounts): ReceivedRecord | undefined {
    const e = this.#read.get(r.epoch);
    // RFC 6347 §4.1: the version must be DTLS (1.0 is allowed in a ClientHello's record and a HelloVerifyRequest's).
    if (e === undefined || (r.version !== DTLS12 && r.version !== DTLS10) || r.body.length > MAX_BODY) {
      drops.malformed++;
      return undefined;
    }
    if (!e.window.mayBeNew(r.seq)) {
      drops.replayed++;
      return undefined;
    }
    const pr = e.protection;
    let fragment: Uint8Array | null;
    if (pr === undefined) {
      fragment = r.body.slice();
    } else {
      const explicit = pr.explicitNonce ? 8 : 0;
      if (r.body.length < explicit + pr.aead.tagLen) {
        drops.badMac++;
        return undefined;
      }
      // RFC 5288 §3 leaves the explicit nonce to the sender: read it from the record.
      const es = epochSeq(r.epoch, r.seq);
      const nonce = explicit > 0 ? nonceFor(pr, r.body.subarray(0, 8)) : nonceFor(pr, es);
      const sealed = r.body.subarray(explicit);
      fragment = pr.aead.open(nonce, aad(es, r.type, r.version, sealed.length - pr.aead.tagLen), sealed);
      if (fragment === null) {
        drops.badMac++;
        return undefined;
      }
    }
    e.window.accept(r.seq);
    return { type: r.type, epoch: r.epoch, seq: r.seq, fragment };
  }

  installWrite(keys: EpochKeys): void {
    const next = this.#writeEpoch + 1;
    this.#write.set(next, { protection: protection(this.#p, keys), seq: 0 });
    // A retransmitted flight may span the previous epoch and this one; older ones are gone.
    this.#write.delete(next - 2);
    this.#writeEpoch = next;
  }

  installRead(keys: EpochKeys, drops: DropCounts): ReceivedRecord[] {
    const next = this.#readEpoch + 1;
    this.#read.set(next, { protection: protection(this.#p, keys), window: new ReplayWindow() });
    // The previous epoch stays readable: the peer's retransmitted flight may still arrive in it.
    this.#read.delete(next - 2);
    this.#readEpoch = next;
    const early = this.#early;
    this.#early = [];
    const out: ReceivedRecord[] = [];
    for (const r of early) {
      if (r.epoch !== next) continue;
      const opened = this.#open(r, drops);
      if (opened !== undefined) out.push(opened);
    }
    return out;
  }
}

/** Content types a DTLS 1.2 record may carry. */
export const DTLS12_CONTENT_TYPES: readonly number[] = [ContentType.ChangeCipherSpec, ContentType.Alert, ContentType.Handshake, ContentType.ApplicationData];
