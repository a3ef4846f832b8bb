/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), built on HMAC: HKDF-Extract and every HKDF-Expand-Label of at most one
 * hash length are a single HMAC each (hkdfSync costs ≈ 10 µs a call, one createHmac ≈ 2 µs).
 *
 *              0
 *              |
 *              v
 *    PSK ->  HKDF-Extract = Early Secret
 *              +-----> Derive-Secret(., "res binder", "") = binder_key
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *              v
 *  (EC)DHE -> HKDF-Extract = Handshake Secret
 *              +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
 *              +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *              v
 *   0 -> HKDF-Extract = Master Secret
 *              +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "res master", ClientHello...client Finished)
 */
import { EMPTY, utf8 } from '../codec/bytes.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import type { LabelPrefix, SuiteInfo } from '../crypto/suites.js';
import { internalError } from '../errors.js';

/** Every label of RFC 8446 §7 in one table. */
export const Label = {
  derived: 'derived',
  extBinder: 'ext binder',
  resBinder: 'res binder',
  clientEarlyTraffic: 'c e traffic',
  earlyExporter: 'e exp master',
  clientHandshakeTraffic: 'c hs traffic',
  serverHandshakeTraffic: 's hs traffic',
  clientApplicationTraffic: 'c ap traffic',
  serverApplicationTraffic: 's ap traffic',
  exporterMaster: 'exp master',
  resumptionMaster: 'res master',
  finished: 'finished',
  key: 'key',
  iv: 'iv',
  trafficUpdate: 'traffic upd',
  /** DTLS 1.3 record number encryption key (RFC 9147 §4.2.3). */
  sequenceNumber: 'sn',
  resumption: 'resumption',
  exporter: 'exporter',
} as const;

/** The label prefix of a suite: "tls13 " unless it is a DTLS 1.3 copy (RFC 9147 §5.9: "dtls13"). */
function prefixOf(suite: Pick<SuiteInfo, 'labelPrefix'>): LabelPrefix {
  return suite.labelPrefix ?? 'tls13 ';
}

/** The suite fields the key schedule reads. */
export type ScheduleSuite = Pick<SuiteInfo, 'hash' | 'hashLen' | 'labelPrefix'>;

/**
 * HMAC for a secret the key schedule (or the record layer it feeds) keeps to itself and only reads: the provider's
 * hmacKeyMaterial when it has one (node: no Uint8Array made over the digest's Buffer), else hmac.
 */
function keyHmac(p: CryptoProvider, hash: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  return p.hmacKeyMaterial !== undefined ? p.hmacKeyMaterial(hash, key, data) : p.hmac(hash, key, data);
}

/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). */
export function hkdfExtract(p: CryptoProvider, hash: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hmac(hash, salt, ikm);
}

/** HKDF-Expand (RFC 5869 §2.3); one HMAC per hash-length block. */
export function hkdfExpand(p: CryptoProvider, hash: HashAlg, prk: Uint8Array, info: Uint8Array, length: number, hashLen: number): Uint8Array {
  if (length > 255 * hashLen) throw internalError('HKDF-Expand length too large');
  if (length <= hashLen) {
    // The common case (every TLS 1.3 secret, key and IV): T(1) = HMAC(PRK, info ‖ 0x01), truncated.
    const input = new Uint8Array(info.length + 1);
    input.set(info, 0);
    input[info.length] = 1;
    const t = p.hmac(hash, prk, input);
    return length === t.length ? t : t.subarray(0, length);
  }
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  let at = 0;
  for (let i = 1; at < length; i++) {
    const input = new Uint8Array(prev.length + info.length + 1);
    input.set(prev, 0);
    input.set(info, prev.length);
    input[input.length - 1] = i;
    prev = p.hmac(hash, prk, input);
    out.set(prev.subarray(0, Math.min(prev.length, length - at)), at);
    at += prev.length;
  }
  return out;
}

/**
 * HkdfLabel (RFC 8446 §7.1), plus `counter` (HKDF-Expand's first block counter) when not null. The label is at
 * most 255 - 6 bytes and the context at most 255 bytes: one-byte lengths, so a longer value is our bug.
 */
