/**
 * A DTLS 1.3 connection (RFC 9147), sans-IO: datagrams in, datagrams out, a timer the caller runs. The handshake is
 * the TLS 1.3 machine of src/tls13 under a datagram context (`cx.datagram`); around it this module keeps what
 * datagrams add: the record layer (unified header, record number encryption, epochs, replay window), handshake
 * messages as DTLSHandshake fragments with message_seq, flights with retransmission (§5.8), ACKs (§7) and the
 * KeyUpdate rule (§8: new sending keys only once the KeyUpdate is acknowledged).
 *
 * Time: `nextTimeout()` says when the connection wants `handleTimeout()` (milliseconds on the clock given in the
 * options, the provider's by default); the connection owns no timer.
 *
 * Server side: connections come from `Dtls13Listener` (listener.ts), which answers first ClientHellos statelessly.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import type { SuiteInfo } from '../../crypto/suites.js';
import { alertFragment, readAlert } from '../../engine/alerts.js';
import { asTlsError, closedError, internalError, limitExceeded, misbehaved, type TlsError } from '../../errors.js';
import type { TraceFieldsArg } from '../../handshake/context.js';
import { concat, hex as hexOf } from '../../codec/bytes.js';
import { clientHandle13, sendKeyUpdate, startClient13, type ClientCx, type ClientState13 } from '../../tls13/client.js';
import { serverHandle13, type ServerCx, type ServerState13 } from '../../tls13/server.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../../vocabulary/config.js';
import type { ConnectionInfo } from '../../vocabulary/connection-info.js';
import type { EngineEvent } from '../../vocabulary/events.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType } from '../../wire/registry.js';
import { AckList, decodeAck, encodeAck, SentFlight, type RecordNumber, type SentFragment } from './ack.js';
import { Epoch } from './epochs.js';
import { decodeFragments, DTLS_HANDSHAKE_HEADER, encodeFragment, Reassembler } from '../handshake.js';
import { RetransmitTimer } from '../retransmit.js';
import { fromTlsForm, transcriptForm } from './handshake-message.js';
import { ACK_CONTENT_TYPE } from './header.js';
import { KeyUpdateState } from './key-update.js';
import { Dtls13RecordLayer, type OpenedRecord } from './record-layer.js';

/** Options of a DTLS 1.3 connection. */
export interface Dtls13Options {
  /** Largest datagram to send (the path MTU less IP/UDP headers); default 1200. */
  readonly mtu?: number;
  /** First retransmission timeout in ms (RFC 9147 §5.8.2: 1000). */
  readonly initialTimeoutMs?: number;
  /** Retransmissions of one flight before the connection fails (RetransmissionsExhausted). */
  readonly maxRetransmissions?: number;
  /** The clock for timers, ms; default the provider's `now`. */
  readonly clock?: () => number;
}

/** Smallest MTU we accept: a DTLSHandshake fragment must still carry a useful number of bytes. */
const MIN_MTU = 256;
/** Application records buffered while the handshake has not finished (§5.8.1: buffer or discard). */
const MAX_EARLY_APPLICATION_RECORDS = 32;

/** One message of an outgoing flight, kept for retransmission (never changed: §5.5). */
interface FlightMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
  readonly epoch: number;
}

interface OutgoingFlight {
  readonly messages: FlightMessage[];
  readonly sent: SentFlight;
  /** Acknowledged only by an ACK: the client's final flight and post-handshake messages (§7.1). */
  readonly explicitAck: boolean;
  /** The KeyUpdate's message_seq when this flight is one. */
  readonly keyUpdate: boolean;
}

type Machine =
  | { readonly side: 'client'; s: ClientState13; readonly cx: ClientCx }
  | { readonly side: 'server'; s: ServerState13; readonly cx: ServerCx };

/** The pieces a server connection starts from (made by the listener after a valid cookie). */
export interface ServerStart {
  /** The machine state after the second ClientHello (its flight was emitted into `cx`). */
  readonly state: ServerState13;
  /** The record number and message_seq of the second ClientHello. */
  readonly clientHelloRecord: RecordNumber;
  readonly clientHelloSeq: number;
}

