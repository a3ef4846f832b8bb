/**
 * The sans-IO engine: bytes in, bytes out, events; synchronous, no sockets, timers or globals.
 *
 * Invariants of `process(input)` — one and only one of these happens:
 *  - it returns a ProcessResult: `consumed` whole records were used; if the next record is incomplete, `missing`
 *    says how many more bytes it needs and nothing of it was used;
 *  - it throws a TlsError: the error is latched (every later call rethrows it without doing work), and the one
 *    fatal alert to send is available from `takeAlert()` (never in reply to a received alert).
 * After it returns, the engine holds no reference into `input`.
 */
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { concat, EMPTY, hex } from '../codec/bytes.js';
import { Writer } from '../codec/writer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import {
  alertName,
  asTlsError,
  closedError,
  internalError,
  limitExceeded,
  misbehaved,
  type TlsError,
} from '../errors.js';
import type { HandshakeContext, TraceFieldsArg } from '../handshake/context.js';
import type { HandshakeMachine, RenegotiationRequest } from '../handshake/machine.js';
import {
  MAX_CCS,
  MAX_CIPHERTEXT_12,
  MAX_CIPHERTEXT_13,
  MAX_PLAINTEXT,
  SEQ_SOFT_LIMIT,
} from '../limits.js';
import { DirectionState, type RecordParts } from '../record/protection.js';
import { EarlyDataSkipper } from '../record/early-data.js';
import { IdleRuns } from '../record/idle-runs.js';
import { HandshakeJoiner } from '../record/handshake-joiner.js';
import { alertFragment, readAlert } from './alerts.js';
import { announcedLength, checkRecordHeader, recordEnd, RECORD_HEADER_LENGTH } from '../record/deframer.js';
import { recordTrafficKeys } from '../tls13/key-schedule.js';
import type { ClientCx } from '../tls13/client.js';
import { ClientMachine13, ServerMachine13, type AcceptedClientHello } from '../tls13/machine.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType, ProtocolVersion } from '../wire/registry.js';
import { loadCertifiedKey, prepareClientConfig, prepareServerConfig } from './config.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';
import { authorizationOf } from './authorize.js';
import type { ConnectionObserver, EngineEvent, ProcessResult } from '../vocabulary/events.js';
import type { CertifiedKeyInput, ClientOptions, ServerOptions, TraceEvent } from '../vocabulary/options.js';
import type { EngineDependencies, Tls12Machines } from './dependencies.js';
import { STANDARD_DEPENDENCIES } from './standard.js';

/** A ClientHello handed over from the hello stage: the message (for the transcript) and its one decoding. */
export type AcceptedHello = AcceptedClientHello;

/** Options of one `process()` call. */
export interface ProcessOptions {
  /** Process at most this many records (DecryptMessage: 1). */
  readonly maxRecords?: number;
  /** Stop after the record that completed the handshake (SSPI: what follows is SECBUFFER_EXTRA). */
  readonly stopAfterHandshake?: boolean;
  /** Stop after a record that carried a post-handshake handshake message (SSPI: SEC_I_RENEGOTIATE). */
  readonly stopAfterPostHandshake?: boolean;
}

/** Sizes for SSPI STREAM_SIZES, for the current write protection. */
export interface StreamSizes {
  readonly header: number;
  readonly trailer: number;
  readonly maximumMessage: number;
  readonly buffers: number;
  readonly blockSize: number;
}

export type { HandshakeMachine, RenegotiationRequest, Tls12Machine } from '../handshake/machine.js';

/** `process()` without options (one frozen object, not one per call). */
const NO_OPTIONS: ProcessOptions = Object.freeze({});

/** A ProcessResult's empty events / plaintext (shared, frozen). */
const NO_EVENTS: readonly EngineEvent[] = Object.freeze([]);
const NO_PLAINTEXT: readonly Uint8Array[] = Object.freeze([]);

const CCS_RECORD = new Uint8Array([ContentType.ChangeCipherSpec, 3, 3, 0, 1, 1]);

