/**
 * Record protection, one object per direction: none, TLS 1.3 AEAD (RFC 8446 §5.2-5.3) or TLS 1.2 AEAD
 * (RFC 5288 GCM with an 8-byte explicit nonce; RFC 7905 ChaCha20-Poly1305 with the XOR nonce).
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { EMPTY } from '../codec/bytes.js';
import { badRecordMac, limitExceeded, misbehaved } from '../errors.js';
import { SEQ_HARD_LIMIT } from '../limits.js';
import { ContentType } from '../wire/registry.js';

/** A decrypted record: its real content type and plaintext (a fresh array). */
export interface PlainRecord {
  readonly type: number;
  readonly fragment: Uint8Array;
}

/**
 * Sequence numbers are plain numbers: exact up to 2^53, far beyond the hard stop (SEQ_HARD_LIMIT) and the
 * KeyUpdate soft limit; no BigInt arithmetic per record.
 */
const TWO32 = 0x100000000;

/** `nonce = iv XOR seq` (big-endian u64 in the last 8 bytes), written into `nonce` (TLS 1.3 / ChaCha 1.2). */
function xorSeqInto(nonce: Uint8Array, iv: Uint8Array, seq: number): void {
  nonce.set(iv);
  const hi = Math.floor(seq / TWO32);
  const lo = seq >>> 0;
  const n = nonce.length;
  nonce[n - 8] = (nonce[n - 8] as number) ^ (hi >>> 24);
  nonce[n - 7] = (nonce[n - 7] as number) ^ ((hi >>> 16) & 0xff);
  nonce[n - 6] = (nonce[n - 6] as number) ^ ((hi >>> 8) & 0xff);
  nonce[n - 5] = (nonce[n - 5] as number) ^ (hi & 0xff);
  nonce[n - 4] = (nonce[n - 4] as number) ^ (lo >>> 24);
  nonce[n - 3] = (nonce[n - 3] as number) ^ ((lo >>> 16) & 0xff);
  nonce[n - 2] = (nonce[n - 2] as number) ^ ((lo >>> 8) & 0xff);
  nonce[n - 1] = (nonce[n - 1] as number) ^ (lo & 0xff);
}

/** Write a big-endian u64 at `at`. */
function writeSeq(b: Uint8Array, at: number, seq: number): void {
  const hi = Math.floor(seq / TWO32);
  const lo = seq >>> 0;
  b[at] = hi >>> 24;
  b[at + 1] = (hi >>> 16) & 0xff;
  b[at + 2] = (hi >>> 8) & 0xff;
  b[at + 3] = hi & 0xff;
  b[at + 4] = lo >>> 24;
  b[at + 5] = (lo >>> 16) & 0xff;
  b[at + 6] = (lo >>> 8) & 0xff;
  b[at + 7] = lo & 0xff;
}

/** Largest TLSInnerPlaintext built in the scratch buffer (2^14 + 1 content type byte). */
const INNER_SCRATCH = 16385;
/** RFC 8446 §5.4: TLSInnerPlaintext (content ‖ type ‖ zeros) is at most 2^14 + 1 bytes. */
const MAX_INNER_PLAINTEXT = 16385;
/**
 * One scratch buffer for every connection: sealing is synchronous and the buffer is fully consumed (encrypted into
 * the output) before a seal returns, so no state survives a call. Sharing it keeps 16 KiB off each connection.
 */
let sharedScratch: Uint8Array | undefined;

/** One sealed record in three pieces (see `DirectionState.sealParts`). */
export interface RecordParts {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly trailer: Uint8Array;
}