function hkdfLabel(prefix: LabelPrefix, label: string, context: Uint8Array, length: number, counter: number | null): Uint8Array {
  const labelLen = 6 + label.length;
  if (labelLen > 255 || context.length > 255) throw internalError('HKDF label or context too long');
  const info = new Uint8Array(2 + 1 + labelLen + 1 + context.length + (counter === null ? 0 : 1));
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = labelLen;
  for (let i = 0; i < 6; i++) info[3 + i] = prefix.charCodeAt(i);
  for (let i = 0; i < label.length; i++) info[9 + i] = label.charCodeAt(i);
  info[3 + labelLen] = context.length;
  info.set(context, 4 + labelLen);
  if (counter !== null) info[info.length - 1] = counter;
  return info;
}

/**
 * HkdfLabel ‖ 0x01 for an empty context ("key", "iv", "finished", …), by prefix, label and length: constants. Keyed
 * by prefix, then label (no string built per lookup).
 */
const emptyContextInputs: Readonly<Record<LabelPrefix, Map<string, Uint8Array[]>>> = { 'tls13 ': new Map(), dtls13: new Map() };
function emptyContextInput(prefix: LabelPrefix, label: string, length: number): Uint8Array {
  const byLabel = emptyContextInputs[prefix];
  let byLength = byLabel.get(label);
  if (byLength === undefined) {
    byLength = [];
    byLabel.set(label, byLength);
  }
  return (byLength[length] ??= hkdfLabel(prefix, label, EMPTY, length, 1));
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1). */
export function hkdfExpandLabel(
  p: CryptoProvider,
  suite: ScheduleSuite,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const prefix = prefixOf(suite);
  if (length > suite.hashLen) return hkdfExpand(p, suite.hash, secret, hkdfLabel(prefix, label, context, length, null), length, suite.hashLen);
  // One block (every TLS 1.3 secret, key and IV): T(1) = HMAC(Secret, HkdfLabel ‖ 0x01), truncated.
  const input = context.length === 0 ? emptyContextInput(prefix, label, length) : hkdfLabel(prefix, label, context, length, 1);
  const t = p.hmac(suite.hash, secret, input);
  return length === t.length ? t : t.subarray(0, length);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  const hashLen = suite.hashLen;
  if (transcriptHash.length !== hashLen) return hkdfExpandLabel(p, suite, secret, label, transcriptHash, hashLen);
  // HkdfLabel(label, transcript hash, Hash.length) ‖ 0x01 in the label's input buffer: its constant part written
  // once, the hash copied in here. The provider reads it during the call (as it reads any input), nothing keeps it.
  const input = deriveInput(p, suite, label);
  input.set(transcriptHash, input.length - 1 - hashLen);
  const t = p.hmac(suite.hash, secret, input);
  return t.length === hashLen ? t : t.subarray(0, hashLen);
}

/** The input buffer of Derive-Secret(., label, <a transcript hash>) for the suite's hash and label prefix. */
function deriveInput(p: CryptoProvider, suite: ScheduleSuite, label: string): Uint8Array {
  const inputs = constantsOf(p, suite).deriveInputs;
  let input = inputs.get(label);
  if (input === undefined) {
    input = hkdfLabel(prefixOf(suite), label, new Uint8Array(suite.hashLen), suite.hashLen, 1);
    inputs.set(label, input);
  }
  return input;
}

/** Traffic key and IV for a traffic secret (RFC 8446 §7.3). */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** Derive the write key and IV from a traffic secret with HKDF-Expand-Label "key" / "iv" (RFC 8446 §7.3). */
export function trafficKeys(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(p, suite, secret, Label.key, EMPTY, suite.keyLen),
    iv: hkdfExpandLabel(p, suite, secret, Label.iv, EMPTY, suite.ivLen),
  };
}

/**
 * trafficKeys for a record protection that keeps the key and IV to itself (the key handed to `aead`, the IV only
 * read into each nonce): made with the provider's hmacKeyMaterial when it has one. The TLS engine's DirectionState.
 */
export function recordTrafficKeys(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array): TrafficKeys {
  if (suite.keyLen > suite.hashLen || suite.ivLen > suite.hashLen) return trafficKeys(p, suite, secret);
  const prefix = prefixOf(suite);
  const key = keyHmac(p, suite.hash, secret, emptyContextInput(prefix, Label.key, suite.keyLen));
  const iv = keyHmac(p, suite.hash, secret, emptyContextInput(prefix, Label.iv, suite.ivLen));
  return {
    key: key.length === suite.keyLen ? key : key.subarray(0, suite.keyLen),
    iv: iv.length === suite.ivLen ? iv : iv.subarray(0, suite.ivLen),
  };
}