/** The sans-IO TLS engine for one connection. */
export class TlsEngine {
  readonly side: 'client' | 'server';
  readonly #config: PreparedClientConfig | PreparedServerConfig;
  readonly #p: CryptoProvider;
  /** TLS 1.2 machines, passed in by whoever built this engine; undefined: TLS 1.3 only. */
  readonly #tls12: Tls12Machines | undefined;
  /** Where this connection's trace and key log go (the observer's, else the configuration's). */
  readonly #traceTo: ((e: TraceEvent) => void) | undefined;
  /** Where the key log goes: the observer's `keyLog`, read at each line (it may come and go), else the config's. */
  readonly #keyLogFrom: { readonly keyLog?: ((line: string) => void) | undefined };
  /** Server: a ClientHello decoded at the Accepted point (hello-stage.ts), handled by the first `process()`. */
  #accepted: AcceptedHello | undefined;
  /**
   * The state machine (any version, handshake/machine.ts); undefined for a client before `start()`, which builds it
   * from `#clientCx`.
   */
  #machine: HandshakeMachine | undefined;
  readonly #clientCx: ClientCx | undefined;
  readonly #read = new DirectionState();
  readonly #write = new DirectionState();
  readonly #joiner = new HandshakeJoiner();
  #readEpoch = 0;
  /**
   * Records to send, sealed straight into one buffer and copied out once by `#takeOut`. Its buffer is a pooled
   * scratch one (codec/writer.ts), borrowed at the first record and given back when the output is taken.
   */
  readonly #out = new Writer(0);
  /**
   * Handshake messages queued for the next flush, written into one buffer (emitMessage writes them there directly),
   * sealed from it and then wiped: a pooled scratch buffer, borrowed at the first message and given back at the
   * flush, so neither a handshake nor an idle connection allocates one of its own.
   */
  readonly #pendingHs = new Writer(0);
  /** Events and plaintext for the next ProcessResult: made at the first push (most calls have none of one or both). */
  #events: EngineEvent[] | undefined;
  #plaintext: Uint8Array[] | undefined;
  #failed: TlsError | undefined;
  #alert: Uint8Array | null = null;
  #peerClosed = false;
  #closed = false;
  #info: ConnectionInfo | undefined;
  #peerRecordLimit = MAX_PLAINTEXT;
  #ownLimitActive = false;
  readonly #earlySkip = new EarlyDataSkipper();
  readonly #idle = new IdleRuns();
  #ccsCount = 0;
  #postHandshake = 0;
  /** A received KeyUpdate asked for ours and it is not sent yet (see #answerKeyUpdate). */
  #keyUpdateOwed = false;
  #started = false;
  #clientRandom: Uint8Array | undefined;
  #peerOcsp: Uint8Array | undefined;
  /** The verify_data of the last Finished we sent / received (node:tls getFinished / getPeerFinished). */
  #ownFinished: Uint8Array | undefined;
  #peerFinished: Uint8Array | undefined;
  /** Output queued (not yet taken) holds protected records / protected records have left. */
  #outProtected = false;
  #sentProtected = false;
  /** Server: whether the client chain of the last requested renegotiation was enforced (overrides the config's). */
  #enforceOverride: boolean | undefined;