/** Protection state of one direction. */
export class DirectionState {
  /** 'none' until keys are installed. */
  mode: 'none' | 'tls13' | 'tls12' = 'none';
  seq = 0;
  #aead: Aead | undefined;
  #iv: Uint8Array = EMPTY;
  /**
   * Scratch nonce, record prefix (the 5-byte header for TLS 1.3 and ChaCha 1.2, header ‖ 8-byte explicit nonce for
   * GCM 1.2) and TLS 1.2 additional data, reused per record (node:crypto copies what it is given). Made when keys
   * are first installed: a direction that never gets keys (and the alert-only one of a failure) allocates none.
   */
  #nonce: Uint8Array = EMPTY;
  #prefix13: Uint8Array = EMPTY;
  #aad12: Uint8Array | undefined;
  #prefix12: Uint8Array | undefined;
  /** The prefix and additional data of the record being sealed (set by #protect, one of the buffers above). */
  #prefix: Uint8Array = EMPTY;
  #aad: Uint8Array = EMPTY;
  get #scratch(): Uint8Array {
    sharedScratch ??= new Uint8Array(INNER_SCRATCH);
    return sharedScratch;
  }
  #suite: SuiteInfo | undefined;

  /** Install TLS 1.3 keys (resets the sequence number). */
  install13(p: CryptoProvider, suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#buffers();
    this.mode = 'tls13';
    this.#aead = p.aead(suite.aead, key);
    this.#iv = iv;
    this.#suite = suite;
    this.seq = 0;
  }

  /** Install TLS 1.2 keys (implicit IV / salt). */
  install12(p: CryptoProvider, suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#buffers();
    this.mode = 'tls12';
    this.#aead = p.aead(suite.aead, key);
    this.#iv = iv;
    this.#suite = suite;
    this.seq = 0;
  }

  /** The per-record scratch buffers, made at the first key installation. */
  #buffers(): void {
    if (this.#nonce.length !== 0) return;
    this.#nonce = new Uint8Array(12);
    this.#prefix13 = new Uint8Array(5);
  }

  get suite(): SuiteInfo | undefined {
    return this.#suite;
  }

  #nextSeq(): number {
    const s = this.seq;
    if (s >= SEQ_HARD_LIMIT) throw limitExceeded('SequenceExhausted');
    this.seq = s + 1;
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
    const inner = this.#protect(type, plaintext, padding);
    const prefix = this.#prefix;
    out.set(prefix, offset);
    return prefix.length + aead.sealInto(this.#nonce, this.#aad, inner, out, offset + prefix.length);
  }

  /**
   * Seal one record into a fresh array (header ‖ protected body), built by the AEAD in one allocation that is not
   * zero-filled first.
   */
  seal(type: number, plaintext: Uint8Array, padding = 0): Uint8Array {
    const aead = this.#aead;
    if (this.mode === 'none' || aead === undefined) {
      const out = new Uint8Array(5 + plaintext.length);
      this.sealInto(type, plaintext, out, 0);
      return out;
    }
    const inner = this.#protect(type, plaintext, padding);
    return aead.sealRecord(this.#nonce, this.#aad, this.#prefix, inner);
  }

  /**
   * Seal one record as three pieces, none of them copied from the cipher's output: `header` (5 bytes, + the TLS
   * 1.2 explicit nonce), `body` (the ciphertext of `plaintext`, same length) and `trailer` (TLS 1.3: the encrypted
   * content type ‖ tag; TLS 1.2: the tag). SSPI EncryptMessage places them in the caller's buffers.
   */
  sealParts(type: number, plaintext: Uint8Array): RecordParts {
    const aead = this.#aead;
    if (this.mode === 'none' || aead === undefined) {
      const header = new Uint8Array(5);
      writeHeader(header, 0, type, plaintext.length);
      return { header, body: plaintext.slice(), trailer: new Uint8Array(0) };
    }
    const inner = this.#protect(type, plaintext, 0);
    const header = this.#prefix.slice();
    const { ciphertext, tag } = aead.sealParts(this.#nonce, this.#aad, inner);
    const n = plaintext.length;
    if (this.mode === 'tls12') return { header, body: ciphertext, trailer: tag };
    const trailer = new Uint8Array(ciphertext.length - n + tag.length);
    trailer.set(ciphertext.subarray(n), 0);
    trailer.set(tag, ciphertext.length - n);
    return { header, body: ciphertext.subarray(0, n), trailer };
  }

  /**
   * Everything but the cipher call: next sequence number into the nonce, the record prefix (header, + TLS 1.2
   * explicit nonce) into `#prefix`, the additional data into `#aad` (TLS 1.3: the prefix itself), and returns what
   * to encrypt (TLS 1.3: the inner plaintext in the shared scratch buffer, valid until the next seal). The three
   * per-direction buffers are consumed (copied by node:crypto or into the record) before a seal returns.
   */
  #protect(type: number, plaintext: Uint8Array, padding: number): Uint8Array {
    const nonce = this.#nonce;
    if (this.mode === 'tls13') {
      const inner = this.#inner13(type, plaintext.length, padding);
      inner.set(plaintext, 0);
      return inner;
    }
    // TLS 1.2 AEAD: additional_data = seq_num + type + version + length (RFC 5246 §6.2.3.3).
    const suite = this.#suite as SuiteInfo;
    const seq = this.#nextSeq();
    const explicit = suite.explicitNonceLen;
    const prefix = explicit > 0 ? (this.#prefix12 ??= new Uint8Array(5 + explicit)) : this.#prefix13;
    writeHeader(prefix, 0, type, explicit + plaintext.length + 16);
    if (explicit > 0) {
      nonce.set(this.#iv, 0);
      writeSeq(nonce, 4, seq);
      prefix.set(nonce.subarray(4), 5);
    } else {
      xorSeqInto(nonce, this.#iv, seq);
    }
    const aad = (this.#aad12 ??= new Uint8Array(13));
    writeSeq(aad, 0, seq);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = plaintext.length >>> 8;
    aad[12] = plaintext.length & 0xff;
    this.#prefix = prefix;
    this.#aad = aad;
    return plaintext;
  }

  /**
   * TLS 1.3: the next sequence number into the nonce, the header into the prefix (also the additional data), and the
   * inner plaintext of `length` content bytes (the shared scratch when it fits) with the content type and `padding`
   * zeros already after the content; the caller writes the content into [0, length).
   */
  #inner13(type: number, length: number, padding: number): Uint8Array {
    const innerLen = length + 1 + padding;
    const prefix = this.#prefix13;
    writeHeader(prefix, 0, ContentType.ApplicationData, innerLen + 16);
    this.#prefix = prefix;
    this.#aad = prefix;
    xorSeqInto(this.#nonce, this.#iv, this.#nextSeq());
    const inner = innerLen <= INNER_SCRATCH ? this.#scratch.subarray(0, innerLen) : new Uint8Array(innerLen);
    inner[length] = type;
    if (padding > 0) inner.fill(0, length + 1);
    return inner;
  }

  /**
   * TLS 1.3 trial decryption of a record the peer may have protected with keys we do not hold (declined early
   * data, RFC 8446 §4.2.10): the record, or null when it does not authenticate, without throwing and without
   * consuming a sequence number.
   */
  tryOpen13(header: Uint8Array, type: number, body: Uint8Array): PlainRecord | null {
    const aead = this.#aead;
    if (this.mode !== 'tls13' || aead === undefined) return this.open(header, type, body);
    if (type !== ContentType.ApplicationData) throw misbehaved('InvalidContentType', { detail: `protected record of type ${type}` });
    // Too short to hold a tag and a content type: cannot authenticate, no cipher call.
    if (body.length < 17) return null;
    const inner = this.#open13(aead, header, body, false);
    if (inner === null) return null;
    this.#nextSeq();
    return innerPlaintext(inner);
  }

  /** AEAD-open a TLS 1.3 record under the next sequence number (consumed unless `consume` is false). */
  #open13(aead: Aead, header: Uint8Array, body: Uint8Array, consume = true): Uint8Array | null {
    const nonce = this.#nonce;
    if (consume) {
      xorSeqInto(nonce, this.#iv, this.#nextSeq());
    } else {
      if (this.seq >= SEQ_HARD_LIMIT) throw limitExceeded('SequenceExhausted');
      xorSeqInto(nonce, this.#iv, this.seq);
    }
    return aead.open(nonce, header, body);
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
      const inner = this.#open13(aead, header, body);
      if (inner === null) throw badRecordMac();
      return innerPlaintext(inner);
    }
    const suite = this.#suite as SuiteInfo;
    const explicit = suite.explicitNonceLen;
    if (body.length < explicit + 16) throw badRecordMac();
    const seq = this.#nextSeq();
    const nonce = this.#nonce;
    if (explicit > 0) {
      nonce.set(this.#iv, 0);
      nonce.set(body.subarray(0, explicit), 4);
    } else {
      xorSeqInto(nonce, this.#iv, seq);
    }
    const plainLen = body.length - explicit - 16;
    const aad = (this.#aad12 ??= new Uint8Array(13));
    writeSeq(aad, 0, seq);
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

/**
 * TLS 1.3 TLSInnerPlaintext → content type and content. RFC 8446 §5.4: the inner plaintext (content, type and
 * padding) may not exceed 2^14 + 1 bytes, checked before the padding is stripped (record_overflow); all-zero is
 * unexpected_message.
 */
export function innerPlaintext(inner: Uint8Array): PlainRecord {
  if (inner.length > MAX_INNER_PLAINTEXT) throw limitExceeded('RecordOverflow', { detail: `TLSInnerPlaintext of ${inner.length} bytes` });
  let i = inner.length - 1;
  while (i >= 0 && inner[i] === 0) i--;
  if (i < 0) throw misbehaved('EmptyInnerPlaintext');
  return { type: inner[i] as number, fragment: inner.subarray(0, i) };
}

/** Write a 5-byte record header at `offset`: type, legacy_record_version 0x0303, u16 length (RFC 8446 §5.1). */
export function writeHeader(out: Uint8Array, offset: number, type: number, length: number): void {
  out[offset] = type;
  out[offset + 1] = 3;
  out[offset + 2] = 3;
  out[offset + 3] = length >>> 8;
  out[offset + 4] = length & 0xff;
}