/** DTLS 1.3: [sender]_sn_key = HKDF-Expand-Label(Secret, "sn", "", key_length) (RFC 9147 §4.2.3). */
export function recordNumberKey(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite, secret, Label.sequenceNumber, EMPTY, suite.keyLen);
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2). */
export function nextTrafficSecret(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite, secret, Label.trafficUpdate, EMPTY, suite.hashLen);
}

/** verify_data = HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4). */
export function finishedVerifyData(p: CryptoProvider, suite: SuiteInfo, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  // finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length): one HMAC, kept to ourselves.
  const finishedKey = keyHmac(p, suite.hash, baseKey, emptyContextInput(prefixOf(suite), Label.finished, suite.hashLen));
  return p.hmac(suite.hash, finishedKey, transcriptHash);
}

const emptyHashes = new WeakMap<CryptoProvider, Map<HashAlg, Uint8Array>>();
/** Transcript-Hash("") for `hash`, computed once per provider. */
function emptyHash(p: CryptoProvider, hash: HashAlg): Uint8Array {
  let m = emptyHashes.get(p);
  if (m === undefined) {
    m = new Map();
    emptyHashes.set(p, m);
  }
  let h = m.get(hash);
  if (h === undefined) {
    h = p.hash(hash, new Uint8Array(0));
    m.set(hash, h);
  }
  return h;
}

/** Constants of a hash (and label prefix), per provider: computed once, never modified, shared by every handshake. */
interface HashConstants {
  /** Early Secret = HKDF-Extract(0, 0), and Derive-Secret(., "derived", "") of it: the no-PSK schedule's start. */
  readonly early: Uint8Array;
  readonly derived: Uint8Array;
  /** HkdfLabel("derived", Transcript-Hash("")) ‖ 0x01: the HMAC input of every Derive-Secret(., "derived", ""). */
  readonly derivedInput: Uint8Array;
  /** Hash.length zeros: HKDF-Extract's zero salt / IKM. */
  readonly zeros: Uint8Array;
  /**
   * Derive-Secret's HMAC input per label (deriveSecret): HkdfLabel with room for a transcript hash, ‖ 0x01. Input
   * buffers, not constants: the hash part is overwritten by each call (synchronous; the provider copies its input).
   */
  readonly deriveInputs: Map<string, Uint8Array>;
  /** The same for the ticket PSK ("resumption" over a ticket_nonce), by nonce length (ticketPsk). */
  readonly resumptionInputs: Uint8Array[];
}
const hashConstants = new WeakMap<CryptoProvider, Map<string, HashConstants>>();
function constantsOf(p: CryptoProvider, suite: ScheduleSuite): HashConstants {
  let m = hashConstants.get(p);
  if (m === undefined) {
    m = new Map();
    hashConstants.set(p, m);
  }
  const k = suite.hash + prefixOf(suite);
  let c = m.get(k);
  if (c === undefined) {
    const zeros = new Uint8Array(suite.hashLen);
    const early = hkdfExtract(p, suite.hash, zeros, zeros);
    const derivedInput = hkdfLabel(prefixOf(suite), Label.derived, emptyHash(p, suite.hash), suite.hashLen, 1);
    c = { early, derived: p.hmac(suite.hash, early, derivedInput), derivedInput, zeros, deriveInputs: new Map(), resumptionInputs: [] };
    m.set(k, c);
  }
  return c;
}

/** Derive-Secret(secret, "derived", "") (RFC 8446 §7.1): one HMAC over a constant input. */
function derivedSecret(p: CryptoProvider, suite: ScheduleSuite, secret: Uint8Array): Uint8Array {
  return keyHmac(p, suite.hash, secret, constantsOf(p, suite).derivedInput);
}

/** The Early Secret: from a PSK, or from zeros when there is none. */
export class EarlySecret {
  readonly secret: Uint8Array;
  readonly #p: CryptoProvider;
  readonly #suite: SuiteInfo;
  readonly #derived: Uint8Array | undefined;
  constructor(p: CryptoProvider, suite: SuiteInfo, psk: Uint8Array | null) {
    this.#p = p;
    this.#suite = suite;
    const c = constantsOf(p, suite);
    if (psk === null) {
      // Without a PSK the Early Secret and its "derived" secret are constants of the hash: computed once.
      this.secret = c.early;
      this.#derived = c.derived;
      return;
    }
    this.secret = keyHmac(p, suite.hash, c.zeros, psk); // HKDF-Extract(0, PSK)
  }
  /** binder_key for a resumption PSK (RFC 8446 §7.1, "res binder"). */
  resumptionBinderKey(): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.resBinder, emptyHash(this.#p, this.#suite.hash));
  }
  /** Handshake Secret from the (EC)DHE shared secret (zeros for psk_ke). */
  handshakeSecret(shared: Uint8Array | null): HandshakeSecret {
    const p = this.#p;
    const s = this.#suite;
    const derived = this.#derived ?? derivedSecret(p, s, this.secret);
    return new HandshakeSecret(p, s, keyHmac(p, s.hash, derived, shared ?? constantsOf(p, s).zeros)); // HKDF-Extract
  }
}

