/**
 * TlsDuplex: our TLS engine (through the idiomatic API's TlsConnection) running over any Duplex transport — a
 * net.Socket, an in-memory pair, a WebSocket stream — and itself a Duplex carrying the plaintext, shaped like
 * node:tls's TLSSocket (events 'secureConnect', 'keylog', 'session'; getPeerCertificate, getProtocol, getCipher,
 * alpnProtocol, exportKeyingMaterial).
 *
 * Invariants:
 * - Backpressure both ways, no unbounded buffer. Reading: received bytes go to the engine at most one record's worth
 *   at a time; when `push()` says the reader is full we stop feeding and pause the transport, holding at most one
 *   transport chunk, and resume on `_read()`. Unread plaintext therefore stays under the readable high-water mark
 *   (48 KiB) plus one record. Writing: each `_write` seals at most 64 KiB at a time and waits for the transport's
 *   'drain' before the next slice and before calling back, so the writable buffer is what limits the caller.
 * - No data lost on close: `end()` sends close_notify after every written byte (Writable calls `_final` only after
 *   all writes called back), then ends the transport's writable side (TCP half-close); reading goes on until the
 *   peer's close_notify, which ends the readable side ('end').
 * - A transport that ends before the peer's close_notify is an error (ECONNRESET, truncation), except after we sent
 *   our own close_notify: RFC 8446 §6.1 lets the initiator of a closure not wait for the reply, and many peers
 *   (browsers, curl) close TCP without answering, so that case ends cleanly.
 * - Events of the TlsConnection that happen inside one `receive()` are handled after it returns, in order, so user
 *   callbacks (which may write) never re-enter the connection.
 */
import { Duplex } from 'node:stream';
import { nodeX509Certificate } from '../crypto/node-provider.js';

/** node:crypto's X509Certificate (what node:tls's getPeerX509Certificate returns). */
type X509Certificate = ReturnType<typeof nodeX509Certificate>;
import type { AddressInfo } from 'node:net';
import { TlsClient, TlsServer, type TlsConnection } from '../index.js';
import type { ConnectionInfo, TraceEvent } from '../api/types.js';
import type { ConnectionObserver, SessionTicket } from '../engine/events.js';
import { TlsError } from '../errors.js';
import {
  type SniAnswer,
  type NodeClientOptions,
  type NodeServerOptions,
} from './options.js';
import { peerCertificateOf, peerX509Of, type PeerCertificate } from './peer-certificate.js';
import { HelloStage, type Accepted } from '../engine/hello-stage.js';
import { authorizationCode, withNodeCode } from './error-codes.js';
import { opensslCipherName } from './cipher-string.js';
import { identityError } from './identity.js';
import { PreparedConfigs } from './prepared-configs.js';
import { certificateIndexFor, issuerOf, offersStatusRequest, withStaple, type OcspRequestHook } from './ocsp-events.js';
import { RenegotiationGuard } from './renegotiation.js';
import { withNodeDefaults } from './node-defaults.js';
import { isSameSession12, rawTicketOf, unresumableSession } from './tls-ticket.js';
import { invalidArgType, validateInt32, validateString } from './validate.js';
import { credentialsOf, isSecureContext } from './options.js';
import { AlertDescription, AlertLevel, ContentType } from '../wire/registry.js';
import type { PreparedServerConfig } from '../vocabulary/config.js';

/** Readable high-water mark: unread plaintext above this pauses the transport. */
export const READ_HIGH_WATER_MARK = 48 * 1024;
/** Bytes handed to the engine per step: one full TLS 1.3 record (header + 2^14 + 256). */
const FEED_SLICE = 5 + 16384 + 256;
/** Plaintext sealed per step before checking the transport's backpressure. */
const WRITE_SLICE = 64 * 1024;

export { routedHooks } from './routed-hooks.js';

/** The kinds of the connection's events a TlsDuplex queues (#queue: kind, then argument). */
const Queued = { Secure: 0, Data: 1, Session: 2, KeyUpdate: 3 } as const;
type Queued = (typeof Queued)[keyof typeof Queued];

/** How a server-side duplex gets its connection. */
interface ServerSide {
  readonly kind: 'server';
  readonly options: NodeServerOptions;
  /** The shared server for the default credentials (built from `options` when absent). */
  readonly server?: TlsServer;
}
/** How a client-side duplex gets its connection. */
interface ClientSide {
  readonly kind: 'client';
  readonly options: NodeClientOptions;
  /** A shared client (its session cache); built from `options` when absent. */
  readonly client?: TlsClient;
}

/** Options of the {@link TlsDuplex} constructor. */
export type TlsDuplexOptions = (
  | ({ readonly isServer: true; /** A TlsServer to share across connections. */ readonly server?: TlsServer } & NodeServerOptions)
  | ({ readonly isServer?: false; /** A TlsClient to share (session cache). */ readonly client?: TlsClient } & NodeClientOptions)
) & {
  /**
   * Where configurations prepared from the same options are shared (src/node/prepared-configs.ts). The adapter's
   * entry object passes its own; without one, this connection prepares its options itself and shares nothing.
   */
  readonly preparedConfigs?: PreparedConfigs;
  /**
   * net.Socket / node:tls `onread`: plaintext is copied into `buffer` (or into the buffer each call of `buffer()`
   * returns: one at the start, then one after each callback) and handed to `callback(nread, buffer)` instead of
   * 'data'; a callback returning false stops reading until `resume()`.
   */
  readonly onread?: OnReadOptions;
  /** Client: where `connect()` was asked to go, as the caller gave it (node:tls names it in a pre-handshake ECONNRESET). */
  readonly connectTarget?: { readonly path?: string | undefined; readonly host?: string | undefined; readonly port?: number | undefined; readonly localAddress?: string | undefined };
  /** Server: node:tls 'OCSPRequest' (src/node/ocsp-events.ts); the Server passes one while it has listeners. */
  readonly onOCSPRequest?: OcspRequestHook;
};

/** The `onread` option (net.Socket's). */
export interface OnReadOptions {
  readonly buffer: Uint8Array | (() => Uint8Array);
  readonly callback: (nread: number, buffer: Uint8Array) => boolean | void;
}

/** node:tls `getCipher()` result. */
export interface CipherNameAndProtocol {
  /** The suite's IANA name. */
  readonly name: string;
  /** The suite's IANA name (node:tls: the RFC name). */
  readonly standardName: string;
  /** 'TLSv1.3' or 'TLSv1.2'. */
  readonly version: string;
}

/** node:tls `getEphemeralKeyInfo()` result. */
export interface EphemeralKeyInfo {
  readonly type?: 'ECDH';
  readonly name?: string;
}

function errnoError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** node:tls's error for a peer that closed the connection before the handshake completed (server side). */
function socketHangUp(): Error {
  return errnoError('socket hang up', 'ECONNRESET');
}

type Transport = Duplex & {
  setNoDelay?: (noDelay?: boolean) => unknown;
  setKeepAlive?: (enable?: boolean, initialDelay?: number) => unknown;
  setTimeout?: (ms: number, cb?: () => void) => unknown;
  ref?: () => unknown;
  unref?: () => unknown;
  address?: () => AddressInfo | Record<string, never> | string;
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  localAddress?: string;
  localPort?: number;
  connecting?: boolean;
};

