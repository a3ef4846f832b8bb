/**
 * The sans-IO DTLS 1.2 engine (RFC 6347): datagrams in, datagrams out, synchronous, no sockets and no timers. It
 * drives the TLS 1.2 state machines (src/tls12) through a HandshakeContext of its own and adds what datagrams need:
 * epochs and record sequence numbers (src/dtls/record-layer12.ts), handshake fragmentation to the path MTU and
 * reassembly (src/dtls/handshake.ts), flights and their retransmission on a timer the caller runs (`nextTimeout()`,
 * `handleTimeout(now)`), and HelloVerifyRequest cookies (src/dtls/hello.ts).
 *
 * Every datagram that does not frame, authenticate or fit the handshake's state is dropped (RFC 6347 §4.1.2.7) and
 * counted in `drops`; a handshake message that authenticates but breaks the protocol fails the connection with its
 * alert, as TLS does (the alert datagram is `takeAlert()`).
 */
import { hex } from '../codec/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { alertReceived, alertName, asTlsError, closedError, incompatible, internalError, limitExceeded, misbehaved, type TlsError } from '../errors.js';
import type { HandshakeContext, TraceFieldsArg } from '../handshake/context.js';
import type { Tls12Machine } from '../handshake/machine.js';
import type { EngineDependencies } from '../engine/dependencies.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import { authorizationOf } from '../engine/authorize.js';
import { clientHandle13, startClient13, Tls12Selected, type ClientCx, type ClientState13 } from '../tls13/client.js';
import type { ServerCx } from '../tls13/server.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';
import type { ConnectionObserver, EngineEvent } from '../vocabulary/events.js';
import type { TraceEvent } from '../vocabulary/options.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { decodeClientHelloBasics } from '../wire/client-hello.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType, ProtocolVersion } from '../wire/registry.js';
import { decodeFragments, encodeMessage, fragmentMessage, Reassembler, type DtlsHandshakeMessage } from './handshake.js';
import { CookieSecret, decodeDtlsClientHello, decodeHelloVerifyRequest, dtlsClientHelloFromTls, encodeHelloVerifyRequest, HELLO_VERIFY_REQUEST, tlsVersionOf, withVersion } from './hello.js';
import type { DatagramEngine, DtlsResult } from './datagram-engine.js';
export type { DtlsResult } from './datagram-engine.js';
import type { DropCounts, ReceivedRecord } from './record-layer.js';
import { DtlsRecordLayer12 } from './record-layer12.js';
import { DTLS12, DTLS_RECORD_HEADER } from './record.js';
import { RetransmitTimer } from './retransmit.js';

/** Datagram-specific settings of one connection. */
export interface DtlsOptions {
  /**
   * Path MTU for what we send: the largest datagram payload (UDP payload), records included. Default 1400 (a 1500
   * byte Ethernet MTU less IP and UDP headers, with room for tunnels). Handshake messages are fragmented to fit.
   */
  readonly mtu?: number;
  /** The retransmission timer's first value, in ms (RFC 6347 §4.2.4.1: 1000). */
  readonly initialTimeoutMs?: number;
  /** Retransmissions of one flight before the handshake times out (default 10: about 9 minutes at the defaults). */
  readonly maxRetransmissions?: number;
  /**
   * Server: require a HelloVerifyRequest cookie round trip before any state (RFC 6347 §4.2.1). Default true. Pass a
   * CookieSecret to share one among connections (the node adapter does), else each engine makes its own.
   */
  readonly cookies?: boolean | CookieSecret;
  /** Server: bytes naming the client's transport address, bound into the cookie. */
  readonly peer?: Uint8Array;
  /** Client: the first epoch-0 record sequence number (after a DTLS 1.3 attempt's records: the server's replay window saw those). */
  readonly firstRecordSeq?: number;
}


/** Smallest MTU accepted (Schannel's lower bound for SECPKG_ATTR_DTLS_MTU; room for headers, AEAD overhead and data). */
export const MIN_MTU = 200;
/** Largest MTU (a UDP payload over IPv4 cannot be larger). */
export const MAX_MTU = 65507;

