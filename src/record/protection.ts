/**
 * Record protection, one object per direction: none, TLS 1.3 AEAD (RFC 8446 §5.2-5.3) or TLS 1.2 AEAD
 * (RFC 5288 GCM with an 8-byte explicit nonce; RFC 7905 ChaCha20-Poly1305 with the XOR nonce).
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { badRecordMac, limitExceeded, misbehaved } from '../errors.js';
import { SEQ_HARD_LIMIT } from '../limits.js';
import { ContentType } from '../wire/registry.js';

/** A decrypted record: its real content type and plaintext (a fresh array). */
export interface PlainRecord {
  readonly type: number;
  readonly fragment: Uint8Array;
}

/** Write a big-endian u64 sequence number XORed into the last 8 bytes of `nonce` (TLS 1.3 / ChaCha 1.2). */
function xorSeq(nonce: Uint8Array, seq: bigint): void {
  let s = seq;
  for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
    nonce[i] = (nonce[i] as number) ^ Number(s & 0xffn);
    s >>= 8n;
  }
}

function seqBytes(seq: bigint): Uint8Array {
  const b = new Uint8Array(8);
  let s = seq;
  for (let i = 7; i >= 0; i--) {
    b[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return b;
}

/** Protection state of one direction. */
export class DirectionState {
  /** 'none' until keys are installed. */
  mode: 'none' | 'tls13' | 'tls12' = 'none';
  seq = 0n;
  #aead: Aead | undefined;
  #iv: Uint8Array = new Uint8Array(0);
  #suite: SuiteInfo | undefined;

  /** Install TLS 1.3 keys (resets the sequence number). */
  install13(p: CryptoProvider, suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.mode = 'tls13';
    this.#aead = p.aead(suite.aead, key);
    this.#iv = iv;
    this.#suite = suite;
    this.seq = 0n;
  }

  /** Install TLS 1.2 keys (implicit IV / salt). */
  install12(p: CryptoProvider, suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.mode = 'tls12';
    this.#aead = p.aead(suite.aead, key);
    this.#iv = iv;
    this.#suite = suite;
    this.seq = 0n;
  }

  get suite(): SuiteInfo | undefined {
    return this.#suite;
  }

  #nextSeq(): bigint {
    const s = this.seq;
    if (s >= SEQ_HARD_LIMIT) throw limitExceeded('SequenceExhausted');
    this.seq = s + 1n;
    return s;
  }

  /** Bytes of overhead a sealed record adds beyond `plaintext` (excluding the 5-byte header). */
  overhead(): number {
    if (this.mode === 'tls13') return 1 + 16;
    if (this.mode === 'tls12') return (this.#suite?.explicitNonceLen ?? 0) + 16;
    return 0;
  }

  /**
   * Seal one record of `type` into `out` at `offset` (header included); returns the record length.
   * `out` must have room for 5 + plaintext + overhead() (+ padding).
   */
  sealInto(type: number, plaintext: Uint8Array, out: Uint8Array, offset: number, padding = 0): number {
    const aead = this.#aead;
    if (this.mode === 'none' || aead === undefined) {
      writeHeader(out, offset, type, plaintext.length);
      out.set(plaintext, offset + 5);
      return 5 + plaintext.length;
    }
    if (this.mode === 'tls13') {
      const innerLen = plaintext.length + 1 + padding;
      const len = innerLen + 16;
      writeHeader(out, offset, ContentType.ApplicationData, len);
      const inner = new Uint8Array(innerLen);
      inner.set(plaintext, 0);
      inner[plaintext.length] = type;
      const nonce = this.#iv.slice();
      xorSeq(nonce, this.#nextSeq());
      aead.sealInto(nonce, out.subarray(offset, offset + 5), inner, out, offset + 5);
      return 5 + len;
    }
    // TLS 1.2 AEAD: additional_data = seq_num + type + version + length (RFC 5246 §6.2.3.3).
    const suite = this.#suite as SuiteInfo;
    const seq = this.#nextSeq();
    const explicit = suite.explicitNonceLen;
    const len = explicit + plaintext.length + 16;
    writeHeader(out, offset, type, len);
    let nonce: Uint8Array;
    if (explicit > 0) {
      nonce = new Uint8Array(12);
      nonce.set(this.#iv, 0);
      nonce.set(seqBytes(seq), 4);
      out.set(nonce.subarray(4), offset + 5);
    } else {
      nonce = this.#iv.slice();
      xorSeq(nonce, seq);
    }
    const aad = new Uint8Array(13);
    aad.set(seqBytes(seq), 0);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = plaintext.length >>> 8;
    aad[12] = plaintext.length & 0xff;
    aead.sealInto(nonce, aad, plaintext, out, offset + 5 + explicit);
    return 5 + len;
  }

  /** Seal into a fresh array. */
  seal(type: number, plaintext: Uint8Array, padding = 0): Uint8Array {
    const out = new Uint8Array(5 + plaintext.length + this.overhead() + padding);
    const n = this.sealInto(type, plaintext, out, 0, padding);
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * Open one record. `header` is the 5 received header bytes, `body` the fragment. For TLS 1.3 returns the inner
   * content type (RFC 8446 §5.4: strip zero padding; all-zero is unexpected_message).
   */
  open(header: Uint8Array, type: number, body: Uint8Array): PlainRecord {
    const aead = this.#aead;
    if (this.mode === 'none' || aead === undefined) return { type, fragment: body.slice() };
    if (this.mode === 'tls13') {
      // RFC 8446 §5.2: protected records always have opaque_type application_data.
      if (type !== ContentType.ApplicationData) throw misbehaved('InvalidContentType', { detail: `protected record of type ${type}` });
      const nonce = this.#iv.slice();
      xorSeq(nonce, this.#nextSeq());
      const inner = aead.open(nonce, header, body);
      if (inner === null) throw badRecordMac();
      let i = inner.length - 1;
      while (i >= 0 && inner[i] === 0) i--;
      if (i < 0) throw misbehaved('EmptyInnerPlaintext');
      return { type: inner[i] as number, fragment: inner.subarray(0, i) };
    }
    const suite = this.#suite as SuiteInfo;
    const explicit = suite.explicitNonceLen;
    if (body.length < explicit + 16) throw badRecordMac();
    const seq = this.#nextSeq();
    let nonce: Uint8Array;
    if (explicit > 0) {
      nonce = new Uint8Array(12);
      nonce.set(this.#iv, 0);
      nonce.set(body.subarray(0, explicit), 4);
    } else {
      nonce = this.#iv.slice();
      xorSeq(nonce, seq);
    }
    const plainLen = body.length - explicit - 16;
    const aad = new Uint8Array(13);
    aad.set(seqBytes(seq), 0);
    aad[8] = type;
    aad[9] = header[1] as number;
    aad[10] = header[2] as number;
    aad[11] = plainLen >>> 8;
    aad[12] = plainLen & 0xff;
    const plain = aead.open(nonce, aad, body.subarray(explicit));
    if (plain === null) throw badRecordMac();
    return { type, fragment: plain };
  }
}

export function writeHeader(out: Uint8Array, offset: number, type: number, length: number): void {
  out[offset] = type;
  out[offset + 1] = 3;
  out[offset + 2] = 3;
  out[offset + 3] = length >>> 8;
  out[offset + 4] = length & 0xff;
}