/** The events of a {@link TlsDuplex} and their arguments (node:tls's TLSSocket events, and ours). */
export interface TlsDuplexEvents {
  /** Client: the handshake completed. */
  secureConnect: [];
  /** Either side: the handshake completed. */
  secure: [];
  /** A key-log line (NSS format, with '\n'). */
  keylog: [line: Buffer];
  /** Client: a session to pass back as `session`. */
  session: [session: Buffer];
  /** Client with `requestOCSP`: the server's stapled OCSP response, or null when it sent none. */
  OCSPResponse: [response: Buffer | null];
  /** A handshake message sent or received (with the `trace` option). */
  trace: [event: TraceEvent];
  /** TLS 1.3 KeyUpdate received (whether the peer asked us to update too). */
  keyUpdate: [requested: boolean];
  /** The transport connected (client over TCP). */
  connect: [];
  data: [chunk: Buffer];
  end: [];
  finish: [];
  drain: [];
  timeout: [];
  close: [hadError: boolean];
  error: [err: Error & { code?: string }];
}

/** Typed overloads of the EventEmitter methods for {@link TlsDuplexEvents} (any other name stays untyped). */
export interface TlsDuplex {
  on<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  on(event: string | symbol, listener: (...args: never[]) => void): this;
  once<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  once(event: string | symbol, listener: (...args: never[]) => void): this;
  addListener<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  addListener(event: string | symbol, listener: (...args: never[]) => void): this;
  prependListener<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  prependListener(event: string | symbol, listener: (...args: never[]) => void): this;
  prependOnceListener<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  prependOnceListener(event: string | symbol, listener: (...args: never[]) => void): this;
  off<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  off(event: string | symbol, listener: (...args: never[]) => void): this;
  removeListener<E extends keyof TlsDuplexEvents>(event: E, listener: (...args: TlsDuplexEvents[E]) => void): this;
  removeListener(event: string | symbol, listener: (...args: never[]) => void): this;
  emit<E extends keyof TlsDuplexEvents>(event: E, ...args: TlsDuplexEvents[E]): boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * A TLS connection as a Duplex over another Duplex. Server side: `new TlsDuplex(socket, { isServer: true, key, cert })`;
 * client side: `new TlsDuplex(socket, { servername, ca })`. The handshake starts on the next tick (client: the
 * ClientHello is written then); writes before it completes wait for it.
 *
 * Events, as node:tls names them: 'secureConnect' (client, handshake done), 'secure' (both sides), 'keylog'
 * (Buffer line with '\n'), 'session' (client: Buffer to pass back as `session`), 'trace' (TraceEvent), 'keyUpdate',
 * 'data', 'end' (peer's close_notify), 'error' (TlsError, or ECONNRESET for a transport closed without
 * close_notify), 'close'.
 */
export class TlsDuplex extends Duplex {
  /** Always true, as on a TLSSocket (http uses it to tell https requests). */
  readonly encrypted = true;
  /** The negotiated ALPN protocol; false when none was (node:tls); null before the handshake. */
  alpnProtocol: string | false | null = null;
  /** The SNI name (server: what the client sent; client: what we sent). */
  servername: string | false | null = null;
  /**
   * node:tls: whether the peer's certificate verified against the trust anchors (and, client side, matched the
   * host). Server side it is only computed when a certificate was requested; otherwise false with no error.
   */
  authorized = false;
  /** node:tls: why `authorized` is false, as OpenSSL names it ('DEPTH_ZERO_SELF_SIGNED_CERT', …); null otherwise. */
  authorizationError: string | null = null;

  readonly #transport: Transport;
  readonly #side: ServerSide | ClientSide;
  /** The shared TlsServer / TlsClient (server with an SNICallback and no default key: chosen per connection). */
  readonly #factory: TlsServer | TlsClient | undefined;
  #conn: TlsConnection | undefined;
  #info: ConnectionInfo | undefined;
  #session: SessionTicket | undefined;
  /** node:tls's renegotiation limit and disableRenegotiation() (src/node/renegotiation.ts), made when first needed. */
  #renegotiation: RenegotiationGuard | undefined;
  /** When this connection's first handshake started (ms; the renegotiation limit's window counts from it). */
  readonly #createdAt: number;
  /** TLS 1.2 in traffic: watch for renegotiation starts. */
  #watchRenegotiation = false;
  /** The running renegotiation was counted (or is ours, on a client). */
  #renegotiationSeen = false;
  /** Server: the 'OCSPRequest' hook. */
  readonly #ocspRequest: OcspRequestHook | undefined;
  /** Client with `requestOCSP`: 'OCSPResponse' is still to be emitted for this handshake. */
  #ocspWanted = false;
  /** Client: a session received within the handshake, reported after 'secureConnect' (node:tls). */
  #sessionBeforeSecure: Buffer | undefined;
  /** Received bytes not yet given to the engine (at most one transport chunk, or the SNI peek buffer). */
  #pendingIn: Uint8Array | null = null;
  /** Transport chunks that arrived before #start (made for the first one). */
  #early: Buffer[] | null = null;
  /** #start ran: transport chunks go to the engine. */
  #started = false;
  /** Server with an SNICallback: the ClientHello being received, before the callback chooses the credentials. */
  #helloStage: HelloStage | null = null;
  #readBlocked = false;
  #transportPaused = false;
  #transportEnded = false;
  #pumping = false;
  #peerClosed = false;
  #closePending = false;
  #closeSent = false;
  #writeBeforeSecure: { chunk: Uint8Array; cb: (err?: Error | null) => void } | null = null;
  #finalBeforeSecure: ((err?: Error | null) => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The connection's events waiting for #runQueue, flat: a {@link Queued} kind, then its argument (no closure or
   * object per event, i.e. per received record for 'data').
   */
  readonly #queue: unknown[] = [];
  /** The `onread` option in use: the current buffer, and plaintext not yet copied into one. */
  readonly #onread:
    | { readonly gen: (() => Uint8Array) | null; buf: Uint8Array; readonly callback: OnReadOptions['callback']; /** Plaintext not yet copied into a buffer. */ readonly held: Uint8Array[] }
    | undefined;
  /** The `onread` callback returned false: nothing more until resume(). */
  #onreadStopped = false;
  /** The first 2 bytes the peer sent (content type, record version's major), -1 until received: whether it speaks TLS at all. */
  #firstType = -1;
  #firstMajor = -1;
  /** True while #runQueue runs the queue (see there). */
  #runningQueue = false;
  /** This duplex's trace and key-log receivers, given to its connection. */
  readonly #observer: ConnectionObserver;
  /** Prepared configurations shared with other connections, and the session authorizations they remember. */
  #configs: PreparedConfigs | undefined;
  /** Client: the server name set by setServername() before the handshake started. */
  #servernameOverride: string | undefined;
  #bytesWritten = 0;
  readonly #connectTarget: TlsDuplexOptions['connectTarget'];
  /** Largest plaintext per record we send (setMaxSendFragment; the engine also keeps the peer's limit). */
  #maxSendFragment = 16384;