/** An entry of a flight: a handshake message or a ChangeCipherSpec, and the epoch it is sent in. */
type FlightEntry =
  | { readonly kind: 'handshake'; readonly epoch: number; readonly msgType: number; readonly seq: number; readonly body: Uint8Array }
  | { readonly kind: 'ccs'; readonly epoch: number };

type State =
  | { readonly proto: 'start'; readonly cx: ClientCx }
  | { readonly proto: 'client-hello'; readonly s: ClientState13; readonly cx: ClientCx }
  | { readonly proto: 'server-hello'; readonly cx: ServerCx }
  | { readonly proto: 'tls12'; readonly s: Tls12Machine };

const CCS_BODY = new Uint8Array([1]);

/** The DTLS 1.2 engine for one connection. */
export class DtlsEngine implements DatagramEngine {
  readonly side: 'client' | 'server';
  readonly #config: PreparedClientConfig | PreparedServerConfig;
  readonly #p: CryptoProvider;
  readonly #deps: EngineDependencies;
  readonly #traceTo: ((e: TraceEvent) => void) | undefined;
  readonly #keyLogTo: ((line: string) => void) | undefined;
  readonly #rl: DtlsRecordLayer12;
  readonly #reasm = new Reassembler();
  readonly #timer: RetransmitTimer;
  readonly #cookies: CookieSecret | undefined;
  readonly #peer: Uint8Array;
  #mtu: number;
  #m: State;
  /** Next message_seq we send. */
  #sendSeq = 0;
  /** The flight last sent (kept for retransmission) and whether the peer has answered it since. */
  #flight: FlightEntry[] = [];
  #flightAnswered = false;
  /** Entries added in this call, sent at its end. */
  #fresh: FlightEntry[] = [];
  /** Extra datagrams of this call (alerts, retransmissions). */
  #extra: Uint8Array[] = [];
  /** TLS form of a message → its DTLS form (the transcript's). */
  readonly #forms = new WeakMap<Uint8Array, Uint8Array>();
  /** Client: the ClientHello the TLS machine built (TLS form) and the cookie it carries. */
  #clientHello: Uint8Array | undefined;
  #cookie: Uint8Array = new Uint8Array(0);
  /** Handshake messages from records of an epoch before this one are never new (only retransmissions). */
  #handshakeEpoch = 0;
  /** Read records of the next epoch that became readable during this call. */
  #reopened: ReceivedRecord[] = [];
  #events: EngineEvent[] = [];
  #plaintext: Uint8Array[] = [];
  #failed: TlsError | undefined;
  #alert: Uint8Array | null = null;
  #info: ConnectionInfo | undefined;
  #peerClosed = false;
  #closed = false;
  #retransmittedThisCall = false;
  /** The peer's message_seq our current flight answers (-1: none); a repeat of it means our flight was lost. */
  #answers = -1;
  /** Datagrams and records dropped, by reason (RFC 6347 §4.1.2.7: silently). */
  readonly drops: DropCounts = { malformed: 0, badMac: 0, replayed: 0, future: 0 };
  /** Handshake fragments dropped (out of window, inconsistent) and retransmissions sent (for tests and traces). */
  readonly stats = { fragmentsDropped: 0, retransmissions: 0, flightsSent: 0 };

  constructor(config: PreparedClientConfig | PreparedServerConfig, options: DtlsOptions = {}, deps: EngineDependencies = STANDARD_DEPENDENCIES, observer?: ConnectionObserver) {
    if (deps.tls12 === undefined) throw internalError('DTLS 1.2 needs the TLS 1.2 machines');
    this.#config = config;
    this.#deps = deps;
    this.#p = config.provider;
    this.side = config.kind;
    this.#traceTo = observer !== undefined ? observer.trace : config.trace;
    this.#keyLogTo = observer !== undefined ? observer.keyLog : config.keyLog;
    this.#rl = new DtlsRecordLayer12(this.#p);
    this.#mtu = checkMtu(options.mtu ?? 1400);
    this.#timer = new RetransmitTimer(options.initialTimeoutMs ?? 1000, options.maxRetransmissions ?? 10);
    this.#peer = options.peer ?? new Uint8Array(0);
    if (options.firstRecordSeq !== undefined) this.#rl.advanceWriteSeq(0, options.firstRecordSeq);
    const cookies = options.cookies ?? true;
    this.#cookies = config.kind === 'server' && cookies !== false ? (cookies === true ? new CookieSecret(this.#p) : cookies) : undefined;
    const cx = new DtlsContext(this, config);
    this.#m = config.kind === 'client' ? { proto: 'start', cx } : { proto: 'server-hello', cx };
  }

