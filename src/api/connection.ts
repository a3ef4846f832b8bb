/**
 * The idiomatic API: TlsServer / TlsClient and their TlsConnection, a buffered façade over the sans-IO engine
 * (shaped like rustls: `receive(bytes)`, `write(data)`, `takeOutput()`, events).
 */
import type { CertifiedKeyInput, ClientOptions, ServerOptions } from '../vocabulary/options.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { TypedEmitter } from './emitter.js';
import { concat, EMPTY } from '../codec/bytes.js';
import { TlsEngine } from '../engine/connection.js';
import { announcedLength, RECORD_HEADER_LENGTH } from '../record/deframer.js';
import { prepareClientConfig, prepareServerConfig, type PreparedClientConfig, type PreparedServerConfig } from '../engine/config.js';
import type { ConnectionObserver, EngineEvent, ProcessResult, SessionTicket } from '../vocabulary/events.js';
import type { Accepted } from '../engine/hello-stage.js';
import { closedError, configError, type TlsError } from '../errors.js';
import { AlertDescription } from '../wire/registry.js';
import type { EngineDependencies } from '../engine/dependencies.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import { MAX_TICKETS_PER_SERVER } from '../limits.js';
import { tlsServerEndPoint, type ChannelBindingType } from './channel-binding.js';
import { getDefaultProvider } from '../crypto/node-provider.js';

/** Events of a TlsConnection. */
export interface TlsConnectionEvents {
  /** The handshake completed. */
  handshake: (info: ConnectionInfo) => void;
  /** Application data arrived. */
  data: (data: Uint8Array) => void;
  /** The peer sent close_notify. */
  close: () => void;
  /** A session ticket arrived (client). */
  session: (ticket: SessionTicket) => void;
  /** The peer updated its keys. */
  keyUpdate: (requested: boolean) => void;
  /** Post-handshake client authentication completed (server): the client's new chain. */
  peerCertificate: (chain: readonly Uint8Array[]) => void;
  /**
   * The server asked for a client certificate (CA names as DER). With `deferClientCertificate` and no usable
   * certificate, the handshake waits for `supplyClientCertificate()`.
   */
  certificateRequest: (certificateAuthorities: readonly Uint8Array[], willWait: boolean) => void;
  /** A TLS 1.2 renegotiation (RFC 5746) completed; `info` is the new handshake's (e.g. with the client's chain). */
  renegotiated: (info: ConnectionInfo) => void;
  /** A warning alert arrived. */
  warning: (description: number) => void;
  /** The connection failed (also thrown from the call that failed). */
  error: (err: TlsError) => void;
}

/** One TLS connection, client or server. */
export class TlsConnection extends TypedEmitter<TlsConnectionEvents> {
  /** The engine underneath (for SSPI-style, record-at-a-time use). */
  readonly engine: TlsEngine;
  /** Output not yet taken, writes waiting for the handshake: made at the first push (none for most calls). */
  #out: Uint8Array[] | undefined;
  #pendingWrites: Uint8Array[] | undefined;
  #closeRequested = false;
  readonly #onTicket: ((t: SessionTicket) => void) | undefined;
  /** Callbacks of `renegotiate()` waiting for the renegotiation's end. */
  #renegotiating: ((err: Error | null) => void)[] | undefined;