/** A DTLS 1.3 connection of either side. */
export class Dtls13Connection {
  readonly side: 'client' | 'server';
  readonly #p: CryptoProvider;
  readonly #mtu: number;
  readonly #clock: () => number;
  readonly #rl: Dtls13RecordLayer;
  readonly #reassembler = new Reassembler();
  readonly #timer: RetransmitTimer;
  readonly #acks = new AckList();
  #m!: Machine;
  #sendSeq = 0;
  #writeEpoch = 0;
  #readEpoch = 0;
  /** Messages emitted by the machine since the last flight was sent. */
  #emitted: FlightMessage[] = [];
  #flight: OutgoingFlight | undefined;
  /** Post-handshake: our KeyUpdate's next sending secret, installed when the KeyUpdate is acknowledged (§8). */
  #pendingWrite: { suite: SuiteInfo; secret: Uint8Array } | undefined;
  readonly #keyUpdate = new KeyUpdateState(Epoch.application);
  #out: Uint8Array[] = [];
  #appData: Uint8Array[] = [];
  #earlyApp: OpenedRecord[] = [];
  #events: EngineEvent[] = [];
  #ackDue = false;
  /** A new message of the peer arrived since our current flight was sent (it is answering that flight). */
  #peerSinceFlight = false;
  #retransmissions = 0;
  #failed: TlsError | undefined;
  #peerClosed = false;
  #closed = false;
  #info: ConnectionInfo | undefined;

  private constructor(config: PreparedClientConfig | PreparedServerConfig, options: Dtls13Options) {
    this.side = config.kind;
    this.#p = config.provider;
    this.#mtu = Math.max(MIN_MTU, options.mtu ?? 1200);
    this.#timer = new RetransmitTimer(options.initialTimeoutMs ?? 1000, options.maxRetransmissions ?? 10);
    this.#clock = options.clock ?? (() => this.#p.now());
    this.#rl = new Dtls13RecordLayer(this.#p);
  }

  /** A client: its ClientHello is ready in `takeDatagrams()`. */
  static client(config: PreparedClientConfig, options: Dtls13Options = {}): Dtls13Connection {
    const c = new Dtls13Connection(config, options);
    const cx = c.#context(config) as ClientCx;
    c.#m = { side: 'client', s: startClient13(cx, false), cx };
    c.#flush();
    return c;
  }