  // ---- what the context does (called by DtlsContext) ----

  /** @internal */
  _emit(raw: Uint8Array, name: string, fields?: TraceFieldsArg): void {
    const msgType = raw[0] as number;
    let body = raw.subarray(4);
    if (msgType === HandshakeType.ClientHello) {
      this.#clientHello = raw;
      body = dtlsClientHelloFromTls(raw, this.#cookie);
    } else if (msgType === HandshakeType.ServerHello) {
      body = withVersion(body, DTLS12);
    }
    const seq = this.#sendSeq++;
    this.#forms.set(raw, encodeMessage(msgType, seq, body));
    this.#add({ kind: 'handshake', epoch: this.#rl.writeEpoch, msgType, seq, body: body.slice() });
    this.#trace('sent', name, fields);
  }

  /** @internal */
  _changeCipherSpec(): void {
    this.#add({ kind: 'ccs', epoch: this.#rl.writeEpoch });
  }

  /** @internal */
  _installRead(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#reopened.push(...this.#rl.installRead({ suite, key, iv }, this.drops));
    this.#handshakeEpoch = this.#rl.readEpoch;
  }

  /** @internal */
  _installWrite(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#rl.installWrite({ suite, key, iv });
  }

  /** @internal */
  _event(e: EngineEvent): void {
    this.#events.push(e);
  }

  /** @internal */
  _keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
    if (this.#keyLogTo !== undefined) this.#keyLogTo(`${label} ${hex(clientRandom)} ${hex(secret)}`);
  }

  /** @internal */
  _trace(direction: 'sent' | 'received', name: string, fields?: TraceFieldsArg): void {
    this.#trace(direction, name, fields);
  }

  /** @internal */
  _warningAlert(description: number): void {
    this.#extra.push(this.#rl.seal(ContentType.Alert, new Uint8Array([AlertLevel.Warning, description])));
  }

  /** @internal The DTLS form of a message for the transcript. */
  _form(raw: Uint8Array): Uint8Array {
    return this.#forms.get(raw) ?? raw;
  }

  #trace(direction: 'sent' | 'received', name: string, fields?: TraceFieldsArg): void {
    if (this.#traceTo !== undefined) this.#traceTo({ direction, message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
  }

  #add(e: FlightEntry): void {
    if (this.#flightAnswered) {
      this.#flight = [];
      this.#flightAnswered = false;
    }
    this.#flight.push(e);
    this.#fresh.push(e);
  }

  // ---- public surface ----

  /** The path MTU in use (datagram payload bytes). */
  get mtu(): number {
    return this.#mtu;
  }

  /** Set the path MTU (SSPI SECPKG_ATTR_DTLS_MTU; a PMTU discovery result). Applies to what is sent next. */
  set mtu(value: number) {
    this.#mtu = checkMtu(value);
  }

  get failed(): TlsError | undefined {
    return this.#failed;
  }

  get isEstablished(): boolean {
    const m = this.#m;
    return this.#failed === undefined && m.proto === 'tls12' && m.s.isTraffic;
  }

  get isHandshaking(): boolean {
    return this.#failed === undefined && !this.isEstablished;
  }

