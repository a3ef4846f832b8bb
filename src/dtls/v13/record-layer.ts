/**
 * The DTLS 1.3 record layer of one connection (RFC 9147 §4): epochs of keys per direction, protection into
 * DTLSCiphertext with the unified header and record number encryption, and deprotection with epoch selection,
 * sequence number reconstruction and the anti-replay window. Epoch 0 is DTLSPlaintext.
 *
 * Invalid records are dropped, never alerted (§4.5.2): `open` returns what deprotected and counts the rest. A
 * record that deprotects but whose content is invalid (an all-zero DTLSInnerPlaintext) is a protocol error and throws.
 */
import type { Aead, AeadAlg, CryptoProvider } from '../../crypto/provider.js';
import type { SuiteInfo } from '../../crypto/suites.js';
import { internalError, limitExceeded } from '../../errors.js';
import { innerPlaintext } from '../../record/protection.js';
import { recordNumberKey, trafficKeys } from '../../tls13/key-schedule.js';
import { epochForBits } from './epochs.js';
import { type CiphertextRecord, encodePlaintextHeader, encodeUnifiedHeader, MAX_PLAINTEXT_FRAGMENT, splitDatagram } from './header.js';
import { xorRecordNumber, SAMPLE_LENGTH } from './record-number.js';
import { ReplayWindow } from '../replay-window.js';
import { MAX_SEQUENCE, reconstructSequence } from './sequence.js';

/** Most receive epochs held at once: four consecutive epochs are told apart by their two low bits. */
export const MAX_RECEIVE_EPOCHS = 4;

const TWO32 = 0x100000000;

/** A record as deprotected (or read in the clear, epoch 0). */
export interface OpenedRecord {
  readonly epoch: number;
  readonly seq: number;
  readonly type: number;
  readonly content: Uint8Array;
}

/** What `open` made of a datagram. */
export interface OpenedDatagram {
  readonly records: OpenedRecord[];
  /** Records dropped: unparsable, unknown epoch, replayed, failed deprotection. */
  readonly dropped: number;
}

/** Options of one sealed record. */
export interface SealOptions {
  /** Bytes of sequence number in the unified header (default 2). */
  readonly seqLength?: 1 | 2;
  /** Omit the length field (only for the last record of a datagram). */
  readonly omitLength?: boolean;
  /** Zero bytes of padding in the DTLSInnerPlaintext. */
  readonly padding?: number;
  /** Seal under this (held) epoch instead of the current one: retransmissions keep their epoch (§4.2.1). */
  readonly epoch?: number;
}

/** Most sending epochs whose keys are kept for retransmissions. */
export const MAX_SEND_EPOCHS = 4;

interface EpochKeys {
  readonly epoch: number;
  readonly alg: AeadAlg;
  readonly aead: Aead;
  readonly iv: Uint8Array;
  readonly snKey: Uint8Array;
}

function deriveEpoch(p: CryptoProvider, suite: SuiteInfo, epoch: number, secret: Uint8Array): EpochKeys {
  if (suite.labelPrefix !== 'dtls13') throw internalError('DTLS 1.3 keys from a suite without the "dtls13" label prefix');
  const { key, iv } = trafficKeys(p, suite, secret);
  return { epoch, alg: suite.aead, aead: p.aead(suite.aead, key), iv, snKey: recordNumberKey(p, suite, secret) };
}

/** nonce = iv XOR the 64-bit sequence number (RFC 9147 §4: the epoch is not part of it). */
function nonceFor(iv: Uint8Array, seq: number): Uint8Array {
  const n = iv.slice();
  const hi = Math.floor(seq / TWO32);
  const lo = seq >>> 0;
  const at = n.length - 8;
  for (let i = 0; i < 4; i++) {
    n[at + i] = (n[at + i] as number) ^ ((hi >>> (24 - 8 * i)) & 0xff);
    n[at + 4 + i] = (n[at + 4 + i] as number) ^ ((lo >>> (24 - 8 * i)) & 0xff);
  }
  return n;
}