  /**
   * The HandshakeContext a state machine drives this engine through. Its methods live on one shared prototype (a
   * class inside this class body can reach the engine's private fields), so a connection costs one small object
   * instead of a dozen closures.
   */
  static readonly #Context = class EngineContext<C extends PreparedClientConfig | PreparedServerConfig> implements HandshakeContext {
    readonly #e: TlsEngine;
    readonly provider: CryptoProvider;
    readonly config: C;
    constructor(e: TlsEngine, config: C) {
      this.#e = e;
      this.provider = e.#p;
      this.config = config;
    }
    emit(raw: Uint8Array, name: string, fields?: TraceFieldsArg): void {
      const e = this.#e;
      e.#pending().bytes(raw);
      if (raw[0] === HandshakeType.Finished) e.#ownFinished = raw.subarray(4);
      if (e.#traceTo !== undefined) e.#traceTo({ direction: 'sent', message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
    }
    emitMessage(type: number, body: (w: Writer) => void, name: string, fields?: TraceFieldsArg): Uint8Array {
      const e = this.#e;
      const w = e.#pending();
      const at = w.length;
      w.u8(type).vec24(body);
      const raw = w.viewFrom(at);
      // The view is overwritten after the flush: keep a copy of our verify_data.
      if (type === HandshakeType.Finished) e.#ownFinished = raw.slice(4);
      if (e.#traceTo !== undefined) e.#traceTo({ direction: 'sent', message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
      return raw;
    }
    sendChangeCipherSpec(): void {
      const e = this.#e;
      e.#flushHandshake();
      // A TLS 1.2 renegotiation's ChangeCipherSpec is protected by the keys it replaces (RFC 5246 §6.2.3).
      // (TLS 1.3 and a first TLS 1.2 handshake: the plaintext record, as `none` protection writes it.)
      if (e.#write.mode === 'tls12') e.#sealOut(e.#write, ContentType.ChangeCipherSpec, CCS_RECORD.subarray(5));
      else e.#out.borrow().bytes(CCS_RECORD);
    }
    installReadKeys13(suite: SuiteInfo, secret: Uint8Array): void {
      this.#e.#installRead13(suite, secret);
    }
    installWriteKeys13(suite: SuiteInfo, secret: Uint8Array): void {
      this.#e.#installWrite13(suite, secret);
    }
    installReadKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
      const e = this.#e;
      e.#read.install12(e.#p, suite, key, iv);
      e.#readEpoch++;
    }
    installWriteKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
      const e = this.#e;
      e.#flushHandshake();
      e.#write.install12(e.#p, suite, key, iv);
    }
    event(ev: EngineEvent): void {
      (this.#e.#events ??= []).push(ev);
    }
    keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
      const log = this.#e.#keyLogFrom.keyLog;
      if (log !== undefined) log(`${label} ${hex(clientRandom)} ${hex(secret)}`);
    }
    traceReceived(name: string, fields?: TraceFieldsArg): void {
      const e = this.#e;
      if (e.#traceTo !== undefined) e.#traceTo({ direction: 'received', message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
    }
    setPeerRecordSizeLimit(limit: number): void {
      const e = this.#e;
      e.#peerRecordLimit = Math.min(MAX_PLAINTEXT, limit);
      // RFC 8449 §4: the extension was exchanged both ways, so our own advertised limit (if any) now applies.
      e.#ownLimitActive = true;
    }
    setSkipEarlyData(on: boolean): void {
      this.#e.#earlySkip.set(on);
    }
    deferKeyUpdateReply(): boolean {
      this.#e.#keyUpdateOwed = true;
      return true;
    }
    setPeerOcspResponse(response: Uint8Array): void {
      this.#e.#peerOcsp = response;
    }
    /** TLS 1.2 refuses renegotiation with a warning alert (RFC 5746 §4.2, §4.4) and the connection goes on. */
    sendWarningAlert(description: number): void {
      const e = this.#e;
      e.#flushHandshake();
      e.#sealOut(e.#write, ContentType.Alert, alertFragment(AlertLevel.Warning, description));
    }
  };

  /**
   * `deps.tls12`: the TLS 1.2 machines (undefined for a TLS 1.3-only engine); the trust store is the config's already.
   * `observer`: this connection's trace / key-log receivers, instead of the (shared) configuration's.
   */
  constructor(
    config: PreparedClientConfig | PreparedServerConfig,
    deps: EngineDependencies = STANDARD_DEPENDENCIES,
    observer?: ConnectionObserver,
    accepted?: AcceptedHello,
  ) {
    this.#config = config;
    this.#accepted = config.kind === 'server' ? accepted : undefined;
    this.#traceTo = observer !== undefined ? observer.trace : config.trace;
    this.#keyLogFrom = observer ?? config;
    this.#tls12 = deps.tls12;
    this.#p = config.provider;
    this.side = config.kind;
    if (config.kind === 'client') {
      const cx = new TlsEngine.#Context(this, config);
      this.#clientCx = cx;
      this.#machine = undefined;
    } else {
      const cx = new TlsEngine.#Context(this, config);
      this.#clientCx = undefined;
      this.#machine = new ServerMachine13({ kind: 'ExpectClientHello' }, cx, this.#tls12?.server, this.#accepted);
    }
  }

  /** The negotiated protocol version, as the machine knows it. */
  get #version(): number | undefined {
    return this.#machine?.version;
  }

  #installRead13(suite: SuiteInfo, secret: Uint8Array): void {
    const k = recordTrafficKeys(this.#p, suite, secret);
    this.#read.install13(this.#p, suite, k.key, k.iv);
    this.#readEpoch++;
  }

  #installWrite13(suite: SuiteInfo, secret: Uint8Array): void {
    this.#flushHandshake();
    const k = recordTrafficKeys(this.#p, suite, secret);
    this.#write.install13(this.#p, suite, k.key, k.iv);
  }