  /**
   * A server after a valid cookie: `start` runs the machine on the second ClientHello through the context given to
   * it, and the flight it emits goes out at once.
   */
  static server(config: PreparedServerConfig, options: Dtls13Options, start: (cx: ServerCx) => ServerStart): Dtls13Connection {
    const c = new Dtls13Connection(config, options);
    const cx = c.#context(config) as ServerCx;
    c.#m = { side: 'server', s: { kind: 'ExpectClientHello' }, cx };
    c.#run(() => {
      const st = start(cx);
      c.#rl.continuePlaintextAt(st.clientHelloRecord.seq);
      // The stateless HelloRetryRequest was message 0: our next message is the second ClientHello's number.
      c.#reassembler.expect(st.clientHelloSeq + 1);
      c.#renumber(st.clientHelloSeq);
      c.#m.s = st.state;
    });
    return c;
  }

  /** The context the TLS 1.3 machine drives: handshake messages become flight messages, keys become epochs. */
  #context(config: PreparedClientConfig | PreparedServerConfig): ClientCx | ServerCx {
    const self = this;
    const base = {
      config,
      provider: this.#p,
      datagram: true,
      emit(raw: Uint8Array, name: string, fields?: TraceFieldsArg): void {
        const { msgType, body } = fromTlsForm(raw);
        self.#emitted.push({ msgType, messageSeq: self.#sendSeq++, body, epoch: self.#writeEpoch });
        const trace = config.trace;
        if (trace !== undefined) trace({ direction: 'sent', message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
      },
      sendChangeCipherSpec(): void {
        throw internalError('no ChangeCipherSpec in DTLS 1.3');
      },
      installReadKeys13(suite: SuiteInfo, secret: Uint8Array): void {
        self.#readEpoch = self.#readEpoch === 0 ? Epoch.handshake : self.#readEpoch + 1;
        self.#rl.installReceive(suite, self.#readEpoch, secret);
      },
      installWriteKeys13(suite: SuiteInfo, secret: Uint8Array): void {
        if (self.#m.s.kind === 'Traffic') {
          // A KeyUpdate of ours: its ACK switches the epoch (§8).
          self.#pendingWrite = { suite, secret };
          return;
        }
        self.#writeEpoch = self.#writeEpoch === 0 ? Epoch.handshake : self.#writeEpoch + 1;
        self.#rl.installSend(suite, self.#writeEpoch, secret);
      },
      installReadKeys12(): void {
        throw internalError('TLS 1.2 keys in DTLS 1.3');
      },
      installWriteKeys12(): void {
        throw internalError('TLS 1.2 keys in DTLS 1.3');
      },
      event(e: EngineEvent): void {
        self.#events.push(e);
      },
      keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
        const log = config.keyLog;
        if (log !== undefined) log(`${label} ${hexOf(clientRandom)} ${hexOf(secret)}`);
      },
      traceReceived(name: string, fields?: TraceFieldsArg): void {
        const trace = config.trace;
        if (trace !== undefined) trace({ direction: 'received', message: name, fields: (typeof fields === 'function' ? fields() : fields) ?? {} });
      },
      setPeerRecordSizeLimit(): void {
        // Records are bounded by the MTU here, far below any record_size_limit.
      },
      setPeerOcspResponse(): void {},
      setSkipEarlyData(): void {},
    };
    return base as ClientCx | ServerCx;
  }

  /** The server's messages were numbered from 0 while it had not yet learned the second ClientHello's number. */
  #renumber(from: number): void {
    this.#sendSeq = from;
    this.#emitted = this.#emitted.map((m) => ({ ...m, messageSeq: this.#sendSeq++ }));
  }

  // ---- public surface -------------------------------------------------------------------------------------------

  /** Whether the handshake finished (application data may flow). */
  get isEstablished(): boolean {
    return this.#failed === undefined && this.#m.s.kind === 'Traffic';
  }

  get failed(): TlsError | undefined {
    return this.#failed;
  }

  /** The peer sent close_notify. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  get stateName(): string {
    return this.#failed !== undefined ? 'Failed' : this.#m.s.kind;
  }

  /** The connection's info once established. */
  get info(): ConnectionInfo | undefined {
    return this.#info;
  }

  /** Times a flight (or the unacknowledged part of one) was sent again: by the timer, an ACK or a peer's repeat. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** The current sending and newest receiving epochs. */
  get epochs(): { send: number; receive: number } {
    return { send: this.#rl.sendEpoch, receive: this.#readEpoch };
  }

  /** Datagrams to send, in order. */
  takeDatagrams(): Uint8Array[] {
    const o = this.#out;
    this.#out = [];
    return o;
  }

  /** Application data received, one entry per record. */
  takeApplicationData(): Uint8Array[] {
    const d = this.#appData;
    this.#appData = [];
    return d;
  }

  takeEvents(): EngineEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** Largest application payload `send` takes: one record per datagram. */
  get maxPayload(): number {
    return Math.min(1 << 14, this.#mtu - this.#rl.overhead);
  }

  /** Seal one application record (one datagram). */
  send(data: Uint8Array): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) throw closedError();
    if (!this.isEstablished) throw internalError('DTLS 1.3: application data before the handshake finished');
    if (data.length > this.maxPayload) throw new RangeError(`${data.length} bytes exceed one datagram's ${this.maxPayload}`);
    this.#out.push(this.#rl.seal(ContentType.ApplicationData, data));
  }

  /** Send a KeyUpdate (§8); false when one is still unacknowledged. */
  updateKeys(requestPeer: boolean): boolean {
    const m = this.#m;
    if (!this.isEstablished || m.s.kind !== 'Traffic' || !this.#keyUpdate.canSend || this.#flight?.explicitAck === true) return false;
    this.#run(() => {
      if (m.s.kind !== 'Traffic') return;
      m.s = { kind: 'Traffic', traffic: sendKeyUpdate(m.s.traffic, m.cx, this.side, requestPeer) } as typeof m.s;
    });
    return this.#failed === undefined;
  }

  /** Send close_notify; nothing more can be sent. */
  close(): void {
    if (this.#closed || this.#failed !== undefined) return;
    this.#closed = true;
    this.#out.push(this.#rl.seal(ContentType.Alert, alertFragment(AlertLevel.Warning, AlertDescription.close_notify)));
    this.#flight = undefined;
    this.#timer.stop();
  }

  /** When `handleTimeout` should next run (ms on the connection's clock), or null. */
  nextTimeout(): number | null {
    return this.#failed === undefined ? this.#timer.deadline : null;
  }

  /** The retransmission timer fired: resend what is unacknowledged of the current flight, with a doubled timer. */
  handleTimeout(): void {
    const t = this.#timer;
    const now = this.#clock();
    if (this.#failed !== undefined || !t.expired(now)) return;
    if (!t.backOff(now)) {
      this.#fail(limitExceeded('HandshakeTimeout', { detail: `no answer after ${t.retransmissions} retransmissions` }), false);
      return;
    }
    this.#retransmit();
  }

  /** One datagram from the peer. Invalid records are dropped (§4.5.2); protocol errors fail the connection. */
  receive(datagram: Uint8Array): void {
    if (this.#failed !== undefined) return;
    this.#run(() => {
      // One record at a time: a record's keys may come from the one before it in the same datagram.
      for (const r of this.#rl.records(datagram)) {
        if (r !== null) this.#record(r);
        if (this.#failed !== undefined) return;
      }
    });
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  /** Run a step; afterwards send a new flight or the ACK it called for; a TlsError fails the connection. */
  #run(step: () => void): void {
    try {
      step();
      this.#flush();
    } catch (e) {
      this.#fail(asTlsError(e), true);
    }
  }

  #fail(err: TlsError, sendAlert: boolean): void {
    if (this.#failed !== undefined) return;
    this.#failed = err;
    this.#timer.stop();
    this.#flight = undefined;
    if (sendAlert && err.kind !== 'AlertReceived' && err.kind !== 'Closed') {
      try {
        this.#out.push(this.#rl.seal(ContentType.Alert, alertFragment(AlertLevel.Fatal, err.alertCode)));
        err.alertSent = true;
      } catch {
        // No alert when sealing itself fails.
      }
    }
  }

  #record(r: OpenedRecord): void {
    switch (r.type) {
      case ContentType.Handshake:
        this.#handshakeRecord(r);
        return;
      case ACK_CONTENT_TYPE:
        this.#ackRecord(r);
        return;
      case ContentType.Alert: {
        const a = readAlert(r.content, true);
        if (a.kind === 'close') {
          if (!this.#peerClosed) this.#events.push({ type: 'PeerClosed' });
          this.#peerClosed = true;
        }
        return;
      }
      case ContentType.ApplicationData:
        // Only under application epochs; before our handshake finished, kept (bounded) until it does (§5.8.1).
        if (r.epoch < Epoch.application) throw misbehaved('ApplicationDataBeforeHandshake');
        if (this.#peerClosed) throw misbehaved('DataAfterCloseNotify');
        if (this.isEstablished) this.#appData.push(r.content);
        else if (this.#earlyApp.length < MAX_EARLY_APPLICATION_RECORDS) this.#earlyApp.push(r);
        return;
      default:
        throw misbehaved('InvalidContentType', { detail: `DTLS 1.3 record of type ${r.type}` });
    }
  }

  #handshakeRecord(r: OpenedRecord): void {
    let processed = false;
    let old = false;
    let ahead = false;
    // A record that does not frame is dropped, as one that fails deprotection would be (§4.5.2).
    for (const f of decodeFragments(r.content) ?? []) {
      const fate = this.#reassembler.push(f);
      if (fate === 'kept') processed = true;
      if (fate === 'kept' && f.messageSeq > this.#reassembler.nextSeq) ahead = true;
      if (fate === 'old') old = true;
    }
    const established = this.#m.s.kind === 'Traffic';
    // §7: acknowledge records whose handshake content was processed or buffered; after the handshake, also those
    // whose messages were already received (a retransmission means our ACK was lost).
    if (processed || (old && established)) this.#acks.add({ epoch: r.epoch, seq: r.seq });
    for (let msg = this.#reassembler.take(); msg !== undefined; msg = this.#reassembler.take()) this.#message(msg.msgType, msg.body);
    // A later message arrived while an earlier one is missing: a disruption worth an ACK (§7.1), so the peer resends
    // only what is missing. (A message still arriving in order is not: its next fragments are likely on the way.)
    if (ahead && !this.#reassembler.isEmpty) this.#ackDue = true;
    if (old) this.#peerRetransmitted();
  }

  /** The peer resent messages we have: our answer (flight or ACK) was lost (§5.8.1 case 3; FINISHED: resend the ACK). */
  #peerRetransmitted(): void {
    const f = this.#flight;
    if (this.#m.s.kind === 'Traffic' && (f === undefined || f.explicitAck)) {
      this.#ackDue = this.#acks.size > 0;
      return;
    }
    // Only a repeat of the flight ours answered means ours was lost: once the peer's next flight has begun, its
    // repeats are its own retransmissions (answering them would make both sides echo each other).
    if (f !== undefined && !f.sent.complete && !this.#peerSinceFlight) this.#retransmit();
  }

  #message(msgType: number, body: Uint8Array): void {
    const m = this.#m;
    const raw = transcriptForm(msgType, body);
    const hm = { type: msgType, body, raw };
    const wasTraffic = m.s.kind === 'Traffic';
    this.#peerSinceFlight = true;
    if (wasTraffic) {
      this.#ackDue = true;
      if (msgType === HandshakeType.KeyUpdate) hm.body = this.#keyUpdateAnswerable(body);
    }
    if (m.side === 'client') {
      const next = clientHandle13(m.s, { ...hm, raw }, m.cx);
      if (!('kind' in next)) throw internalError('TLS 1.2 selected in DTLS 1.3');
      m.s = next;
    } else {
      m.s = serverHandle13(m.s, { ...hm, raw }, m.cx);
    }
    if (!wasTraffic && m.s.kind === 'Traffic') {
      // The peer's whole flight arrived: our previous handshake flight is implicitly acknowledged (§7.1). Until
      // then its timer runs (§5.8.1: WAITING ends with the next flight), so a peer flight lost in part is asked
      // for again by resending ours.
      if (this.#flight !== undefined && !this.#flight.explicitAck) this.#stopFlight();
      this.#established(m.s);
    }
  }

  /**
   * §8: a peer's update_requested is not answered while our own KeyUpdate waits for its ACK, nor after our
   * close_notify (nothing of ours follows it, RFC 8446 §6.1).
   */
  #keyUpdateAnswerable(body: Uint8Array): Uint8Array {
    const requested = body.length === 1 && body[0] === 1;
    return requested && (this.#closed || !this.#keyUpdate.shouldAnswer(true)) ? new Uint8Array([0]) : body;
  }

  #established(s: ClientState13 | ServerState13): void {
    if (s.kind !== 'Traffic') return;
    this.#info = s.traffic.info;
    // From now on a DTLSPlaintext record (an alert, an ACK) can only be an attacker's: dropped. The handshake epoch
    // stays readable for the peer's retransmitted final flight.
    this.#rl.dropReceiveBefore(Epoch.handshake);
    // The server acknowledges the client's final flight (§7.1: it is not implicitly acknowledged).
    if (this.side === 'server') this.#ackDue = true;
    for (const r of this.#earlyApp) this.#appData.push(r.content);
    this.#earlyApp = [];
  }

  #ackRecord(r: OpenedRecord): void {
    const records = decodeAck(r.content);
    const f = this.#flight;
    if (f === undefined) return;
    const news = f.sent.ack(records);
    if (f.sent.complete) {
      this.#stopFlight();
      if (f.keyUpdate) this.#keyUpdateAcknowledged();
    } else if (news) {
      // §7.2: a partial ACK: resend the rest now.
      this.#retransmit();
    }
  }

  #keyUpdateAcknowledged(): void {
    const epoch = this.#keyUpdate.acknowledged();
    const w = this.#pendingWrite;
    if (epoch === null || w === undefined) return;
    this.#pendingWrite = undefined;
    this.#writeEpoch = epoch;
    this.#rl.installSend(w.suite, epoch, w.secret);
  }

  #stopFlight(): void {
    this.#flight = undefined;
    this.#timer.stop();
  }

  /** Send what the last step produced: a new flight (which supersedes the previous one), or an ACK. */
  #flush(): void {
    if (this.#failed !== undefined) return;
    if (this.#emitted.length > 0) {
      const messages = this.#emitted;
      this.#emitted = [];
      const traffic = this.#m.s.kind === 'Traffic';
      const keyUpdate = messages.some((x) => x.msgType === HandshakeType.KeyUpdate);
      // The client's final flight ends in Traffic; post-handshake messages are sent in Traffic: both need an ACK.
      const sent = new SentFlight();
      for (const msg of messages) sent.addMessage(msg.messageSeq, msg.body.length);
      this.#flight = { messages, sent, explicitAck: traffic, keyUpdate };
      if (keyUpdate) this.#keyUpdate.sent(messages.find((x) => x.msgType === HandshakeType.KeyUpdate)?.messageSeq ?? 0);
      // Sending a flight acknowledges the peer's previous one implicitly; an explicit ACK goes with it when owed.
      this.#transmit(messages.map((msg) => ({ messageSeq: msg.messageSeq, offset: 0, length: msg.body.length })), this.#ackDue && traffic);
      this.#acks.clear();
      this.#ackDue = false;
      this.#peerSinceFlight = false;
      this.#timer.start(this.#clock());
      return;
    }
    if (this.#ackDue) {
      this.#ackDue = false;
      this.#out.push(this.#rl.seal(ACK_CONTENT_TYPE, encodeAck(this.#acks.records)));
    }
  }

  #retransmit(): void {
    const f = this.#flight;
    if (f === undefined) return;
    this.#retransmissions++;
    this.#transmit(f.sent.unacknowledged(), false);
  }

  /** Put these pieces of the current flight into records and datagrams of at most the MTU. */
  #transmit(pieces: readonly SentFragment[], withAck: boolean): void {
    const f = this.#flight;
    if (f === undefined) return;
    const byMessage = new Map(f.messages.map((m) => [m.messageSeq, m]));
    let datagram: Uint8Array[] = [];
    let size = 0;
    const push = (record: Uint8Array): void => {
      if (size + record.length > this.#mtu && datagram.length > 0) {
        this.#out.push(datagram.length === 1 ? (datagram[0] as Uint8Array) : concat(...datagram));
        datagram = [];
        size = 0;
      }
      datagram.push(record);
      size += record.length;
    };
    if (withAck && this.#acks.size > 0) push(this.#rl.seal(ACK_CONTENT_TYPE, encodeAck(this.#acks.records)));
    for (const piece of pieces) {
      const msg = byMessage.get(piece.messageSeq);
      if (msg === undefined) continue;
      const overhead = msg.epoch === Epoch.plaintext ? 13 : 5 + 1 + 16;
      const room = Math.max(1, this.#mtu - overhead - DTLS_HANDSHAKE_HEADER);
      let at = piece.offset;
      const end = piece.offset + piece.length;
      do {
        const n = Math.min(room, end - at);
        const content = encodeFragment(msg.msgType, msg.body.length, msg.messageSeq, at, msg.body.subarray(at, at + n));
        const sealed = this.#rl.sealNumbered(ContentType.Handshake, content, { epoch: msg.epoch });
        f.sent.recordSent({ epoch: sealed.epoch, seq: sealed.seq }, [{ messageSeq: msg.messageSeq, offset: at, length: n }]);
        push(sealed.record);
        at += n;
      } while (at < end);
    }
    if (datagram.length > 0) this.#out.push(datagram.length === 1 ? (datagram[0] as Uint8Array) : concat(...datagram));
  }
}