/** The Handshake Secret. */
export class HandshakeSecret {
  readonly secret: Uint8Array;
  readonly #p: CryptoProvider;
  readonly #suite: SuiteInfo;
  constructor(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array) {
    this.#p = p;
    this.#suite = suite;
    this.secret = secret;
  }
  clientHandshakeTrafficSecret(thServerHello: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.clientHandshakeTraffic, thServerHello);
  }
  serverHandshakeTrafficSecret(thServerHello: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.serverHandshakeTraffic, thServerHello);
  }
  masterSecret(): MasterSecret {
    const p = this.#p;
    const s = this.#suite;
    return new MasterSecret(p, s, keyHmac(p, s.hash, derivedSecret(p, s, this.secret), constantsOf(p, s).zeros)); // HKDF-Extract
  }
}

/** The Master Secret. */
export class MasterSecret {
  readonly secret: Uint8Array;
  readonly #p: CryptoProvider;
  readonly #suite: SuiteInfo;
  constructor(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array) {
    this.#p = p;
    this.#suite = suite;
    this.secret = secret;
  }
  clientApplicationTrafficSecret(thServerFinished: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.clientApplicationTraffic, thServerFinished);
  }
  serverApplicationTrafficSecret(thServerFinished: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.serverApplicationTraffic, thServerFinished);
  }
  exporterMasterSecret(thServerFinished: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.exporterMaster, thServerFinished);
  }
  resumptionMasterSecret(thClientFinished: Uint8Array): Uint8Array {
    return deriveSecret(this.#p, this.#suite, this.secret, Label.resumptionMaster, thClientFinished);
  }
}

/** The PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function ticketPsk(p: CryptoProvider, suite: SuiteInfo, resumptionMasterSecret: Uint8Array, nonce: Uint8Array): Uint8Array {
  const hashLen = suite.hashLen;
  if (nonce.length > 255) return hkdfExpandLabel(p, suite, resumptionMasterSecret, Label.resumption, nonce, hashLen);
  // As deriveSecret: HkdfLabel("resumption", nonce, Hash.length) ‖ 0x01 in an input buffer per nonce length.
  const inputs = constantsOf(p, suite).resumptionInputs;
  const input = (inputs[nonce.length] ??= hkdfLabel(prefixOf(suite), Label.resumption, nonce, hashLen, 1));
  input.set(nonce, input.length - 1 - nonce.length);
  const t = p.hmac(suite.hash, resumptionMasterSecret, input);
  return t.length === hashLen ? t : t.subarray(0, hashLen);
}

/** TLS-Exporter(label, context, length) (RFC 8446 §7.5). */
export function exportKeyingMaterial13(
  p: CryptoProvider,
  suite: SuiteInfo,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array | null,
  length: number,
): Uint8Array {
  const empty = emptyHash(p, suite.hash);
  const labelBytes = utf8(label);
  if (labelBytes.length > 249) throw internalError('exporter label too long');
  const secret = deriveSecretBytes(p, suite, exporterMasterSecret, labelBytes, empty);
  return hkdfExpandLabel(p, suite, secret, Label.exporter, p.hash(suite.hash, context ?? new Uint8Array(0)), length);
}

function deriveSecretBytes(p: CryptoProvider, suite: SuiteInfo, secret: Uint8Array, label: Uint8Array, context: Uint8Array): Uint8Array {
  // Same as hkdfExpandLabel but with a binary label (exporter labels are arbitrary bytes).
  const labelLen = 6 + label.length;
  const info = new Uint8Array(2 + 1 + labelLen + 1 + context.length);
  info[0] = suite.hashLen >>> 8;
  info[1] = suite.hashLen & 0xff;
  info[2] = labelLen;
  const prefix = prefixOf(suite);
  for (let i = 0; i < 6; i++) info[3 + i] = prefix.charCodeAt(i);
  info.set(label, 9);
  info[3 + labelLen] = context.length;
  info.set(context, 4 + labelLen);
  return hkdfExpand(p, suite.hash, secret, info, suite.hashLen, suite.hashLen);
}