  /** @internal Use TlsServer.accept() / TlsClient.connect(). */
  constructor(engine: TlsEngine, onTicket?: (t: SessionTicket) => void, accepted = false) {
    super();
    this.engine = engine;
    this.#onTicket = onTicket;
    if (engine.side === 'client') this.#push(engine.start());
    else if (accepted) {
      // The ClientHello was taken at the Accepted point: answer it now. A failure stays latched in the engine
      // (its alert is queued here; `engine.failed` says so, and the next call rethrows it).
      try {
        this.#apply(engine.process(EMPTY));
      } catch {
        const alert = engine.takeAlert();
        if (alert !== null) (this.#out ??= []).push(alert);
      }
    }
  }

  #push(b: Uint8Array): void {
    if (b.length > 0) (this.#out ??= []).push(b);
  }

  /** Whether the handshake has completed. */
  get isHandshakeComplete(): boolean {
    return this.engine.isEstablished;
  }

  /** What was negotiated (after the handshake). */
  get info(): ConnectionInfo | undefined {
    return this.engine.info;
  }

  /** Bytes waiting to be sent. */
  get hasOutput(): boolean {
    return this.#out !== undefined && this.#out.length > 0;
  }

  /**
   * Feed bytes received from the peer. Processes every complete record; keeps nothing of `data` beyond an
   * incomplete trailing record, which it buffers. Throws TlsError on a fatal error, after queueing its alert.
   */
  receive(data: Uint8Array): void {
    let rest = data;
    if (this.#carryLen > 0) {
      // Complete the carried partial record first: bytes are appended to one buffer sized to the record once its
      // header is known, so input arriving a byte at a time costs one copy per byte, not one per byte per byte.
      const before = this.#carryLen;
      const taken = this.#topUpCarry(rest);
      rest = rest.subarray(taken);
      if (!this.#carryComplete()) {
        // The header just became whole: have it checked now (type, version, length), as if it came in one piece.
        if (before < 5 && this.#carryLen >= 5) this.#run(this.#carryBuf.subarray(0, this.#carryLen));
        return;
      }
      const record = this.#carryBuf.subarray(0, this.#carryLen);
      this.#carryLen = 0; // the engine keeps no reference into its input, so the buffer is reused afterwards
      const left = this.#run(record);
      if (this.engine.peerClosed) rest = EMPTY; // RFC 8446 §6.1: nothing after close_notify is read
      else if (left.length > 0) {
        // Not expected for a whole record; kept with what follows it, in order.
        rest = concat(left, rest);
      }
    }
    if (rest.length > 0) {
      const left = this.#run(rest);
      if (left.length > 0) this.#keep(left);
    }
    // Nothing carried: give the buffer back, so an idle connection holds no record-sized buffer.
    if (this.#carryLen === 0) this.#carryBuf = EMPTY;
  }

  /** Carried bytes of an incomplete record (input is processed in place; only a partial record is copied). */
  #carryBuf: Uint8Array = EMPTY;
  #carryLen = 0;

  /** Length of the record the carry holds the start of, or 5 while its header is incomplete. */
  #carryTarget(): number {
    const body = announcedLength(this.#carryBuf.subarray(0, this.#carryLen), 0);
    return RECORD_HEADER_LENGTH + (body ?? 0);
  }

  #carryComplete(): boolean {
    return this.#carryLen >= 5 && this.#carryLen >= this.#carryTarget();
  }

  #ensureCarry(n: number): void {
    if (this.#carryBuf.length >= n) return;
    const next = new Uint8Array(Math.max(n, 5));
    next.set(this.#carryBuf.subarray(0, this.#carryLen), 0);
    this.#carryBuf = next;
  }

  /** Append to the carry up to the end of its record; returns the bytes of `data` taken. */
  #topUpCarry(data: Uint8Array): number {
    let taken = 0;
    while (taken < data.length && !this.#carryComplete()) {
      const want = Math.min(this.#carryTarget() - this.#carryLen, data.length - taken);
      this.#ensureCarry(this.#carryTarget());
      this.#carryBuf.set(data.subarray(taken, taken + want), this.#carryLen);
      this.#carryLen += want;
      taken += want;
    }
    return taken;
  }

  /** Copy an incomplete trailing record (or unprocessable rest) into the carry. */
  #keep(bytes: Uint8Array): void {
    this.#carryLen = 0;
    const b = bytes;
    const target = RECORD_HEADER_LENGTH + (announcedLength(b, 0) ?? 0);
    this.#ensureCarry(Math.max(target, b.length));
    this.#carryBuf.set(b, 0);
    this.#carryLen = b.length;
  }

  /**
   * Process every complete record of `input` in place and report the events; returns what is left (an incomplete
   * record, or bytes after close_notify are dropped: empty).
   */
  #run(data: Uint8Array): Uint8Array {
    let input = data;
    try {
      while (input.length > 0) {
        const r = this.engine.process(input);
        this.#apply(r);
        if (r.consumed === input.length) return EMPTY;
        if (r.missing !== undefined || r.consumed === 0) return input.subarray(r.consumed);
        input = input.subarray(r.consumed);
        if (this.engine.peerClosed) return EMPTY;
      }
      return EMPTY;
    } catch (e) {
      const err = e as TlsError;
      const alert = this.engine.takeAlert();
      if (alert !== null) (this.#out ??= []).push(alert);
      this.#renegotiationDone(err);
      this.emit('error', err);
      throw err;
    }
  }

  /** Queue a result's output and report its events, data and close. */
  #apply(r: ProcessResult): void {
    this.#push(r.output);
    let peerClosed = false;
    // Index loops: the engine's empty event and plaintext lists are one shared frozen array.
    const events = r.events;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as EngineEvent;
      switch (e.type) {
        case 'HandshakeComplete':
          this.#flushWrites();
          this.emit('handshake', e.info);
          break;
        case 'PeerClosed':
          peerClosed = true; // reported after the data that preceded close_notify
          break;
        case 'NewTicket':
          this.#onTicket?.(e.ticket);
          this.emit('session', e.ticket);
          break;
        case 'KeyUpdated':
          this.emit('keyUpdate', e.requested);
          break;
        case 'CertificateRequested':
          this.emit('certificateRequest', e.certificateAuthorities, this.engine.awaitingClientCertificate);
          break;
        case 'PeerCertificateUpdated':
          this.emit('peerCertificate', e.chain);
          break;
        case 'Renegotiated':
          this.emit('renegotiated', e.info);
          this.#renegotiationDone(null);
          break;
        case 'WarningAlert':
          // RFC 5746 §4.2: the client declined our HelloRequest; the connection goes on under the old keys.
          if (e.description === AlertDescription.no_renegotiation) this.#renegotiationDone(closedError('the peer refused to renegotiate (no_renegotiation)'));
          this.emit('warning', e.description);
          break;
        default:
          break;
      }
    }
    const plaintext = r.plaintext;
    for (let i = 0; i < plaintext.length; i++) this.emit('data', plaintext[i] as Uint8Array);
    if (peerClosed) this.emit('close');
  }