  /** Wrap `transport`; see the class comment. */
  constructor(transport: Duplex, options: TlsDuplexOptions = {}) {
    const allowHalfOpen = options.allowHalfOpen ?? false;
    // node:tls / net.Socket `highWaterMark` sets both sides; by default unread plaintext pauses the transport at 48 KiB.
    const hwm = options.highWaterMark;
    // 'close' is ours to emit (as net.Socket does), with node:tls's `hadError` argument (see _destroy).
    super({
      allowHalfOpen,
      emitClose: false,
      readableHighWaterMark: hwm ?? READ_HIGH_WATER_MARK,
      ...(hwm !== undefined ? { writableHighWaterMark: hwm } : {}),
      decodeStrings: true,
    });
    this.#transport = transport as Transport;
    // Nothing given: a private, empty set, made only when this connection prepares something itself.
    let configs = options.preparedConfigs;
    this.#connectTarget = options.connectTarget;
    this.#createdAt = Date.now();
    const onread = options.onread;
    if (onread !== undefined) {
      const gen = typeof onread.buffer === 'function' ? onread.buffer : null;
      this.#onread = { gen, buf: gen !== null ? gen() : (onread.buffer as Uint8Array), callback: onread.callback, held: [] };
    }
    if (options.isServer === true) {
      const { isServer: _s, server, preparedConfigs: _p, connectTarget: _t, onOCSPRequest, onread: _r, ...rest } = options;
      this.#ocspRequest = onOCSPRequest;
      const o = withNodeDefaults(rest);
      this.#side = server === undefined ? { kind: 'server', options: o } : { kind: 'server', options: o, server };
    } else {
      const { isServer: _c, client, preparedConfigs: _p, connectTarget: _t, onOCSPRequest: _o, onread: _r, ...rest } = options;
      this.#ocspWanted = rest.requestOCSP === true;
      const o = withNodeDefaults(rest);
      this.#side = client === undefined ? { kind: 'client', options: o } : { kind: 'client', options: o, client };
    }
    // Configuration errors throw here, synchronously (bad key, unknown suite, min above max…).
    const side = this.#side;
    if (side.kind === 'client') this.#factory = side.client ?? (configs ??= new PreparedConfigs(0)).client(side.options);
    else if (side.server !== undefined) this.#factory = side.server;
    else if (side.options.SNICallback !== undefined && side.options.key === undefined && side.options.pfx === undefined) this.#factory = undefined;
    else this.#factory = (configs ??= new PreparedConfigs(0)).server(side.options);
    this.#configs = configs;
    const userTrace = options.trace;
    this.#observer = new DuplexObserver(this, userTrace === undefined ? undefined : (e: TraceEvent) => {
      userTrace(e, this);
      this.emit('trace', e);
    });
    transport.on('error', (err: Error & { code?: string }) => {
      // node:tls server: a client that resets before the handshake completed is 'socket hang up' (ECONNRESET).
      if (this.#side.kind === 'server' && this.#info === undefined && err.code === 'ECONNRESET') this.destroy(socketHangUp());
      // Both close_notify were exchanged: a peer that shut TCP before our reply arrived ended the session cleanly.
      else if (this.#peerClosed && this.#closeSent && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) this.destroy();
      else this.destroy(err);
    });
    transport.on('end', () => this.#onTransportEnd());
    transport.on('close', () => {
      if (!this.#transportEnded) this.#onTransportEnd();
    });
    transport.on('timeout', () => this.emit('timeout'));
    const timeout = options.handshakeTimeout ?? 120_000;
    if (timeout > 0) {
      this.#timer = setTimeout(() => {
        // node:tls's error for `handshakeTimeout`.
        this.destroy(errnoError('TLS handshake timeout', 'ERR_TLS_HANDSHAKE_TIMEOUT'));
      }, timeout);
      this.#timer.unref?.();
    }
    // Listen at once: a caller that unshifts bytes already read (StartTLS) and resumes the transport in the same
    // turn must not lose them. Chunks that arrive before #start are kept and fed to it in order.
    transport.on('data', (chunk: Buffer) => {
      if (this.#started) this.#onData(chunk);
      else (this.#early ??= []).push(chunk);
    });
    process.nextTick(TlsDuplex.#startNT, this);
  }

  /** #start on the next tick (a function and an argument: no closure per connection). */
  static #startNT(d: TlsDuplex): void {
    d.#start();
  }

  // ---- node:tls-style accessors ---------------------------------------------------------------------------------

  /** What was negotiated, once the handshake completed. */
  get info(): ConnectionInfo | undefined {
    return this.#info;
  }
  /** The underlying TlsConnection (undefined until the handshake starts). */
  get connection(): TlsConnection | undefined {
    return this.#conn;
  }
  /** The transport this runs over. */
  get transport(): Duplex {
    return this.#transport;
  }
  /** True once the handshake completed. */
  get secure(): boolean {
    return this.#info !== undefined;
  }
  /** node:tls's name for {@link secure} (read by node:https users and tests: `conn._secureEstablished`). */
  get _secureEstablished(): boolean {
    return this.#info !== undefined;
  }
  /** 'TLSv1.3' / 'TLSv1.2', or null before the handshake (node:tls). */
  getProtocol(): string | null {
    return this.#info?.version ?? null;
  }
  /** The negotiated cipher suite (node:tls shape); undefined before the handshake. */
  getCipher(): CipherNameAndProtocol | undefined {
    const i = this.#info;
    return i === undefined ? undefined : { name: opensslCipherName(i.cipherName), standardName: i.cipherName, version: i.version };
  }
  /** The key exchange group (node:tls shape). */
  getEphemeralKeyInfo(): EphemeralKeyInfo {
    const g = this.#info?.groupName;
    return g === undefined ? {} : { type: 'ECDH', name: g };
  }
  /** The peer's certificate as node:tls describes it, `{}` when none; `detailed` links `issuerCertificate`. */
  getPeerCertificate(detailed = false): PeerCertificate | Record<string, never> {
    return peerCertificateOf(this.#info?.peerCertificates ?? [], detailed, detailed ? (this.#factory?.config.reportVerifier?.trustAnchors ?? []) : []);
  }
  /** node:tls: the peer's certificate as a node:crypto X509Certificate; undefined when none. */
  getPeerX509Certificate(): X509Certificate | undefined {
    return peerX509Of(this.#info?.peerCertificates ?? []);
  }
  /** node:tls: our own certificate (node:tls object shape), `{}` when we sent none; null before the handshake. */
  getCertificate(): PeerCertificate | Record<string, never> | null {
    if (this.#conn === undefined) return null;
    return peerCertificateOf(this.#conn.engine.localCertificates.slice(0, 1), false);
  }
  /** node:tls: our own certificate as a node:crypto X509Certificate; undefined when we sent none. */
  getX509Certificate(): X509Certificate | undefined {
    const der = this.#conn?.engine.localCertificates[0];
    return der === undefined ? undefined : nodeX509Certificate(der);
  }
  /** net.Socket `bytesWritten`: plaintext bytes handed to the TLS connection so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }
  /** net.Socket `bufferSize` (deprecated there): plaintext bytes written and not yet taken by the connection. */
  get bufferSize(): number | undefined {
    // net.Socket: undefined once the socket is gone.
    return this.destroyed ? undefined : this.writableLength;
  }
  /** net.Socket: end, then destroy once everything was written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
  /** The peer's chain as received, leaf first, DER. */
  getPeerCertificateChain(): readonly Uint8Array[] {
    return this.#info?.peerCertificates ?? [];
  }
  /** Whether the session was resumed (node:tls). */
  isSessionReused(): boolean {
    return this.#info?.resumed ?? false;
  }
  /** Client: the last session ticket received, as a Buffer to pass back as `session` (node:tls). */
  getSession(): Buffer | undefined {
    if (this.#session !== undefined) return Buffer.from(this.#session.data);
    // TLS 1.3 before any ticket: node:tls returns a session that cannot be resumed; so do we.
    const info = this.#info;
    if (info === undefined || this.#side.kind !== 'client' || info.version !== 'TLSv1.3') return undefined;
    return unresumableSession(info, Date.now());
  }
  /**
   * node:tls `getTLSTicket()` (client): the raw ticket of this connection's session, the last one the server sent,
   * or on a resumption that brought none the one presented; undefined when there is none.
   */
  getTLSTicket(): Buffer | undefined {
    if (this.#session !== undefined) return rawTicketOf(this.#session.data);
    const offered = this.#side.kind === 'client' && this.isSessionReused() ? this.#side.options.session : undefined;
    if (offered === undefined || offered === null) return undefined;
    return rawTicketOf(offered instanceof Uint8Array ? offered : offered.data);
  }
  /** node:tls: the verify_data of the last Finished message this side sent; undefined before one was. */
  getFinished(): Buffer | undefined {
    const v = this.#conn?.engine.finished;
    return v === undefined ? undefined : Buffer.from(v);
  }
  /** node:tls: the verify_data of the last Finished message the peer sent; undefined before one arrived. */
  getPeerFinished(): Buffer | undefined {
    const v = this.#conn?.engine.peerFinished;
    return v === undefined ? undefined : Buffer.from(v);
  }
  /** Client: the last session ticket as the engine describes it. */
  getSessionTicket(): SessionTicket | undefined {
    return this.#session;
  }
  /** RFC 5705 / RFC 8446 §7.5 exporter, node:tls argument order. Throws before the handshake completes. */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    if (this.#conn === undefined || this.#info === undefined) throw errnoError('TLS handshake not complete', 'ERR_TLS_INVALID_STATE');
    return Buffer.from(this.#conn.exportKeyingMaterial(length, label, context));
  }
  /** Send a TLS 1.3 KeyUpdate (asking the peer to update too when `requestPeer`). */
  updateKeys(requestPeer = false): void {
    if (this.#conn === undefined || this.#info === undefined) throw errnoError('TLS handshake not complete', 'ERR_TLS_INVALID_STATE');
    this.#call(() => this.#conn?.updateKeys(requestPeer));
  }

  /**
   * node:tls `renegotiate()`: server, TLS 1.2 (RFC 5746, secure form only), e.g. `{ requestCert: true }` to ask
   * for a client certificate now; `callback(err)` once the new handshake completes or fails. False when none
   * can start (TLS 1.3, a client, the `maxRenegotiations` limit), the callback then getting the error.
   */
  renegotiate(options: { readonly rejectUnauthorized?: boolean; readonly requestCert?: boolean }, callback?: (err: Error | null) => void): boolean {
    // node:tls's argument checks (validateObject, validateFunction).
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType('options', 'Object', options);
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'Function', callback);
    const conn = this.#conn;
    const done = (err: Error | null): void => {
      if (callback !== undefined) process.nextTick(callback, err);
    };
    if (conn === undefined || this.#info === undefined) {
      done(errnoError('TLS handshake not complete', 'ERR_TLS_INVALID_STATE'));
      return false;
    }
    let started = false;
    // A client's own renegotiation is not counted against node:tls's limit (a server's is, as node:tls counts it).
    if (this.#side.kind === 'client') this.#renegotiationSeen = true;
    this.#call(() => {
      started = conn.renegotiate(options, done);
    });
    return started;
  }

  /** node:tls `disableRenegotiation()`: a TLS 1.2 renegotiation the peer starts from now on ends the connection with ERR_TLS_RENEGOTIATION_DISABLED. */
  disableRenegotiation(): void {
    this.#renegotiationGuard().disable();
  }

  /**
   * node:tls `setServername(name)` (client, before the handshake starts: the ClientHello goes out on the next tick
   * after construction). The name is both sent as SNI and checked against the certificate.
   */
  setServername(name: string): void {
    validateString(name, 'name');
    if (this.#side.kind === 'server') {
      throw Object.assign(new Error('Cannot issue SNI from a TLS server-side socket'), { code: 'ERR_TLS_SNI_FROM_SERVER' });
    }
    if (this.#conn !== undefined) throw errnoError('setServername() after the ClientHello was sent', 'ERR_TLS_INVALID_STATE');
    this.#servernameOverride = name;
  }

  /**
   * node:tls `setMaxSendFragment(size)`: send records of at most `size` plaintext bytes (512..16384); false (and no
   * change) outside that range.
   */
  setMaxSendFragment(size: number): boolean {
    validateInt32(size, 'size');
    if (size < 512 || size > 16384) return false;
    this.#maxSendFragment = size;
    return true;
  }

  // ---- net.Socket-like methods, forwarded to the transport when it has them ---------------------------------------

  /** Forwarded to the transport (net.Socket). */
  setNoDelay(noDelay?: boolean): this {
    this.#transport.setNoDelay?.(noDelay);
    return this;
  }
  /** Forwarded to the transport (net.Socket). */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.#transport.setKeepAlive?.(enable, initialDelay);
    return this;
  }
  /** net.Socket `timeout`: the inactivity timeout last set (undefined when none was). */
  get timeout(): number | undefined {
    return this.#timeoutMs;
  }
  #timeoutMs: number | undefined;
  /** Forwarded to the transport; its 'timeout' is re-emitted here. */
  setTimeout(ms: number, cb?: () => void): this {
    this.#timeoutMs = ms;
    this.#transport.setTimeout?.(ms);
    if (cb !== undefined) {
      if (ms === 0) this.off('timeout', cb);
      else this.once('timeout', cb);
    }
    return this;
  }
  /** Forwarded to the transport (net.Socket). */
  ref(): this {
    this.#transport.ref?.();
    return this;
  }
  /** Forwarded to the transport (net.Socket). */
  unref(): this {
    this.#transport.unref?.();
    return this;
  }
  /** The transport's local address (net.Socket), or `{}`. */
  address(): AddressInfo | Record<string, never> | string {
    return this.#transport.address?.() ?? {};
  }
  /** The transport's remote address (net.Socket). */
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }
  /** The transport's remote port (net.Socket). */
  get remotePort(): number | undefined {
    return this.#transport.remotePort;
  }
  /** The transport's remote address family (net.Socket). */
  get remoteFamily(): string | undefined {
    return this.#transport.remoteFamily;
  }
  /** The transport's local address (net.Socket). */
  get localAddress(): string | undefined {
    return this.#transport.localAddress;
  }
  /** The transport's local port (net.Socket). */
  get localPort(): number | undefined {
    return this.#transport.localPort;
  }
  /** True while the transport is still connecting (net.Socket). */
  get connecting(): boolean {
    return this.#transport.connecting ?? false;
  }

  // ---- the engine loop ---------------------------------------------------------------------------------------------

  /** Run `fn` (a call into the connection), then send its output and run queued events. */
  #call(fn: () => void): boolean {
    try {
      fn();
    } catch (err) {
      this.#fail(err);
      return false;
    }
    return this.#afterCall();
  }

  /** #call for `conn.receive(bytes)` (per received chunk: no closure). */
  #receive(conn: TlsConnection, bytes: Uint8Array): boolean {
    try {
      conn.receive(bytes);
    } catch (err) {
      this.#fail(err);
      return false;
    }
    return this.#afterCall();
  }

  /** #call for `conn.write(bytes)` (per written slice: no closure). */
  #write(conn: TlsConnection, bytes: Uint8Array): boolean {
    try {
      conn.write(bytes);
    } catch (err) {
      this.#fail(err);
      return false;
    }
    return this.#afterCall();
  }

  /** After a call into the connection: its events for node:tls, its output to the transport, then queued events. */
  #afterCall(): boolean {
    if (this.#ocspWanted && !this.#ocspResponseEvent()) return false;
    if (this.#watchRenegotiation && !this.#checkRenegotiation()) return false;
    const ok = this.#flushOutput();
    this.#runQueue();
    return ok;
  }

  /**
   * Client with `requestOCSP`: once the server's certificate flight was processed (our Finished is queued, not yet
   * sent), 'OCSPResponse' with the staple or null, as node:tls emits it within the handshake; a listener that
   * destroys the socket keeps our Finished from leaving. Not on a resumption (no certificate). False: destroyed.
   */
  #ocspResponseEvent(): boolean {
    const engine = this.#conn?.engine;
    if (engine === undefined || engine.finished === undefined) return true;
    this.#ocspWanted = false;
    if (engine.info?.resumed === true) return true;
    const staple = engine.peerOcspResponse;
    this.emit('OCSPResponse', staple === undefined ? null : Buffer.from(staple));
    return !this.destroyed;
  }

  /**
   * TLS 1.2: a renegotiation started (the engine accepted the peer's ClientHello / HelloRequest): count it as
   * node:tls does; over the limit or after disableRenegotiation(), end the connection (its answer so far and a
   * close_notify, then the error). False: destroyed.
   */
  #checkRenegotiation(): boolean {
    const conn = this.#conn;
    if (conn === undefined || !conn.engine.renegotiating) {
      this.#renegotiationSeen = false;
      return true;
    }
    if (this.#renegotiationSeen) return true;
    this.#renegotiationSeen = true;
    const err = this.#renegotiationGuard().started(Date.now());
    if (err === undefined) return true;
    try {
      conn.close();
    } catch {
      // already closing or failed: nothing more to send
    }
    const out = conn.takeOutput();
    const t = this.#transport;
    if (!t.destroyed && !t.writableEnded) {
      t.end(out);
      // A graceful close: the peer's last flight (already on its way) must not meet a reset, so the transport reads
      // on, discarding, until the peer closes too (bounded), and _destroy leaves it alone.
      this.#lingering = true;
      const guard = setTimeout(() => t.destroy(), 5000);
      guard.unref?.();
      t.once('close', () => clearTimeout(guard));
      t.once('end', () => t.destroy());
    }
    this.destroy(err);
    return false;
  }
  #renegotiationGuard(): RenegotiationGuard {
    return (this.#renegotiation ??= new RenegotiationGuard(this.#side.kind === 'server', this.#createdAt));
  }
  /** The transport closes on its own (a graceful close after a refused renegotiation). */
  #lingering = false;

  #flushOutput(): boolean {
    const conn = this.#conn;
    if (conn === undefined) return true;
    const out = conn.takeOutput();
    if (out.length === 0 || this.#transport.destroyed || this.#transport.writableEnded) return true;
    return this.#transport.write(out);
  }

  #runQueue(): void {
    // Never re-entered: a 'data' listener that writes (node:http answering inside its parser) must not receive the
    // next chunk before its own handler returns, or a parser sees its input interleaved (node:tls delivers each
    // read from the event loop, never from inside a write). The outer run takes what the inner call queued.
    if (this.#runningQueue) return;
    this.#runningQueue = true;
    try {
      const q = this.#queue;
      while (q.length > 0 && !this.destroyed) {
        const kind = q.shift() as Queued;
        this.#queued(kind, q.shift());
      }
    } finally {
      this.#runningQueue = false;
    }
    if (this.#closePending && !this.destroyed && (this.#onread === undefined || this.#onread.held.length === 0)) {
      this.#closePending = false;
      this.#peerClosed = true;
      this.push(null);
      // As node:tls (stream_base_commons): a read(0) lets an unread, empty stream emit 'end' (and so end its own side).
      if (this.readableLength === 0) this.read(0);
    }
  }

  #start(): void {
    if (this.destroyed) return;
    const side = this.#side;
    const factory = this.#factory;
    if (side.kind === 'client' && factory instanceof TlsClient) {
      // #call without a closure: the connection's first output (the ClientHello) goes out at once.
      let attached = false;
      try {
        this.#attach(this.#connectClient(factory, side.options));
        attached = true;
      } catch (err) {
        this.#fail(err);
      }
      if (attached) this.#afterCall();
    } else if (side.kind === 'server' && (side.options.SNICallback !== undefined || side.options.sessionResumer !== undefined || side.options.ALPNCallback !== undefined || this.#ocspRequest !== undefined)) {
      this.#helloStage = new HelloStage();
    } else if (factory instanceof TlsServer) {
      let attached = false;
      try {
        this.#attach(factory.accept(this.#observer));
        attached = true;
      } catch (err) {
        this.#fail(err);
      }
      if (attached) this.#afterCall();
    }
    this.#started = true;
    const early = this.#early;
    this.#early = null;
    if (early !== null) for (const chunk of early) this.#onData(chunk);
  }

  #connectClient(client: TlsClient, o: NodeClientOptions): TlsConnection {
    // node:tls: servername '' sends no SNI (the host is still what the certificate is checked against).
    const wanted = this.#servernameOverride ?? o.servername;
    const sni = wanted === '' ? undefined : (wanted ?? o.host ?? 'localhost');
    this.servername = sni ?? false;
    const s = o.session;
    if (s === undefined) return client.connect(sni, undefined, this.#observer);
    const session: SessionTicket = s instanceof Uint8Array ? { serverName: sni ?? '', data: s, expiresAt: Number.MAX_SAFE_INTEGER } : s;
    return client.connect(sni, session, this.#observer);
  }

  #attach(conn: TlsConnection): void {
    this.#conn = conn;
    const q = this.#queue;
    conn.on('handshake', (info: ConnectionInfo) => void q.push(Queued.Secure, info));
    conn.on('data', (bytes: Uint8Array) => void q.push(Queued.Data, bytes));
    // The connection reports PeerClosed before the plaintext that came with it in one receive(): end the
    // readable side only after every queued chunk is pushed.
    conn.on('close', () => {
      this.#closePending = true;
    });
    conn.on('session', (ticket: SessionTicket) => void q.push(Queued.Session, ticket));
    conn.on('keyUpdate', (requested: boolean) => void q.push(Queued.KeyUpdate, requested));
    // TLS 1.2 renegotiation (either side): getPeerCertificate() and friends report the new handshake.
    // node:tls: each completed handshake emits 'secure' (a client's also 'secureConnect'), authorization redone.
    conn.on('renegotiated', (info: ConnectionInfo) => void q.push(Queued.Secure, info));
  }

  /** One queued event of the connection, handled (see #runQueue). */
  #queued(kind: Queued, arg: unknown): void {
    switch (kind) {
      case Queued.Secure:
        this.#onSecure(arg as ConnectionInfo);
        return;
      case Queued.Data: {
        const bytes = arg as Uint8Array;
        if (this.#onread !== undefined) {
          this.#onread.held.push(bytes);
          this.#deliverOnRead();
        } else if (!this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) this.#readBlocked = true;
        return;
      }
      case Queued.Session:
        this.#onSession(arg as SessionTicket);
        return;
      case Queued.KeyUpdate:
        this.emit('keyUpdate', arg as boolean);
        return;
    }
  }

  #onSession(ticket: SessionTicket): void {
    this.#session = ticket;
    // node:tls emits 'session' for a new session only, not for the one a TLS 1.2 resumption kept.
    const offered = this.#side.kind === 'client' ? this.#side.options.session : undefined;
    if (offered !== undefined && offered !== null && isSameSession12(ticket.data, offered instanceof Uint8Array ? offered : offered.data)) return;
    // node:tls: a session that arrives within the handshake (TLS 1.2) is reported after 'secureConnect'.
    if (this.#info === undefined) this.#sessionBeforeSecure = Buffer.from(ticket.data);
    // No Buffer (nor the session's encoding) for an event nobody listens to; getSession() still has it.
    else if (this.listenerCount('session') > 0) this.emit('session', Buffer.from(ticket.data));
  }

  #onSecure(info: ConnectionInfo): void {
    this.#info = info;
    this.#watchRenegotiation = info.version === 'TLSv1.2';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.alpnProtocol = info.alpnProtocol ?? false;
    this.servername = info.serverName ?? (this.#side.kind === 'client' ? this.servername : false);
    const side = this.#side;
    // The engine verified (enforcing, or reporting when rejectUnauthorized is false); node:tls names the result.
    const chainOk = info.authorized === true;
    const chainError = chainOk ? null : authorizationCode(info.authorizationError ?? '', info.peerCertificates);
    if (side.kind === 'client') {
      this.authorized = chainOk;
      this.authorizationError = chainError;
      // A resumption is authorized only if the session's server chain verifies under this connection's policy: the
      // engine verifies it again (handshake/verify.ts resumedServerChain), refusing it when `rejectUnauthorized` is
      // on and reporting it otherwise, so no session carries a verdict from the connection that made it.
      if (chainOk) {
        // The host check the engine left to us (servername '' or a checkServerIdentity of the caller), on a
        // resumption too (node:tls skips it there and trusts its session cache; ours trusts no session's history).
        const idErr = identityError(side.options, info.peerCertificates);
        if (idErr !== undefined) {
          this.authorized = false;
          this.authorizationError = idErr.code ?? idErr.message;
          if (side.options.rejectUnauthorized !== false) {
            this.destroy(idErr);
            return;
          }
        }
      }
    } else {
      const o = side.options;
      const asked = o.clientAuth !== undefined ? o.clientAuth !== 'none' : o.requestCert === true;
      this.authorized = asked && chainOk;
      this.authorizationError = asked ? chainError : null;
    }
    this.emit('secure');
    if (this.#side.kind === 'client') this.emit('secureConnect');
    const session = this.#sessionBeforeSecure;
    this.#sessionBeforeSecure = undefined;
    if (session !== undefined && !this.destroyed) this.emit('session', session);
    const w = this.#writeBeforeSecure;
    this.#writeBeforeSecure = null;
    if (w !== null) this.#send(w.chunk, w.cb);
    else if (this.#finalBeforeSecure !== null) {
      const cb = this.#finalBeforeSecure;
      this.#finalBeforeSecure = null;
      this._final(cb);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.destroyed) return;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#firstMajor < 0) this.#noteFirstHeader(bytes);
    if (this.#helloStage !== null) {
      this.#hello(this.#helloStage, bytes);
      return;
    }
    if (this.#pendingIn === null) this.#pendingIn = bytes;
    else {
      // Only when a chunk arrives while we were pausing: bounded by one more transport chunk.
      const joined = new Uint8Array(this.#pendingIn.length + bytes.length);
      joined.set(this.#pendingIn);
      joined.set(bytes, this.#pendingIn.length);
      this.#pendingIn = joined;
    }
    this.#pump();
  }

  /**
   * Server with an SNICallback: receive the ClientHello (decoded once, at the engine's Accepted point), ask the
   * callback, then continue the handshake with the credentials it chose.
   */
  #hello(stage: HelloStage, bytes: Uint8Array): void {
    let accepted: Accepted | undefined;
    try {
      accepted = stage.push(bytes);
    } catch (err) {
      this.#helloStage = null;
      const alert = stage.takeAlert();
      const t = this.#transport;
      if (alert !== null && this.#peerSpeaksTls() && !t.destroyed && !t.writableEnded) t.end(alert);
      this.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (accepted === undefined) return;
    const hello = accepted;
    this.#helloStage = null;
    this.#pendingIn = hello.rest.length > 0 ? hello.rest : null;
    this.#transport.pause();
    this.#transportPaused = true;
    const side = this.#side;
    if (side.kind !== 'server') return;
    const name = hello.clientHello.serverName;
    // node:tls: the name the client asked for is known from here on, even if the handshake then fails.
    this.servername = name ?? false;
    const go = (creds: SniAnswer | null | undefined): void => {
      if (this.destroyed) return;
      let server = this.#factory instanceof TlsServer ? this.#factory : undefined;
      if (creds !== undefined && creds !== null) {
        if (!isSecureContext(creds) && credentialsOf(creds) === undefined) {
          // node:tls: an answer that is neither a secure context nor usable credentials ends the connection as is.
          this.destroy(Object.assign(new TypeError('Invalid SNI context'), { code: 'ERR_TLS_INVALID_CONTEXT' }));
          return;
        }
        if (credentialsOf(creds) === undefined) {
          // node:tls: OpenSSL's SSL_use_certificate(NULL) error, 'passed a null parameter'.
          const e = errnoError(`the secure context chosen for server name '${name ?? ''}' has no key and certificate (SSL routines::passed a null parameter)`, 'ERR_SSL_PASSED_A_NULL_PARAMETER');
          this.#refuseHello(Object.assign(e, { library: 'SSL routines' }));
          return;
        }
        try {
          server = (this.#configs ??= new PreparedConfigs(0)).sniServer(creds, side.options);
        } catch (err) {
          this.#refuseHello(err instanceof Error ? err : new Error(String(err)));
          return;
        }
      }
      if (server === undefined) {
        this.#refuseHello(errnoError(`no credentials for server name '${name ?? ''}' and no default key/cert`, 'ERR_TLS_SNI_NO_CREDENTIALS'));
        return;
      }
      const s = server;
      const proceed = (config: PreparedServerConfig): void => {
        if (this.destroyed) return;
        const started = this.#call(() => {
          const conn = s.accept(this.#observer, hello, config);
          this.#attach(conn);
          if (conn.engine.failed !== undefined) throw conn.engine.failed;
        });
        if (started) this.#pump();
      };
      const resume = (config: PreparedServerConfig): void => this.#askOcsp(hello, config, proceed);
      // node:tls ALPNCallback: the program picks one of the client's protocols (or none: no_application_protocol).
      const alpnCallback = side.options.ALPNCallback;
      const offered = hello.clientHello.alpn;
      const choose = (config: PreparedServerConfig): void => {
        if (alpnCallback === undefined || offered.length === 0) {
          resume(config);
          return;
        }
        const protocols = offered.map((p) => Buffer.from(p).toString('utf8'));
        let chosen: string | undefined;
        try {
          chosen = alpnCallback({ servername: name ?? undefined, protocols });
        } catch (err) {
          this.destroy(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (chosen === undefined) {
          // An id no client can offer (ids are 1..255 bytes): the engine finds no overlap and sends
          // no_application_protocol (RFC 7301 §3.2), as node:tls does when the callback returns undefined.
          resume({ ...config, alpn: [new Uint8Array(0)] });
          return;
        }
        const at = protocols.indexOf(chosen);
        const id = offered[at];
        if (id === undefined) {
          this.destroy(
            Object.assign(new TypeError(`ALPN callback returned a value (${String(chosen)}) that did not match any of the client's offered protocols (${protocols.join(', ')})`), {
              code: 'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT',
            }),
          );
          return;
        }
        resume({ ...config, alpn: [id] });
      };
      // A shared session store is asked here, before the engine continues (it never throws; outages are misses).
      const resumer = side.options.sessionResumer;
      if (resumer === undefined) choose(s.config);
      else void resumer.configFor(hello, s.config).then(choose, () => choose(s.config));
    };
    const cb = side.options.SNICallback;
    if (name === null || cb === undefined) {
      go(undefined);
      return;
    }
    let answered = false;
    try {
      cb(name, (err, creds) => {
        if (answered) return;
        answered = true;
        if (err !== null) this.destroy(err);
        else go(creds);
      });
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Server with 'OCSPRequest' listeners and a ClientHello asking for certificate status: ask for the response to
   * staple (certificate and issuer DER), then continue with it; no listener or no status_request: continue as is.
   */
  #askOcsp(hello: Accepted, config: PreparedServerConfig, next: (config: PreparedServerConfig) => void): void {
    const ask = this.#ocspRequest;
    if (ask === undefined || !offersStatusRequest(hello.clientHello.hello) || config.certificates.length === 0) {
      next(config);
      return;
    }
    const index = certificateIndexFor(config, hello.clientHello.serverName);
    const chain = config.certificates[index]?.chain ?? [];
    const ca = this.#side.kind === 'server' ? this.#side.options.ca : undefined;
    let answered = false;
    try {
      ask(Buffer.from(chain[0] ?? new Uint8Array(0)), issuerOf(chain, ca), (err, response) => {
        if (answered || this.destroyed) return;
        answered = true;
        if (err !== null && err !== undefined) this.destroy(err);
        else next(withStaple(config, index, response ?? null));
      });
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Server, at the hello stage: nothing to answer with. A fatal handshake_failure alert, then the error. */
  #refuseHello(err: Error): void {
    const t = this.#transport;
    if (!t.destroyed && !t.writableEnded) t.end(new Uint8Array([ContentType.Alert, 3, 3, 0, 2, AlertLevel.Fatal, AlertDescription.handshake_failure]));
    this.destroy(err);
  }

  #pump(): void {
    if (this.#pumping || this.#conn === undefined) return;
    this.#pumping = true;
    try {
      while (this.#pendingIn !== null && !this.destroyed) {
        if (this.#readBlocked) {
          if (!this.#transportPaused) {
            this.#transport.pause();
            this.#transportPaused = true;
          }
          return;
        }
        const input = this.#pendingIn;
        const whole = input.length <= FEED_SLICE;
        const slice = whole ? input : input.subarray(0, FEED_SLICE);
        this.#pendingIn = whole ? null : input.subarray(FEED_SLICE);
        if (!this.#receive(this.#conn, slice)) return;
      }
    } finally {
      this.#pumping = false;
    }
    if (this.destroyed) return;
    if (this.#transportPaused && !this.#readBlocked && this.#pendingIn === null) {
      this.#transportPaused = false;
      this.#transport.resume();
    }
    if (this.#transportEnded && this.#pendingIn === null) this.#onTransportGone();
  }

  /** `onread`: copy held plaintext into the caller's buffers, one callback per buffer, until it says stop. */
  #deliverOnRead(): void {
    const r = this.#onread;
    if (r === undefined) return;
    const held = r.held;
    while (held.length > 0 && !this.#onreadStopped && !this.destroyed) {
      const head = held[0]!;
      const n = Math.min(head.length, r.buf.length);
      if (n === 0 && head.length > 0) throw invalidArgType('onread.buffer', 'a non-empty Uint8Array', r.buf);
      r.buf.set(head.subarray(0, n));
      if (n === head.length) held.shift();
      else held[0] = head.subarray(n);
      const more = r.callback.call(this, n, r.buf) !== false;
      if (r.gen !== null) {
        const next = r.gen();
        if (next instanceof Uint8Array) r.buf = next;
      }
      if (!more) {
        this.#onreadStopped = true;
        this.#readBlocked = true;
      }
    }
  }

  /** Readable's resume(); with `onread`, also reading again after a callback returned false. */
  override resume(): this {
    super.resume();
    if (this.#onread !== undefined && this.#onreadStopped) {
      this.#onreadStopped = false;
      this.#deliverOnRead();
      if (!this.#onreadStopped) {
        this.#readBlocked = false;
        this.#runQueue();
        if (this.#conn !== undefined && !this.#pumping) this.#pump();
      }
    }
    return this;
  }

  /** Readable: the reader wants more; feed what we hold, then let the transport flow again. */
  override _read(): void {
    if (this.#onreadStopped) return;
    this.#readBlocked = false;
    if (this.#conn !== undefined && !this.#pumping) this.#pump();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#info === undefined) {
      this.#writeBeforeSecure = { chunk: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb };
      return;
    }
    this.#send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb);
  }

  /**
   * Several buffered writes at once (a corked socket: node:http's header, chunk framing and body) are sealed as one
   * plaintext, as node:tls's TLSWrap does: one record where they fit, not one per piece.
   */
  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], cb: (err?: Error | null) => void): void {
    const joined = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._write(joined, 'latin1', cb);
  }

  #drainWaiter: (() => void) | null = null;
  #drainListened = false;
  /** Written bytes already sealed and sent whose write callback waits for the next tick (still in writableLength). */
  #sealedAwaitingCallback = 0;
  #onDrain(): void {
    const w = this.#drainWaiter;
    this.#drainWaiter = null;
    w?.();
  }

  /** Seal `chunk` in slices, waiting for the transport's 'drain' whenever it is full; then call back. */
  #send(chunk: Uint8Array, cb: (err?: Error | null) => void): void {
    let off = 0;
    const step = (): void => {
      while (off < chunk.length) {
        if (this.destroyed) return;
        const part = chunk.subarray(off, off + (this.#maxSendFragment < 16384 ? this.#maxSendFragment : WRITE_SLICE));
        off += part.length;
        const conn = this.#conn;
        if (conn === undefined) return;
        const ok = this.#write(conn, part);
        this.#bytesWritten += part.length;
        if (!ok && !this.destroyed) {
          this.#drainWaiter = step;
          // Listened for from the first time the transport is full (most connections never fill it).
          if (!this.#drainListened) {
            this.#drainListened = true;
            this.#transport.on('drain', () => this.#onDrain());
          }
          return;
        }
      }
      // Called back on a later tick, as node:tls's handle does: Writable (Node 20.x) computes write()'s return after a
      // synchronous _write, so a synchronous callback would tell a caller writing 1 MiB that there is room for more.
      if (!this.destroyed) {
        this.#sealedAwaitingCallback += chunk.length;
        process.nextTick(() => {
          this.#sealedAwaitingCallback -= chunk.length;
          cb();
        });
      }
    };
    step();
  }

  /** Writable end: close_notify after every written byte, then half-close the transport. */
  override _final(cb: (err?: Error | null) => void): void {
    if (this.#info === undefined) {
      // end() before the handshake finished (and nothing written): close once it completes.
      this.#finalBeforeSecure = cb;
      return;
    }
    const conn = this.#conn;
    this.#closeSent = true;
    if (conn !== undefined) {
      try {
        conn.close();
      } catch {
        // already closed or failed: nothing more to send
      }
    }
    const out = conn?.takeOutput() ?? new Uint8Array(0);
    const t = this.#transport;
    if (t.destroyed || t.writableEnded) {
      cb();
      return;
    }
    t.end(out, () => cb());
  }

  #onTransportEnd(): void {
    this.#transportEnded = true;
    if (this.#pendingIn === null && !this.#pumping) this.#onTransportGone();
  }

  /** The transport ended and everything it delivered was handed to the engine. */
  #onTransportGone(): void {
    if (this.destroyed || this.#peerClosed) {
      if (!this.destroyed && this.writableFinished) this.destroy();
      return;
    }
    if (this.#info === undefined && this.#side.kind === 'server') {
      // node:tls names a client that left before the handshake completed so.
      this.destroy(socketHangUp());
    } else if (this.#info === undefined) {
      const err = errnoError('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET');
      if (this.#connectTarget !== undefined) Object.assign(err, this.#connectTarget);
      this.destroy(err);
    } else if (this.#closeSent) {
      this.#peerClosed = true;
      this.push(null);
      // As node:tls (stream_base_commons): a read(0) lets an unread, empty stream emit 'end' (and so end its own side).
      if (this.readableLength === 0) this.read(0);
    } else {
      this.destroy(errnoError('TLS peer closed the connection without close_notify (possible truncation attack)', 'ECONNRESET'));
    }
  }

  #fail(err: unknown): void {
    const e = withNodeCode(err instanceof Error ? err : new Error(String(err)));
    // node:tls's errors are plain Errors ('Error: unable to verify the first certificate' as a string); ours stays a
    // TlsError (instanceof, kind, reason, alert) under that name.
    if (e instanceof TlsError) Object.defineProperty(e, 'name', { value: 'Error', enumerable: false, configurable: true, writable: true });
    // The fatal alert (queued by the connection) goes out before the transport is closed.
    const out = this.#conn?.takeOutput();
    const t = this.#transport;
    if (out !== undefined && out.length > 0 && this.#peerSpeaksTls() && !t.destroyed && !t.writableEnded) {
      t.end(out);
    }
    this.destroy(e);
  }

  /**
   * False when the peer's first record header is not TLS at all (a content type outside 20..24, or a major version
   * other than 3: an HTTP request, junk): as OpenSSL, no alert is sent to it (it would not read one); the
   * connection is closed, and a peer still sending gets a reset.
   */
  #peerSpeaksTls(): boolean {
    if (this.#info !== undefined) return true;
    const type = this.#firstType;
    const major = this.#firstMajor;
    if (type >= 0 && (type < ContentType.ChangeCipherSpec || type > 24)) return false;
    return major < 0 || major === 3;
  }

  /** Keep the peer's first content type and major version (the first chunks may hold one byte each). */
  #noteFirstHeader(bytes: Uint8Array): void {
    let i = 0;
    if (this.#firstType < 0 && i < bytes.length) this.#firstType = bytes[i++] as number;
    if (i < bytes.length) this.#firstMajor = bytes[i] as number;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const wcb = this.#writeBeforeSecure?.cb;
    this.#writeBeforeSecure = null;
    this.#drainWaiter = null;
    const fcb = this.#finalBeforeSecure;
    this.#finalBeforeSecure = null;
    const t = this.#transport;
    if (err === null && this.#info !== undefined && !this.#closeSent && this.writableLength <= this.#sealedAwaitingCallback && !t.destroyed && !t.writableEnded) {
      // A clean destroy() with every written byte already sealed: say so with close_notify (as Go's Close does), so
      // the peer reads a clean end rather than a truncation. With plaintext still unsent there is none: the peer
      // must not take a cut-off stream for a complete one.
      this.#closeSent = true;
      try {
        this.#conn?.close();
      } catch {
        // already closed or failed: nothing more to send
      }
      const out = this.#conn?.takeOutput();
      if (out !== undefined && out.length > 0) t.write(out);
    }
    /** Over 0: the transport is destroyed once flushed ('finish'), or after this many ms at the latest. */
    let flushMs = 0;
    if (!t.destroyed && !this.#lingering) {
      if (err === null && !t.writableFinished) {
        // A clean close: let pending bytes (our close_notify) reach the peer first.
        if (!t.writableEnded) t.end();
        flushMs = 5000;
      } else if (t.writableEnded && !t.writableFinished) {
        // An alert is on its way out: destroy once flushed (bounded).
        flushMs = 1000;
      } else t.destroy();
    }
    if (flushMs > 0) t.on('finish', destroyEmitter);
    // Callbacks held for the handshake learn that it will not come.
    if (fcb !== null) fcb(err ?? errnoError('TLS connection destroyed before the handshake completed', 'ERR_STREAM_DESTROYED'));
    cb(err);
    // As node:tls: a write still waiting for the handshake is canceled, its callback told after the 'error'.
    if (wcb !== undefined) process.nextTick(wcb, Object.assign(errnoError('write ECANCELED', 'ECANCELED'), { syscall: 'write' }));
    // net.Socket's 'close' (hadError), after the stream's own 'error' (queued by cb) and once the transport is gone
    // (a lingering transport, reading out a refused renegotiation's last flight, closes on its own later).
    const hadError = err !== null;
    if (this.#lingering || (t.destroyed && t.closed !== false)) process.nextTick(emitCloseNT, this, hadError);
    else new CloseWatch(t, flushMs, this, hadError);
  }
}

/**
 * A TlsDuplex's observer (its trace and key log, given to its connection). node:tls emits 'keylog' only to listeners:
 * the engine reads `keyLog` at each line, and gets none (so formats no line) while the duplex has no 'keylog'
 * listener. A class with its getter on the prototype, not an object literal with a getter closure: V8 keeps an
 * own accessor in the object's hidden class, so a getter closure per connection gave each connection a hidden class
 * of its own, and hidden classes live in the old generation, where they held the whole connection alive through
 * young-generation collections until the next full one (~13 KB per connection promoted; docs/performance.md,
 * "promoted garbage").
 */
class DuplexObserver implements ConnectionObserver {
  readonly #duplex: TlsDuplex;
  readonly trace: ((e: TraceEvent) => void) | undefined;
  #emitKeyLog: ((line: string) => void) | undefined;
  constructor(duplex: TlsDuplex, trace: ((e: TraceEvent) => void) | undefined) {
    this.#duplex = duplex;
    this.trace = trace;
  }
  get keyLog(): ((line: string) => void) | undefined {
    if (this.#duplex.listenerCount('keylog') === 0) return undefined;
    const d = this.#duplex;
    return (this.#emitKeyLog ??= (line: string): void => {
      d.emit('keylog', Buffer.from(line + '\n', 'latin1'));
    });
  }
}

/** A TlsDuplex's 'close' on a later tick (a function, not a closure per connection). */
function emitCloseNT(d: TlsDuplex, hadError: boolean): void {
  d.emit('close', hadError);
}

/** At the latest, a TlsDuplex emits 'close' this long after its destroy (a transport that never emits one). */
const CLOSE_FALLBACK_MS = 6000;

/** A transport listener that destroys the transport it is called on (`this`): 'finish' once flushed; no closure. */
function destroyEmitter(this: Duplex): void {
  this.destroy();
}

/**
 * A destroyed TlsDuplex's 'close', once its transport `t` closes, bounded by one timer: with `flushMs` over 0, `t` is
 * destroyed after that long if it has not closed by then (the flush guard), and 'close' is emitted at
 * CLOSE_FALLBACK_MS at the latest (a transport that never emits 'close', emitClose: false). The timer is cleared as
 * soon as the transport closes: a pending timer holds the transport and, through its listeners, the whole
 * connection, which a server closing connections by the thousand would keep alive (and promote to the old
 * generation) for seconds each. One object and one listener per connection (timers get it as their argument).
 */
class CloseWatch {
  readonly #t: Duplex;
  readonly #flushMs: number;
  readonly #duplex: TlsDuplex;
  readonly #hadError: boolean;
  #done = false;
  #timer: ReturnType<typeof setTimeout>;
  constructor(t: Duplex, flushMs: number, duplex: TlsDuplex, hadError: boolean) {
    this.#t = t;
    this.#flushMs = flushMs;
    this.#duplex = duplex;
    this.#hadError = hadError;
    this.#timer = flushMs > 0 ? setTimeout(CloseWatch.#unflushed, flushMs, this) : setTimeout(CloseWatch.#close, CLOSE_FALLBACK_MS, this);
    this.#timer.unref?.();
    t.on('close', () => CloseWatch.#close(this));
  }
  static #close(w: CloseWatch): void {
    if (w.#done) return;
    w.#done = true;
    clearTimeout(w.#timer);
    w.#duplex.emit('close', w.#hadError);
  }
  static #unflushed(w: CloseWatch): void {
    w.#t.destroy();
    if (w.#done) return;
    w.#timer = setTimeout(CloseWatch.#close, CLOSE_FALLBACK_MS - w.#flushMs, w);
    w.#timer.unref?.();
  }
}

/** True when `err` is a TLS protocol error (as opposed to a transport error). */
export function isTlsError(err: unknown): err is TlsError {
  return err instanceof TlsError;
}