interface ReceiveEpoch extends EpochKeys {
  readonly window: ReplayWindow;
}

export class Dtls13RecordLayer {
  readonly #p: CryptoProvider;
  /** Keys of the sending epochs held (epoch 0 has none: plaintext). */
  readonly #send = new Map<number, EpochKeys>();
  #sendEpoch = 0;
  /** Next sequence number per sending epoch (retransmissions use their original epoch: §4.2.1). */
  readonly #sendSeq = new Map<number, number>();
  readonly #receive: ReceiveEpoch[] = [];
  readonly #plainWindow = new ReplayWindow();
  #plaintextAccepted = true;

  constructor(p: CryptoProvider) {
    this.#p = p;
  }

  /** The current sending epoch. */
  get sendEpoch(): number {
    return this.#sendEpoch;
  }

  /** The receive epochs held, oldest first. */
  get receiveEpochs(): number[] {
    return this.#receive.map((e) => e.epoch);
  }

  /** Start sending under `epoch` with keys from `secret` (a traffic secret, `suite` a DTLS 1.3 copy). */
  installSend(suite: SuiteInfo, epoch: number, secret: Uint8Array): void {
    if (epoch <= this.#sendEpoch) throw internalError(`sending epoch ${epoch} after ${this.#sendEpoch}`);
    this.#send.set(epoch, deriveEpoch(this.#p, suite, epoch, secret));
    this.#sendEpoch = epoch;
    this.#sendSeq.set(epoch, 0);
    for (const e of [...this.#send.keys()]) {
      if (this.#send.size <= MAX_SEND_EPOCHS) break;
      this.#send.delete(e);
      this.#sendSeq.delete(e);
    }
  }

  /** Accept records of `epoch`; the oldest held epoch is forgotten beyond MAX_RECEIVE_EPOCHS. */
  installReceive(suite: SuiteInfo, epoch: number, secret: Uint8Array): void {
    const newest = this.#receive.at(-1);
    if (newest !== undefined && epoch <= newest.epoch) throw internalError(`receive epoch ${epoch} after ${newest.epoch}`);
    this.#receive.push({ ...deriveEpoch(this.#p, suite, epoch, secret), window: new ReplayWindow() });
    if (this.#receive.length > MAX_RECEIVE_EPOCHS) this.#receive.shift();
  }

  /**
   * Continue epoch 0 at `seq`: a stateless server's connection starts where its HelloRetryRequest's record number
   * was taken from (the ClientHello's), so the client's replay window accepts the ServerHello.
   */
  continuePlaintextAt(seq: number): void {
    this.#sendSeq.set(0, Math.max(this.#sendSeq.get(0) ?? 0, seq));
  }

  /** Forget receive epochs before `epoch` (and plaintext records, when `epoch` > 0). */
  dropReceiveBefore(epoch: number): void {
    while ((this.#receive[0]?.epoch ?? Infinity) < epoch) this.#receive.shift();
    if (epoch > 0) this.#plaintextAccepted = false;
  }

  /** Seal one record under the current sending epoch: DTLSPlaintext in epoch 0, else DTLSCiphertext. */
  seal(type: number, content: Uint8Array, options: SealOptions = {}): Uint8Array {
    return this.sealNumbered(type, content, options).record;
  }

  /** `seal`, also telling the record number used (what the peer's ACK names). */
  sealNumbered(type: number, content: Uint8Array, options: SealOptions = {}): { record: Uint8Array; epoch: number; seq: number } {
    const epoch = options.epoch ?? this.#sendEpoch;
    const seq = this.#sendSeq.get(epoch) ?? 0;
    if (seq > MAX_SEQUENCE) throw limitExceeded('SequenceExhausted');
    const k = this.#send.get(epoch);
    if (k === undefined && epoch !== 0) throw internalError(`no keys for sending epoch ${epoch}`);
    this.#sendSeq.set(epoch, seq + 1);
    return { record: this.#sealIn(k, epoch, seq, type, content, options), epoch, seq };
  }

  /** Bytes a sealed record adds to its content in the current epoch (header, type byte, tag), with a 16-bit sequence number and a length. */
  get overhead(): number {
    const k = this.#send.get(this.#sendEpoch);
    return k === undefined ? 13 : 5 + 1 + k.aead.tagLen;
  }

  #sealIn(k: EpochKeys | undefined, epoch: number, seq: number, type: number, content: Uint8Array, options: SealOptions): Uint8Array {
    if (k === undefined) {
      if (content.length > MAX_PLAINTEXT_FRAGMENT) throw internalError('plaintext record over 2^14 bytes');
      const h = encodePlaintextHeader(type, epoch, seq, content.length);
      const out = new Uint8Array(h.length + content.length);
      out.set(h, 0);
      out.set(content, h.length);
      return out;
    }
    const padding = options.padding ?? 0;
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content, 0);
    inner[content.length] = type;
    const sealedLength = inner.length + k.aead.tagLen;
    if (sealedLength < SAMPLE_LENGTH) throw internalError('record too short for record number encryption');
    const seqLength = options.seqLength ?? 2;
    const header = encodeUnifiedHeader({ epoch, seq, seqLength, length: options.omitLength === true ? null : sealedLength });
    const sealed = k.aead.sealRecord(nonceFor(k.iv, seq), header, header, inner);
    xorRecordNumber(this.#p, { alg: k.alg, key: k.snKey }, sealed, 1, seqLength, sealed.subarray(header.length));
    return sealed;
  }

  /** Every record of a datagram that is valid, fresh and deprotects. */
  open(datagram: Uint8Array): OpenedDatagram {
    const records: OpenedRecord[] = [];
    let dropped = 0;
    for (const r of this.records(datagram)) {
      if (r === null) dropped++;
      else records.push(r);
    }
    return { records, dropped };
  }

  /**
   * The records of a datagram one at a time, each opened only when asked for (null: dropped), so that the caller
   * can act on one (a ServerHello installs the handshake keys) before the next (EncryptedExtensions, in the same
   * datagram) is opened. A datagram's unparsable tail counts as one drop.
   */
  *records(datagram: Uint8Array): Generator<OpenedRecord | null> {
    const split = splitDatagram(datagram);
    for (const r of split.records) {
      if (r.kind === 'plaintext') {
        // A DTLSPlaintext record is only read while epoch 0 is: a plaintext alert or ACK later is an attacker's.
        if (!this.#plaintextAccepted || r.epoch !== 0 || !this.#plainWindow.mayBeNew(r.seq)) {
          yield null;
          continue;
        }
        this.#plainWindow.accept(r.seq);
        yield { epoch: 0, seq: r.seq, type: r.type, content: r.fragment.slice() };
        continue;
      }
      yield this.#openCiphertext(r);
    }
    if (split.dropped !== null) yield null;
  }

  #openCiphertext(r: CiphertextRecord): OpenedRecord | null {
    const epoch = epochForBits(this.receiveEpochs, r.epochBits);
    const k = this.#receive.find((e) => e.epoch === epoch);
    if (k === undefined) return null;
    const header = r.header.slice();
    if (!xorRecordNumber(this.#p, { alg: k.alg, key: k.snKey }, header, r.seqOffset, r.seqLength, r.encrypted)) return null;
    const low = r.seqLength === 2 ? ((header[r.seqOffset] as number) << 8) | (header[r.seqOffset + 1] as number) : (header[r.seqOffset] as number);
    const seq = reconstructSequence(k.window.expected, low, r.seqLength === 2 ? 16 : 8);
    if (!k.window.mayBeNew(seq)) return null;
    const inner = k.aead.open(nonceFor(k.iv, seq), header, r.encrypted);
    if (inner === null) return null;
    k.window.accept(seq);
    const { type, fragment } = innerPlaintext(inner);
    return { epoch: k.epoch, seq, type, content: fragment };
  }
}