  /** The queued-messages writer, with a (pooled) buffer. */
  #pending(): Writer {
    return this.#pendingHs.borrow();
  }

  /** Seal one record of `type` under `dir` onto the output; returns the offset of its header there. */
  #sealOut(dir: DirectionState, type: number, plaintext: Uint8Array): number {
    const w = this.#out.borrow();
    const at = w.length;
    const room = w.room(RECORD_HEADER_LENGTH + plaintext.length + dir.overhead());
    w.advance(dir.sealInto(type, plaintext, room, at));
    return at;
  }

  /** Fragment and seal the queued handshake messages under the current write protection. */
  #flushHandshake(): void {
    const pending = this.#pendingHs;
    const total = pending.length;
    if (total === 0) return;
    const all = pending.view();
    const max = this.#write.mode === 'none' ? MAX_PLAINTEXT : this.#peerRecordLimit;
    // Sealing copies the messages into each record's plaintext; then the buffer is free again.
    for (let off = 0; off < total; off += max) {
      const at = this.#sealOut(this.#write, ContentType.Handshake, total <= max ? all : all.subarray(off, Math.min(total, off + max)));
      // RFC 8446 §5.1: legacy_record_version 0x0301 is allowed for the initial ClientHello.
      // (only that one: the ClientHello after a HelloRetryRequest uses 0x0303, RFC 8446 §5.1).
      if (this.#write.mode === 'none' && this.side === 'client' && !this.#started) this.#out.room(0)[at + 2] = 1;
      if (this.#write.mode !== 'none') this.#outProtected = true;
    }
    // Every message is in the output records now: the buffer is wiped and goes back to the pool.
    pending.release();
  }

  #takeOut(): Uint8Array {
    this.#flushHandshake();
    if (this.#outProtected) {
      this.#sentProtected = true;
      this.#outProtected = false;
    }
    const out = this.#out;
    if (out.length === 0) return EMPTY;
    const all = out.finish();
    out.release();
    return all;
  }

  #fail(e: unknown, sendAlert: boolean): TlsError {
    const err = asTlsError(e);
    if (this.#failed !== undefined) return this.#failed;
    this.#failed = err;
    this.#pendingHs.release();
    this.#out.release();
    if (sendAlert && err.kind !== 'AlertReceived' && err.kind !== 'Closed') {
      try {
        // If nothing protected has left yet (say the ServerHello built in this very call was dropped), the peer has
        // no keys to read a protected alert: send it in the clear.
        const dir = this.#sentProtected ? this.#write : new DirectionState();
        this.#alert = dir.seal(ContentType.Alert, alertFragment(AlertLevel.Fatal, err.alertCode));
        err.alertSent = true;
      } catch {
        this.#alert = null;
      }
    }
    return err;
  }

  /** The first error, if the connection has failed. */
  get failed(): TlsError | undefined {
    return this.#failed;
  }

  /** The fatal alert record to send after a failure (once), or null. */
  takeAlert(): Uint8Array | null {
    const a = this.#alert;
    this.#alert = null;
    return a;
  }

  /** Name of the current state, e.g. 'ExpectFinished' or 'Traffic'. */
  get stateName(): string {
    if (this.#failed !== undefined) return 'Failed';
    if (this.#closed && this.#peerClosed) return 'Closed';
    return this.#machine?.stateName ?? 'Start';
  }

  /** Whether application data can flow. */
  get isEstablished(): boolean {
    const m = this.#machine;
    if (this.#failed !== undefined || m === undefined) return false;
    // A TLS 1.2 renegotiation runs under the previous keys: application data goes on (RFC 5246 §7.4.1.1).
    return m.isTraffic || m.renegotiating;
  }

  get isHandshaking(): boolean {
    return this.#failed === undefined && !this.isEstablished;
  }

  /** The peer sent close_notify. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** We sent close_notify. */
  get closed(): boolean {
    return this.#closed;
  }

  /** What was negotiated, once established. */
  get info(): ConnectionInfo | undefined {
    return this.#info;
  }

  /** The negotiated protocol version (0x0304 / 0x0303), once known. */
  get version(): number | undefined {
    return this.#version;
  }

  /** Client: the first flight. Server: nothing (empty). Call once, before `process`. */
  start(): Uint8Array {
    if (this.#started) throw internalError('start() called twice');
    const cx = this.#clientCx;
    if (cx === undefined) {
      this.#started = true;
      return new Uint8Array(0);
    }
    try {
      const m = ClientMachine13.start(cx, this.#tls12?.client);
      this.#clientRandom = m.clientRandom;
      this.#machine = m;
      this.#flushHandshake();
      this.#started = true;
      return this.#takeOut();
    } catch (e) {
      throw this.#fail(e, false);
    }
  }

  /** Feed received bytes. See the class comment for the contract. */
  process(input: Uint8Array, opts: ProcessOptions = NO_OPTIONS): ProcessResult {
    if (this.#failed !== undefined) throw this.#failed;
    if (!this.#started) {
      if (this.side === 'client') throw internalError('process() before start()');
      this.#started = true;
    }
    const maxRecords = opts.maxRecords ?? Number.MAX_SAFE_INTEGER;
    let offset = 0;
    let records = 0;
    let missing: number | undefined;
    try {
      const accepted = this.#accepted;
      if (accepted !== undefined) {
        this.#accepted = undefined;
        this.#handshakeMessage(accepted.message);
      }
      while (offset < input.length && records < maxRecords) {
        if (this.#peerClosed) {
          // RFC 8446 §6.1: data after close_notify is ignored.
          offset = input.length;
          break;
        }
        // A header is checked as soon as it is complete, before its body has arrived.
        const len = announcedLength(input, offset);
        if (len !== undefined) checkRecordHeader(input[offset] as number, input[offset + 1] as number, len, this.#readLimit(input[offset] as number));
        const end = recordEnd(input, offset);
        if (end < 0) {
          missing = -end;
          break;
        }
        const wasHandshaking = this.isHandshaking;
        const postBefore = this.#postHandshake;
        this.#record(input[offset] as number, input.subarray(offset, offset + RECORD_HEADER_LENGTH), input.subarray(offset + RECORD_HEADER_LENGTH, end));
        offset = end;
        records++;
        if (opts.stopAfterHandshake === true && wasHandshaking && this.isEstablished) break;
        if (opts.stopAfterPostHandshake === true && this.#postHandshake !== postBefore) break;
      }
      this.#answerKeyUpdate();
    } catch (e) {
      throw this.#fail(e, true);
    }
    const output = this.#takeOut();
    const plaintext = this.#plaintext ?? NO_PLAINTEXT;
    const events = this.#events ?? NO_EVENTS;
    const result: ProcessResult =
      missing !== undefined ? { consumed: offset, missing, output, plaintext, events } : { consumed: offset, output, plaintext, events };
    this.#plaintext = undefined;
    this.#events = undefined;
    return result;
  }

  /**
   * Largest record body the current read protection allows for a record of `type`. Declined 0-RTT records skipped
   * after a HelloRetryRequest are ciphertext under no read key of ours: the ciphertext limit applies to them.
   */
  #readLimit(type: number): number {
    const skipped = this.#read.mode === 'none' && type === ContentType.ApplicationData && this.#earlySkip.active;
    if (this.#read.mode === 'none' && !skipped) return MAX_PLAINTEXT;
    return this.#read.mode === 'tls12' ? MAX_CIPHERTEXT_12 : MAX_CIPHERTEXT_13;
  }

  #record(type: number, header: Uint8Array, body: Uint8Array): void {
    if (type === ContentType.ChangeCipherSpec) {
      this.#changeCipherSpec(header, body);
      return;
    }
    let plain;
    if (this.#read.mode === 'tls13' && type === ContentType.Alert && this.isHandshaking && this.#readEpoch > 0 && body.length === 2) {
      // A plaintext alert during the handshake (e.g. the peer could not decrypt): accept it as such.
      plain = { type, fragment: body.slice() };
    } else {
      // RFC 8446 §4.2.10: declined 0-RTT records are skipped within a budget (src/record/early-data.ts).
      plain = this.#earlySkip.active ? this.#earlySkip.open(this.#read, header, type, body) : this.#read.open(header, type, body);
      if (plain === null) return;
    }
    if (plain.fragment.length > MAX_PLAINTEXT) throw limitExceeded('RecordOverflow', { detail: 'plaintext over 2^14' });
    const limit = this.#config.recordSizeLimit;
    if (limit !== undefined && this.#ownLimitActive && this.#read.mode !== 'none' && plain.fragment.length > limit - (this.#read.mode === 'tls13' ? 1 : 0)) {
      throw limitExceeded('RecordOverflow', { detail: 'plaintext over our record_size_limit' });
    }
    switch (plain.type) {
      case ContentType.Handshake:
        this.#handshakeRecord(plain.fragment);
        return;
      case ContentType.Alert:
        this.#alertRecord(plain.fragment);
        return;
      case ContentType.ApplicationData:
        if (!this.#joiner.isEmpty) throw misbehaved('MessageInterleaved');
        if (!this.isEstablished) throw misbehaved('ApplicationDataBeforeHandshake');
        if (plain.fragment.length === 0) {
          this.#idle.emptyRecord();
          return;
        }
        this.#idle.progress();
        (this.#plaintext ??= []).push(plain.fragment);
        return;
      default:
        // RFC 8446 §5: a protected change_cipher_spec (or any other type) is unexpected_message.
        throw misbehaved('InvalidContentType', { detail: `inner content type ${plain.type}` });
    }
  }

  #changeCipherSpec(header: Uint8Array, body: Uint8Array): void {
    const m = this.#machine;
    if (m === undefined) throw internalError('a record before start()');
    const role = m.changeCipherSpecRole;
    if (role === 'keyChange') {
      // TLS 1.2: the real ChangeCipherSpec; in a renegotiation it is protected by the current keys.
      const ccs = this.#read.mode === 'tls12' ? this.#read.open(header, ContentType.ChangeCipherSpec, body).fragment : body;
      if (ccs.length !== 1 || ccs[0] !== 1) throw misbehaved('InvalidChangeCipherSpec');
      if (!this.#joiner.isEmpty) throw misbehaved('KeyChangeNotOnRecordBoundary');
      this.#machine = m.changeCipherSpec();
      return;
    }
    // RFC 8446 §5 / D.4: a single-byte 0x01 CCS is ignored during the handshake, after the first ClientHello.
    if (role === 'unexpected') throw misbehaved('IllegalChangeCipherSpec');
    if (body.length !== 1 || body[0] !== 1) throw misbehaved('InvalidChangeCipherSpec');
    if (++this.#ccsCount > MAX_CCS) throw limitExceeded('TooManyChangeCipherSpecs');
  }

  #handshakeRecord(fragment: Uint8Array): void {
    // RFC 8446 §5.1: zero-length handshake fragments are forbidden.
    if (fragment.length === 0) throw misbehaved('InvalidContentType', { detail: 'empty handshake record' });
    const epoch = this.#readEpoch;
    // Every record's plaintext is a fresh array of ours (decrypted, or copied by the null protection).
    const msgs = this.#joiner.push(fragment, undefined, true);
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i] as HandshakeMessage;
      this.#handshakeMessage(m);
      // RFC 8446 §5.1: a key change must happen at a record boundary.
      if (this.#readEpoch !== epoch && (i < msgs.length - 1 || !this.#joiner.isEmpty)) throw misbehaved('KeyChangeNotOnRecordBoundary');
    }
    if (this.#readEpoch !== epoch && !this.#joiner.isEmpty) throw misbehaved('KeyChangeNotOnRecordBoundary');
  }

  #handshakeMessage(msg: HandshakeMessage): void {
    // Our answer to the peer's KeyUpdates goes before anything this message makes us send.
    if (msg.type !== HandshakeType.KeyUpdate) this.#answerKeyUpdate();
    const wasEstablished = this.isEstablished;
    if (wasEstablished) this.#postHandshake++;
    // KeyUpdates are limited per run without progress; any other handshake message is progress (src/record/idle-runs.ts).
    if (msg.type === HandshakeType.KeyUpdate) this.#idle.keyUpdate();
    else this.#idle.progress();
    const m = this.#machine;
    if (m === undefined) throw internalError('a handshake message before start()');
    this.#machine = m.handle(msg);
    if (msg.type === HandshakeType.Finished) this.#peerFinished = msg.body;
    if (wasEstablished) (this.#events ??= []).push({ type: 'PostHandshake', message: String(msg.type) });
    // A KeyUpdate changes no connection info: nothing to refresh (it is the message a flood repeats).
    if (msg.type !== HandshakeType.KeyUpdate) this.#afterTransition(wasEstablished, m.renegotiating);
  }

  /**
   * After a state change: report the handshake's completion, or refresh `info` after a post-handshake message
   * (`wasRenegotiating`: a TLS 1.2 renegotiation was running, and `Renegotiated` is reported when it completes).
   */
  #afterTransition(wasEstablished: boolean, wasRenegotiating = false): void {
    if (!wasEstablished && this.isEstablished) {
      const info = this.#authorize(this.#trafficInfo());
      this.#info = info;
      if (info !== undefined) (this.#events ??= []).push({ type: 'HandshakeComplete', info });
    } else if (wasEstablished) {
      const info = this.#authorize(this.#trafficInfo());
      if (info !== undefined) this.#info = info;
      if (wasRenegotiating && info !== undefined && this.#machine?.isTraffic === true) (this.#events ??= []).push({ type: 'Renegotiated', info });
    }
  }

  /**
   * Add what node:tls calls `authorized`/`authorizationError`, and the stapled OCSP response. When the chain was
   * enforced it is authorized by construction; when `rejectUnauthorized` was false the same policy is run now to
   * report (verified chains are cached, so this costs little).
   */
  #authorize(info: ConnectionInfo | undefined): ConnectionInfo | undefined {
    if (info === undefined) return undefined;
    const cfg = this.#config;
    const { authorized, authorizationError } = authorizationOf(info, cfg, this.#enforceOverride ?? cfg.verifier !== null, this.#p.now());
    // Listed field by field: an object spread here was our largest single item in the handshake profile.
    const out: { -readonly [K in keyof ConnectionInfo]: ConnectionInfo[K] } = {
      version: info.version,
      cipherSuite: info.cipherSuite,
      cipherName: info.cipherName,
      group: info.group,
      groupName: info.groupName,
      signatureScheme: info.signatureScheme,
      alpn: info.alpn,
      alpnProtocol: info.alpnProtocol,
      serverName: info.serverName,
      peerCertificates: info.peerCertificates,
      resumed: info.resumed,
      helloRetry: info.helloRetry,
      authorized,
      authorizationError,
    };
    if (this.#peerOcsp !== undefined) out.ocspResponse = this.#peerOcsp;
    else if ('ocspResponse' in info) out.ocspResponse = info.ocspResponse;
    return out;
  }

  #trafficInfo(): ConnectionInfo | undefined {
    return this.#machine?.info;
  }

  #alertRecord(fragment: Uint8Array): void {
    if (!this.#joiner.isEmpty) throw misbehaved('MessageInterleaved');
    const alert = readAlert(fragment, this.#version !== ProtocolVersion.TLS12);
    if (alert.kind === 'close') {
      this.#peerClosed = true;
      (this.#events ??= []).push({ type: 'PeerClosed' });
      return;
    }
    this.#idle.warningAlert();
    (this.#events ??= []).push({ type: 'WarningAlert', description: alert.description });
  }

  #checkWritable(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) throw closedError('close_notify already sent');
    if (!this.isEstablished) throw internalError('the handshake is not complete');
  }

  /** Largest plaintext per record we may send. */
  get maxFragment(): number {
    return this.#peerRecordLimit;
  }

  /** Seal application data into records of at most 2^14 (or the peer's record_size_limit) bytes. */
  seal(plaintext: Uint8Array): Uint8Array {
    this.#checkWritable();
    const max = this.#peerRecordLimit;
    const n = Math.max(1, Math.ceil(plaintext.length / max));
    const over = this.#write.overhead() + 5;
    if (this.#version === ProtocolVersion.TLS13 && this.#write.seq + n >= SEQ_SOFT_LIMIT) this.updateKeysInto(false);
    const pre = this.#takeOut();
    // One record and nothing queued before it (the bulk case): the AEAD builds it in one unfilled allocation.
    if (n === 1 && pre.length === 0) return this.#write.seal(ContentType.ApplicationData, plaintext);
    const out = new Uint8Array(pre.length + plaintext.length + n * over);
    out.set(pre, 0);
    let at = pre.length;
    for (let off = 0; off < plaintext.length || (off === 0 && plaintext.length === 0); off += max) {
      at += this.#write.sealInto(ContentType.ApplicationData, plaintext.subarray(off, Math.min(plaintext.length, off + max)), out, at);
      if (plaintext.length === 0) break;
    }
    return at === out.length ? out : out.subarray(0, at);
  }

  /** Seal exactly one record (≤ maxFragment bytes): SSPI EncryptMessage. */
  sealRecord(plaintext: Uint8Array): Uint8Array {
    this.#checkWritable();
    if (plaintext.length > this.#peerRecordLimit) throw internalError('record plaintext too large');
    return this.#write.seal(ContentType.ApplicationData, plaintext);
  }

  /**
   * Seal exactly one record as header / body / trailer pieces taken from the cipher's output without copying
   * (SSPI EncryptMessage writes them into the caller's three buffers).
   */
  sealRecordParts(plaintext: Uint8Array): RecordParts {
    this.#checkWritable();
    if (plaintext.length > this.#peerRecordLimit) throw internalError('record plaintext too large');
    return this.#write.sealParts(ContentType.ApplicationData, plaintext);
  }

  /** STREAM_SIZES for the current protection. */
  streamSizes(): StreamSizes {
    const tls13 = this.#write.mode === 'tls13';
    const explicit = this.#write.suite?.explicitNonceLen ?? 0;
    return {
      header: tls13 ? 5 : 5 + explicit,
      trailer: tls13 ? 17 : 16,
      maximumMessage: this.#peerRecordLimit,
      buffers: 4,
      blockSize: 1,
    };
  }

  /** Queue close_notify (after all data sealed so far) and return it. */
  close(): Uint8Array {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) return new Uint8Array(0);
    this.#closed = true;
    const pre = this.#takeOut();
    const rec = this.#write.seal(ContentType.Alert, alertFragment(AlertLevel.Warning, AlertDescription.close_notify));
    return pre.length === 0 ? rec : concat(pre, rec);
  }

  /** Send an alert on the application's behalf (SSPI SCHANNEL_ALERT). A fatal one ends the connection. */
  sendAlert(description: number, fatal: boolean): Uint8Array {
    if (this.#failed !== undefined) throw this.#failed;
    const rec = this.#write.seal(ContentType.Alert, alertFragment(fatal ? AlertLevel.Fatal : AlertLevel.Warning, description));
    if (fatal) {
      this.#failed = closedError(`fatal alert ${alertName(description) ?? description} sent by the application`);
    }
    return rec;
  }

  /** Pending output (after start(), process(), updateKeys...). */
  takeOutput(): Uint8Array {
    return this.#takeOut();
  }

  /**
   * Send the KeyUpdate the peer asked for, if one is owed (RFC 8446 §4.6.3). Received requests are answered once
   * the records read with them are handled, before anything else of ours: a run of them (a flood) costs one update
   * of our keys, not one each, and the peer, which has kept its read keys, gets one.
   */
  #answerKeyUpdate(): void {
    if (!this.#keyUpdateOwed) return;
    this.#keyUpdateOwed = false;
    // After our close_notify nothing more of ours goes out (RFC 8446 §6.1): the request goes unanswered, as it asks
    // for an update before data we will not send.
    if (this.#closed) return;
    this.updateKeysInto(false);
  }

  /** TLS 1.3 KeyUpdate: returns the record to send. */
  updateKeys(requestPeer: boolean): Uint8Array {
    this.#checkWritable();
    this.updateKeysInto(requestPeer);
    return this.#takeOut();
  }

  /** @internal Queue a KeyUpdate without taking the output. */
  updateKeysInto(requestPeer: boolean): void {
    const m = this.#machine;
    if (m === undefined) throw internalError('KeyUpdate needs TLS 1.3');
    this.#machine = m.updateKeys(requestPeer);
    this.#flushHandshake();
  }

  /** Server, TLS 1.3: request a client certificate after the handshake (RFC 8446 §4.6.2). */
  requestClientCertificate(): Uint8Array {
    this.#checkWritable();
    const m = this.#machine;
    if (m === undefined) throw internalError('post-handshake auth needs a TLS 1.3 server');
    this.#machine = m.requestClientCertificate();
    return this.#takeOut();
  }

  /**
   * Server, TLS 1.2: start a secure renegotiation (RFC 5746): queue HelloRequest and return it; the client's new
   * ClientHello then runs a full handshake under the current keys, with client authentication as `request` says
   * (the IIS/.NET pattern: a client certificate asked for only now). `Renegotiated` reports its end. Throws,
   * without failing the connection, past `maxRenegotiations`.
   * Client, TLS 1.2: start one (RFC 5746 §3.5): queue a ClientHello with renegotiation_info; `request` asks nothing.
   */
  requestRenegotiation(request: RenegotiationRequest): Uint8Array {
    this.#checkWritable();
    const m = this.#machine;
    if (m === undefined || !m.canRenegotiate) throw internalError('renegotiation needs a TLS 1.2 connection in traffic');
    if (this.#config.kind === 'client' && request.clientAuth !== 'none') throw internalError('a client does not request client certificates');
    if (request.clientAuth !== 'none' && request.enforce && this.#config.reportVerifier === null) {
      throw internalError('client certificates are requested but no `ca` was given to verify them');
    }
    this.#machine = m.requestRenegotiation(request);
    if (request.clientAuth !== 'none') this.#enforceOverride = request.enforce;
    return this.#takeOut();
  }

  /** Whether a TLS 1.2 renegotiation handshake is running. */
  get renegotiating(): boolean {
    return this.#failed === undefined && this.#machine?.renegotiating === true;
  }

  /** Client: the server asked for a certificate and the engine waits for `supplyClientCertificate()`. */
  get awaitingClientCertificate(): boolean {
    return this.#machine?.awaitingClientCertificate === true;
  }

  /**
   * Client, with `deferClientCertificate`: answer the waiting CertificateRequest with `certificate` (null: an empty
   * Certificate, which a server requiring one refuses) and finish the handshake. Returns what to send and the events
   * (HandshakeComplete), as `process()` would.
   */
  supplyClientCertificate(certificate: CertifiedKeyInput | null): { readonly output: Uint8Array; readonly events: readonly EngineEvent[] } {
    if (this.#failed !== undefined) throw this.#failed;
    if (!this.awaitingClientCertificate) throw internalError('no CertificateRequest is waiting for a certificate');
    try {
      const ck = certificate === null ? null : loadCertifiedKey(certificate, this.#p);
      if (!this.#joiner.isEmpty) throw misbehaved('KeyChangeNotOnRecordBoundary');
      const m = this.#machine;
      if (m === undefined) throw internalError('no CertificateRequest is waiting for a certificate');
      // In a TLS 1.2 renegotiation the connection stays established (only `info` is refreshed at its end).
      const renegotiating = m.renegotiating;
      this.#machine = m.supplyClientCertificate(ck);
      this.#afterTransition(renegotiating, renegotiating);
    } catch (e) {
      throw this.#fail(e, true);
    }
    const events = this.#events ?? NO_EVENTS;
    this.#events = undefined;
    return { output: this.#takeOut(), events };
  }

  /** TLS exporter (RFC 8446 §7.5 / RFC 5705). */
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    if (!this.isEstablished) throw internalError('the handshake is not complete');
    const m = this.#machine;
    if (m === undefined) throw internalError('the handshake is not complete');
    return m.exportKeyingMaterial(label, context, length);
  }

  /** The client random (for key logs). */
  get clientRandom(): Uint8Array | undefined {
    return this.#clientRandom;
  }

  /** RFC 5929 tls-unique channel binding (TLS 1.2 only; RFC 9266: undefined for TLS 1.3), a copy. */
  get tlsUnique(): Uint8Array | undefined {
    return this.#machine?.tlsUnique;
  }

  /**
   * The verify_data of the last Finished message this side sent / received (RFC 8446 §4.4.4, RFC 5246 §7.4.9), a
   * copy; undefined before one was. node:tls's getFinished() / getPeerFinished().
   */
  get finished(): Uint8Array | undefined {
    return this.#ownFinished?.slice();
  }
  get peerFinished(): Uint8Array | undefined {
    return this.#peerFinished?.slice();
  }

  /** Client: the OCSP response the server stapled in this handshake, once received; undefined when none (yet). */
  get peerOcspResponse(): Uint8Array | undefined {
    return this.#peerOcsp;
  }

  /** Our own certificate chain used in this connection (server: the chosen chain; client: the one sent). */
  get localCertificates(): readonly Uint8Array[] {
    return this.#machine?.localChain ?? [];
  }
}

/** A server engine for one connection. Prepared configs can be shared by many engines. */
export function createServerEngine(options: ServerOptions | PreparedServerConfig, deps: EngineDependencies = STANDARD_DEPENDENCIES): TlsEngine {
  return new TlsEngine('kind' in options ? options : prepareServerConfig(options, deps), deps);
}

/** A client engine for one connection; call `start()` for the ClientHello. */
export function createClientEngine(options: ClientOptions | PreparedClientConfig, deps: EngineDependencies = STANDARD_DEPENDENCIES): TlsEngine {
  return new TlsEngine('kind' in options ? options : prepareClientConfig(options, deps), deps);
}