  get info(): ConnectionInfo | undefined {
    return this.#info;
  }

  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get stateName(): string {
    if (this.#failed !== undefined) return 'Failed';
    const m = this.#m;
    if (m.proto === 'start') return 'Start';
    if (m.proto === 'server-hello') return 'ExpectClientHello';
    if (m.proto === 'client-hello') return 'ExpectServerHello';
    return m.s.stateName;
  }

  /** The negotiated version on the wire (DTLS 1.2), once established. */
  get version(): number | undefined {
    return this.isEstablished ? DTLS12 : undefined;
  }

  /** The largest application data a record we send can hold under the MTU. */
  get maxPlaintext(): number {
    return Math.max(1, this.#mtu - this.#rl.overhead(this.#rl.writeEpoch));
  }

  /** The fatal alert datagram to send after a failure (once), or null. */
  takeAlert(): Uint8Array | null {
    const a = this.#alert;
    this.#alert = null;
    return a;
  }

  /** Absolute time (ms, the provider's clock) at which `handleTimeout` must be called, or null for none. */
  nextTimeout(): number | null {
    return this.#failed === undefined ? this.#timer.deadline : null;
  }

  /** Client: the first flight (ClientHello). Server: nothing. Call once. */
  start(now: number = this.#p.now()): DtlsResult {
    const m = this.#m;
    if (m.proto !== 'start') return this.#result(now);
    try {
      const s = startClient13(m.cx, true);
      this.#m = { proto: 'client-hello', s, cx: m.cx };
    } catch (e) {
      throw this.#fail(e);
    }
    return this.#result(now);
  }

  /** Feed one received datagram. Throws the TlsError that failed the connection (then see `takeAlert`). */
  process(datagram: Uint8Array, now: number = this.#p.now()): DtlsResult {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#m.proto === 'start') throw internalError('process() before start()');
    this.#retransmittedThisCall = false;
    try {
      const records = this.#rl.receive(datagram, this.drops);
      for (const r of records) {
        this.#record(r);
        // Records of the next epoch held by the record layer become readable once its keys are installed.
        while (this.#reopened.length > 0) this.#record(this.#reopened.shift() as ReceivedRecord);
      }
    } catch (e) {
      throw this.#fail(e);
    }
    return this.#result(now);
  }

  /**
   * The retransmission timer: when `now` has reached `nextTimeout()`, the last flight is sent again (RFC 6347
   * §4.2.4) and the timer doubled; after `maxRetransmissions` the handshake fails (a TlsError is thrown; no alert).
   */
  handleTimeout(now: number = this.#p.now()): DtlsResult {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#timer.expired(now)) {
      if (!this.#timer.backOff(now)) {
        this.#timer.stop();
        throw this.#fail(limitExceeded('HandshakeTimeout', { detail: `no answer after ${this.#timer.retransmissions} retransmissions` }), false);
      }
      this.#extra.push(...this.#pack(this.#flight));
      this.stats.retransmissions++;
    }
    const r = this.#result(now, false);
    return r;
  }

  /**
   * Send the last flight again now, as the timer would (SSPI: the caller reports a timeout). Returns its datagrams;
   * empty when there is no flight to repeat.
   */
  retransmit(now: number = this.#p.now()): Uint8Array[] {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#flight.length === 0) return [];
    if (this.#timer.deadline !== null && !this.#timer.backOff(now)) {
      this.#timer.stop();
      throw this.#fail(limitExceeded('HandshakeTimeout', { detail: 'no answer' }), false);
    }
    this.stats.retransmissions++;
    return this.#pack(this.#flight);
  }

  /** Protect application data: one record per datagram, each at most `maxPlaintext` bytes of data. */
  seal(data: Uint8Array): Uint8Array[] {
    this.#checkWritable();
    const max = this.maxPlaintext;
    const out: Uint8Array[] = [];
    if (data.length === 0) return out;
    for (let off = 0; off < data.length; off += max) {
      out.push(this.#rl.seal(ContentType.ApplicationData, data.subarray(off, Math.min(data.length, off + max))));
    }
    return out;
  }

  /** close_notify (RFC 6347 §4.1.2.7: alerts are not retransmitted). */
  close(): Uint8Array[] {
    if (this.#closed || this.#failed !== undefined) return [];
    this.#closed = true;
    this.#timer.stop();
    return [this.#rl.seal(ContentType.Alert, new Uint8Array([AlertLevel.Warning, AlertDescription.close_notify]))];
  }

  /** RFC 5705 exporter (DTLS-SRTP keys and the like), once established. */
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    const m = this.#m;
    if (!this.isEstablished || m.proto !== 'tls12') throw internalError('the handshake is not complete');
    return m.s.exportKeyingMaterial(label, context, length);
  }

  #checkWritable(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) throw closedError('close_notify already sent');
    if (!this.isEstablished) throw internalError('the handshake is not complete');
  }

  #result(now: number, fromPeer = true): DtlsResult {
    const datagrams: Uint8Array[] = [];
    if (this.#fresh.length > 0) {
      this.#answers = this.#reasm.nextSeq - 1;
      datagrams.push(...this.#pack(this.#fresh));
      this.#fresh = [];
      this.stats.flightsSent++;
      // A flight that needs an answer runs the timer; our last flight of a handshake waits for the peer's
      // retransmission instead (RFC 6347 §4.2.4: the final flight is sent again only when the peer resends).
      if (this.isEstablished) this.#timer.stop();
      else this.#timer.start(now);
    } else if (fromPeer && this.isEstablished) {
      this.#timer.stop();
    }
    datagrams.push(...this.#extra);
    this.#extra = [];
    const r: DtlsResult = { datagrams, plaintext: this.#plaintext, events: this.#events };
    this.#plaintext = [];
    this.#events = [];
    return r;
  }

  /** Records for flight entries, packed into datagrams of at most the MTU. */
  #pack(entries: readonly FlightEntry[]): Uint8Array[] {
    const records: Uint8Array[] = [];
    for (const e of entries) {
      if (e.kind === 'ccs') {
        records.push(this.#rl.seal(ContentType.ChangeCipherSpec, CCS_BODY, e.epoch));
        continue;
      }
      const room = this.#mtu - this.#rl.overhead(e.epoch);
      for (const f of fragmentMessage(e.msgType, e.seq, e.body, room)) records.push(this.#rl.seal(ContentType.Handshake, f, e.epoch));
    }
    const out: Uint8Array[] = [];
    let cur: Uint8Array[] = [];
    let len = 0;
    for (const r of records) {
      if (len > 0 && len + r.length > this.#mtu) {
        out.push(join(cur, len));
        cur = [];
        len = 0;
      }
      cur.push(r);
      len += r.length;
    }
    if (len > 0) out.push(join(cur, len));
    return out;
  }

  #fail(e: unknown, sendAlert = true): TlsError {
    const err = asTlsError(e);
    if (this.#failed !== undefined) return this.#failed;
    this.#failed = err;
    this.#timer.stop();
    this.#fresh = [];
    this.#extra = [];
    if (sendAlert && err.kind !== 'AlertReceived' && err.kind !== 'Closed') {
      try {
        this.#alert = this.#rl.seal(ContentType.Alert, new Uint8Array([AlertLevel.Fatal, err.alertCode]));
        err.alertSent = true;
      } catch {
        this.#alert = null;
      }
    }
    return err;
  }

  #record(r: ReceivedRecord): void {
    switch (r.type) {
      case ContentType.Handshake:
        this.#handshakeRecord(r);
        return;
      case ContentType.ChangeCipherSpec:
        this.#ccs(r);
        return;
      case ContentType.Alert:
        this.#alertRecord(r);
        return;
      case ContentType.ApplicationData:
        // RFC 6347 §4.1: data before the handshake's keys, or under an old epoch, is dropped.
        if (!this.isEstablished || r.epoch !== this.#rl.readEpoch || r.epoch === 0 || this.#peerClosed) {
          this.drops.malformed++;
          return;
        }
        // The peer is in traffic: it has our last flight, nothing more to repeat.
        this.#flight = [];
        if (r.fragment.length > 0) this.#plaintext.push(r.fragment);
        return;
      default:
        this.drops.malformed++;
    }
  }

  #ccs(r: ReceivedRecord): void {
    const m = this.#m;
    // A ChangeCipherSpec that is early (messages before it still missing), late or repeated is dropped: the flight
    // it belongs to is resent whole.
    if (m.proto !== 'tls12' || m.s.stateName !== 'ExpectChangeCipherSpec' || r.epoch !== this.#rl.readEpoch || !this.#reasm.isEmpty) {
      this.drops.malformed++;
      return;
    }
    if (r.fragment.length !== 1 || r.fragment[0] !== 1) throw misbehaved('InvalidChangeCipherSpec');
    this.#m = { proto: 'tls12', s: m.s.changeCipherSpec() };
  }

  #alertRecord(r: ReceivedRecord): void {
    // Alerts in the clear are believed only during the handshake (RFC 6347 §4.1.2.7 lets them be dropped).
    if (r.epoch !== this.#rl.readEpoch || (r.epoch === 0 && this.isEstablished)) {
      this.drops.malformed++;
      return;
    }
    if (r.fragment.length !== 2) {
      this.drops.malformed++;
      return;
    }
    const level = r.fragment[0] as number;
    const description = r.fragment[1] as number;
    if (description === AlertDescription.close_notify) {
      if (!this.#peerClosed) this.#events.push({ type: 'PeerClosed' });
      this.#peerClosed = true;
      return;
    }
    if (level === AlertLevel.Fatal) throw alertReceived(alertName(description), description);
    this.#events.push({ type: 'WarningAlert', description });
  }

  #handshakeRecord(r: ReceivedRecord): void {
    const fragments = decodeFragments(r.fragment);
    if (fragments === undefined || fragments.length === 0) {
      this.drops.malformed++;
      return;
    }
    for (const f of fragments) {
      // A server before a ClientHello with a valid cookie keeps no state (here or in a front end's gate): it takes a
      // ClientHello at whatever message_seq the client gives it (RFC 6347 §4.2.2: 1 after the cookie exchange, 0
      // again when the client repeats its first ClientHello because our HelloVerifyRequest was lost).
      if (this.#m.proto === 'server-hello' && f.msgType === HandshakeType.ClientHello && this.#reasm.isEmpty && f.messageSeq !== this.#reasm.nextSeq) {
        this.#reasm.expect(f.messageSeq);
      }
      const old = f.messageSeq < this.#reasm.nextSeq;
      if (old || r.epoch < this.#handshakeEpoch || this.isEstablished) {
        // A retransmission: the peer did not get our answer to its last flight. Send it again (RFC 6347 §4.2.4),
        // once per datagram, on the last message of that flight.
        // Only the flight our last flight answered counts: a repeat of the peer's later flight (its final one,
        // sent again because it saw our flight twice) must not be answered, or the two sides echo each other.
        if (old && f.messageSeq === this.#answers && this.#reasm.nextSeq - 1 === this.#answers && this.#flight.length > 0 && !this.#retransmittedThisCall) {
          this.#retransmittedThisCall = true;
          this.stats.retransmissions++;
          this.#extra.push(...this.#pack(this.#flight));
        }
        continue;
      }
      if (this.#reasm.push(f) === 'dropped') this.stats.fragmentsDropped++;
    }
    for (let m = this.#reasm.take(); m !== undefined; m = this.#reasm.take()) {
      this.#message(m, r);
      if (this.#failed !== undefined) return;
    }
  }

  #message(m: DtlsHandshakeMessage, r: ReceivedRecord): void {
    // The peer answered: our flight is complete (kept until the next one starts, for the retransmissions above).
    // The timer keeps running until our next flight goes out (or the handshake completes): the rest of the peer's
    // flight may be lost (say a NewSessionTicket arrives and its ChangeCipherSpec and Finished do not), and only
    // our retransmission makes the peer send it again.
    this.#flightAnswered = true;
    const raw = encodeMessage(m.msgType, m.messageSeq, m.body);
    const wasEstablished = this.isEstablished;
    const st = this.#m;
    switch (st.proto) {
      case 'start':
        throw internalError('a handshake message before start()');
      case 'client-hello':
        this.#clientMessage(st.s, st.cx, m, raw);
        break;
      case 'server-hello':
        this.#serverHello(st.cx, m, raw, r);
        break;
      case 'tls12':
        this.#m = { proto: 'tls12', s: st.s.handle({ type: m.msgType, body: m.body, raw }) };
        break;
    }
    if (!wasEstablished && this.isEstablished) {
      const info = this.#authorize();
      this.#info = info;
      if (info !== undefined) this.#events.push({ type: 'HandshakeComplete', info });
    }
  }

  #clientMessage(s: ClientState13, cx: ClientCx, m: DtlsHandshakeMessage, raw: Uint8Array): void {
    if (m.msgType === HELLO_VERIFY_REQUEST) {
      const cookie = decodeHelloVerifyRequest(m.body);
      const ch = this.#clientHello;
      if (ch === undefined) throw internalError('no ClientHello to repeat');
      this.#trace('received', 'HelloVerifyRequest', { cookie: cookie.length });
      // RFC 6347 §4.2.1: the same ClientHello with the cookie added; RFC 6347 §4.2.6: the first ClientHello and
      // the HelloVerifyRequest are not in the transcript, so the TLS machine's ClientHello now stands for this one.
      this.#cookie = cookie;
      const body = dtlsClientHelloFromTls(ch, cookie);
      const seq = this.#sendSeq++;
      this.#forms.set(ch, encodeMessage(HandshakeType.ClientHello, seq, body));
      this.#add({ kind: 'handshake', epoch: 0, msgType: HandshakeType.ClientHello, seq, body });
      this.#trace('sent', 'ClientHello', { cookie: cookie.length });
      return;
    }
    if (m.msgType !== HandshakeType.ServerHello) throw misbehaved('InvalidContentType', { alert: 'unexpected_message', detail: 'expected ServerHello' });
    const version = m.body.length >= 2 ? ((m.body[0] as number) << 8) | (m.body[1] as number) : 0;
    if (version !== DTLS12) throw incompatible(version === 0xfeff ? 'ObsoleteVersion' : 'NoCommonVersion', { detail: `server chose 0x${version.toString(16)}` });
    const tlsMessage: HandshakeMessage = { type: m.msgType, body: withVersion(m.body, ProtocolVersion.TLS12), raw };
    const next = clientHandle13(s, tlsMessage, cx);
    if (!(next instanceof Tls12Selected)) throw incompatible('NoCommonVersion');
    const machines = this.#deps.tls12;
    if (machines === undefined) throw incompatible('NoCommonVersion');
    this.#m = { proto: 'tls12', s: machines.client(next, cx) };
  }

  #serverHello(cx: ServerCx, m: DtlsHandshakeMessage, raw: Uint8Array, r: ReceivedRecord): void {
    if (m.msgType !== HandshakeType.ClientHello) throw misbehaved('InvalidContentType', { alert: 'unexpected_message', detail: 'expected ClientHello' });
    const ch = decodeDtlsClientHello(m.body);
    if (this.#cookies !== undefined && !this.#cookies.check(this.#peer, m.body, ch.cookie)) {
      // Stateless (RFC 6347 §4.2.1): answer with a cookie, keep nothing, expect the ClientHello again.
      const cookie = this.#cookies.cookieFor(this.#peer, m.body);
      this.#extra.push(helloVerifyDatagram(this.#rl, m.messageSeq, r.seq, cookie));
      this.#reasm.expect(m.messageSeq + 1);
      this.#flightAnswered = true;
      this.#trace('sent', 'HelloVerifyRequest', { cookie: cookie.length });
      return;
    }
    if (ch.version !== DTLS12 && tlsVersionOf(ch.version) < ProtocolVersion.TLS12) {
      throw incompatible(ch.version === 0xfeff ? 'ObsoleteVersion' : 'NoCommonVersion', { detail: `client offered 0x${ch.version.toString(16)}` });
    }
    const machines = this.#deps.tls12;
    if (machines === undefined || cx.config.minVersion > ProtocolVersion.TLS12) throw incompatible('NoCommonVersion');
    // RFC 6347 §4.2.2: our first message_seq follows the client's (1 after a HelloVerifyRequest, else 0).
    this.#sendSeq = m.messageSeq;
    // RFC 6347 §4.2.1: the HelloVerifyRequest went out with the first ClientHello's record sequence number, which
    // the client's replay window has seen; continue from this ClientHello's (as OpenSSL's DTLSv1_listen does).
    this.#rl.advanceWriteSeq(0, r.seq);
    this.#m = { proto: 'tls12', s: machines.server({ hello: ch.hello, basics: decodeClientHelloBasics(ch.hello) }, { type: m.msgType, body: m.body, raw }, cx) };
  }

  /** node:tls's authorized / authorizationError for the peer's chain (the TLS engine's policy, src/engine/connection.ts). */
  #authorize(): ConnectionInfo | undefined {
    const m = this.#m;
    const info = m.proto === 'tls12' ? m.s.info : undefined;
    if (info === undefined) return undefined;
    const cfg = this.#config;
    const { authorized, authorizationError } = authorizationOf(info, cfg, cfg.verifier !== null, this.#p.now());
    return { ...info, authorized, authorizationError };
  }
}

/** The HelloVerifyRequest datagram: record sequence number and message_seq those of the ClientHello (RFC 6347 §4.2.1). */
function helloVerifyDatagram(rl: DtlsRecordLayer12, messageSeq: number, recordSeq: number, cookie: Uint8Array): Uint8Array {
  const body = encodeHelloVerifyRequest(cookie);
  return rl.seal(ContentType.Handshake, encodeMessage(HELLO_VERIFY_REQUEST, messageSeq, body), 0, recordSeq);
}

function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) throw internalError(`DTLS MTU must be an integer in [${MIN_MTU}, ${MAX_MTU}]`);
  return mtu;
}