  /** Send application data; buffered until the handshake completes. */
  write(data: Uint8Array): void {
    if (this.#closeRequested) throw closedError('write after close()');
    if (this.engine.failed !== undefined) throw this.engine.failed;
    if (!this.engine.isEstablished) {
      (this.#pendingWrites ??= []).push(data.slice());
      return;
    }
    this.#push(this.engine.seal(data));
  }

  #flushWrites(): void {
    const pending = this.#pendingWrites;
    if (pending !== undefined) {
      for (const d of pending) this.#push(this.engine.seal(d));
      this.#pendingWrites = undefined;
    }
    if (this.#closeRequested) this.#push(this.engine.close());
  }

  /** Everything to send to the peer now (possibly empty). */
  takeOutput(): Uint8Array {
    const o = this.#out;
    if (o === undefined) return EMPTY;
    this.#out = undefined;
    if (o.length === 0) return EMPTY;
    return o.length === 1 ? (o[0] as Uint8Array) : concat(...o);
  }

  /** Send close_notify after all written data (half-close: we can still receive). */
  close(): void {
    if (this.#closeRequested) return;
    this.#closeRequested = true;
    if (this.engine.failed !== undefined) return;
    if (this.engine.isEstablished) this.#push(this.engine.close());
  }

  /** Answer a CertificateRequest the handshake is waiting on (`deferClientCertificate`); null sends none. */
  supplyClientCertificate(certificate: CertifiedKeyInput | null): void {
    const r = this.engine.supplyClientCertificate(certificate);
    this.#push(r.output);
    for (const e of r.events) {
      if (e.type === 'HandshakeComplete') {
        this.#flushWrites();
        this.emit('handshake', e.info);
      }
    }
  }

  /** TLS 1.3 KeyUpdate, optionally asking the peer to update too. */
  updateKeys(requestPeer = true): void {
    this.#push(this.engine.updateKeys(requestPeer));
  }

  /** Server, TLS 1.3: ask for a client certificate after the handshake. */
  requestClientCertificate(): void {
    this.#push(this.engine.requestClientCertificate());
  }

  /**
   * Server, TLS 1.2: renegotiate (RFC 5746, secure form only) as node:tls's `tlsSocket.renegotiate()` does, e.g. to
   * ask for a client certificate only now (`requestCert`; `rejectUnauthorized`, default true, verifies it against
   * the server's `ca`). `callback` runs when the new handshake completes (null) or fails or is refused (an error).
   * Returns false, with the callback given the error, when no renegotiation can start (TLS 1.3, a client, the
   * `maxRenegotiations` limit).
   */
  renegotiate(options: { readonly requestCert?: boolean; readonly rejectUnauthorized?: boolean }, callback?: (err: Error | null) => void): boolean {
    // A client's renegotiation asks for nothing: the server decides about certificates.
    const requestCert = options.requestCert === true && this.engine.side === 'server';
    const enforce = options.rejectUnauthorized !== false;
    try {
      this.#push(this.engine.requestRenegotiation({ clientAuth: requestCert ? (enforce ? 'required' : 'optional') : 'none', enforce: requestCert && enforce }));
    } catch (e) {
      if (callback !== undefined) queueMicrotask(() => callback(e instanceof Error ? e : new Error(String(e))));
      return false;
    }
    if (callback !== undefined) (this.#renegotiating ??= []).push(callback);
    return true;
  }

  #renegotiationDone(err: Error | null): void {
    const waiting = this.#renegotiating;
    if (waiting === undefined) return;
    this.#renegotiating = undefined;
    for (const cb of waiting) cb(err);
  }

  /** Keying material exporter, node:tls argument order. */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    return this.engine.exportKeyingMaterial(label, context ?? null, length);
  }

  /**
   * Channel binding data after the handshake: 'tls-server-end-point' (RFC 5929 §4.1), the hash of the server's
   * certificate, which SCRAM-SHA-256-PLUS (PostgreSQL) and other SASL *-PLUS mechanisms send. The same on both sides:
   * a client hashes the certificate it received, a server its own. Throws before the handshake completes.
   */
  channelBinding(type: ChannelBindingType): Uint8Array {
    const info = this.engine.info;
    if (info === undefined) throw closedError(`${type} channel binding before the handshake completed`);
    const serverCert = this.engine.side === 'client' ? info.peerCertificates[0] : this.engine.localCertificates[0];
    if (serverCert === undefined) throw closedError(`${type} channel binding: no server certificate`);
    return tlsServerEndPoint(getDefaultProvider(), serverCert);
  }
}


/** A TLS server: configuration prepared once, one TlsConnection per accepted peer. */
export class TlsServer {
  /** The prepared configuration (certificates parsed and keys loaded once). */
  readonly config: PreparedServerConfig;
  readonly #deps: EngineDependencies;
  /** `deps`: the TLS 1.2 machines and the trust store (default: the standard ones). */
  constructor(options: ServerOptions, deps: EngineDependencies = STANDARD_DEPENDENCIES) {
    this.#deps = deps;
    this.config = prepareServerConfig(options, deps);
  }
  /**
   * A connection for a new peer; `observer` receives this connection's trace and key log (else the options').
   * With `accepted` (src/engine/hello-stage.ts), the ClientHello already received is answered at once: feed
   * `accepted.rest` and what follows to `receive()`. `config` replaces this server's configuration for this one
   * connection (a session store's answers, src/session/resumer.ts).
   */
  accept(observer?: ConnectionObserver, accepted?: Accepted, config: PreparedServerConfig = this.config): TlsConnection {
    if (accepted !== undefined) return new TlsConnection(accepted.engine(config, this.#deps, observer), undefined, true);
    return new TlsConnection(new TlsEngine(this.config, this.#deps, observer));
  }
  /** Rotate the session-ticket keys now (the previous key stays valid until the next rotation). */
  rotateTicketKeys(): void {
    this.config.ticketKeys.rotate();
  }
}

/** A TLS client: configuration prepared once (trust anchors parsed once); remembers tickets per server name. */
export class TlsClient {
  readonly config: PreparedClientConfig;
  readonly #sessions = new Map<string, SessionTicket[]>();
  readonly #options: ClientOptions;
  readonly #deps: EngineDependencies;
  /** Whether to offer stored tickets (default true). */
  resume = true;
  /** `deps`: the TLS 1.2 machines and the trust store for `ca`-less verification (default: the standard ones). */
  constructor(options: ClientOptions = {}, deps: EngineDependencies = STANDARD_DEPENDENCIES) {
    this.#options = options;
    this.#deps = deps;
    this.config = prepareClientConfig(options, deps);
  }

  /**
   * Start a connection; the ClientHello is queued in takeOutput(). `servername` overrides the option; `observer`
   * receives this connection's trace and key log (else the options'). Fails closed: without a server name (here or
   * in the options) it throws, unless `checkServerName: false` says that any certificate the trust anchors vouch for
   * is acceptable ('' counts as no name).
   */
  connect(servername?: string, session?: SessionTicket, observer?: ConnectionObserver): TlsConnection {
    const given = servername ?? this.#options.servername;
    const name = given === '' ? undefined : given;
    if (name === undefined && this.#options.checkServerName !== false) {
      throw configError('no server name to check the certificate against: pass servername, or checkServerName: false to accept any name');
    }
    const key = name ?? '';
    const list = this.#sessions.get(key);
    const ticket = session ?? (this.resume ? list?.shift() : undefined);
    // The prepared configuration itself when this connection changes nothing in it (no copy of it per connection).
    const base = this.config;
    const config: PreparedClientConfig = name === base.serverName && ticket === base.session ? base : { ...base, serverName: name, session: ticket };
    return new TlsConnection(new TlsEngine(config, this.#deps, observer), (t) => {
      const l = this.#sessions.get(key) ?? [];
      l.push(t);
      while (l.length > MAX_TICKETS_PER_SERVER) l.shift();
      this.#sessions.set(key, l);
    });
  }
}