function join(parts: readonly Uint8Array[], len: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The HandshakeContext the TLS 1.2 machines drive a DtlsEngine through. */
class DtlsContext implements HandshakeContext {
  readonly #e: DtlsEngine;
  readonly provider: CryptoProvider;
  readonly config: PreparedClientConfig & PreparedServerConfig;
  readonly transcriptForm: (raw: Uint8Array) => Uint8Array;
  constructor(e: DtlsEngine, config: PreparedClientConfig | PreparedServerConfig) {
    this.#e = e;
    this.provider = config.provider;
    // One context type serves both sides; each machine reads only its own side's fields.
    this.config = config as PreparedClientConfig & PreparedServerConfig;
    this.transcriptForm = (raw) => e._form(raw);
  }
  emit(raw: Uint8Array, name: string, fields?: TraceFieldsArg): void {
    this.#e._emit(raw, name, fields);
  }
  sendChangeCipherSpec(): void {
    this.#e._changeCipherSpec();
  }
  installReadKeys13(): void {
    throw internalError('TLS 1.3 keys in a DTLS 1.2 engine');
  }
  installWriteKeys13(): void {
    throw internalError('TLS 1.3 keys in a DTLS 1.2 engine');
  }
  installReadKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#e._installRead(suite, key, iv);
  }
  installWriteKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void {
    this.#e._installWrite(suite, key, iv);
  }
  event(e: EngineEvent): void {
    this.#e._event(e);
  }
  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
    this.#e._keyLog(label, clientRandom, secret);
  }
  traceReceived(name: string, fields?: TraceFieldsArg): void {
    this.#e._trace('received', name, fields);
  }
  setPeerRecordSizeLimit(): void {
    // Records are bounded by the MTU, far below any record_size_limit.
  }
  setPeerOcspResponse(): void {
    // Reported through the ConnectionInfo the machine builds.
  }
  setSkipEarlyData(): void {
    // No early data in DTLS 1.2.
  }
  sendWarningAlert(description: number): void {
    this.#e._warningAlert(description);
  }
}

export { DTLS_RECORD_HEADER };
