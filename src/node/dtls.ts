/**
 * DTLS over node:dgram. `createDtlsServer` listens on one UDP socket and keeps one engine per peer address
 * (a bounded table; a new address is let in only after the stateless cookie round trip, src/dtls/gate.ts for DTLS 1.2,
 * src/dtls/v13/listener.ts for DTLS 1.3; the version is chosen by src/dtls/negotiate.ts);
 * `connectDtls` is a client on a connected UDP socket. A DtlsSocket is an EventEmitter with datagram semantics:
 * each `write` is sent as records of at most the path MTU, each received record is one 'data' event. DTLS does
 * not retransmit application data: what UDP loses is lost, as with openssl s_client -dtls.
 *
 * Events of a DtlsSocket: 'secureConnect' (handshake done), 'data' (Buffer), 'close', 'error' (TlsError or socket
 * error). Events of a DtlsServer: 'listening', 'secureConnection' (DtlsSocket), 'tlsClientError' (err, address),
 * 'close', 'error'.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { CookieSecret, DtlsEngine, helloGate, prepareDtlsServerConfig, type DatagramEngine, type DtlsOptions, type DtlsResult } from '../dtls/index.js';
import { classifyHello, dtlsVersionOf, dtlsVersions, helloAlert, INAPPROPRIATE_FALLBACK, NegotiatingDtlsClient, prepareDtls13ServerConfig, type DtlsVersionName, type DtlsVersions } from '../dtls/negotiate.js';
import { Dtls13Engine } from '../dtls/v13/engine13.js';
import { Dtls13Listener } from '../dtls/v13/listener.js';
import { AlertDescription } from '../wire/registry.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { PreparedServerConfig } from '../vocabulary/config.js';
import { toClientOptions, toServerOptions, type EngineHooks, type NodeClientOptions, type NodeServerOptions } from './options.js';

/** Datagram settings shared by the server and the client. */
export interface DtlsSocketOptions {
  /** Path MTU (UDP payload bytes); default 1400. */
  readonly mtu?: number;
  /** First retransmission timeout, ms (default 1000, RFC 6347 §4.2.4.1). */
  readonly initialTimeoutMs?: number;
  /** Retransmissions of one flight before the handshake fails (default 10). */
  readonly maxRetransmissions?: number;
}

export interface DtlsServerOptions extends NodeServerOptions, DtlsSocketOptions {
  /** Associations kept at once (default 1024); a new peer beyond it is dropped until one closes. */
  readonly maxConnections?: number;
  /** An association with no datagram for this long is forgotten (default 5 minutes). */
  readonly idleTimeoutMs?: number;
  /** Use this UDP socket type (default: from the listen address). */
  readonly type?: 'udp4' | 'udp6';
}

export interface DtlsConnectOptions extends NodeClientOptions, DtlsSocketOptions {
  /** Bind the client's UDP socket to this local port (default: any). */
  readonly localPort?: number;
}

const NO_HOOKS: EngineHooks = { trace: () => undefined };

/** One DTLS association. */
export class DtlsSocket extends EventEmitter {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #engine: DatagramEngine;
  readonly #send: (d: Uint8Array) => void;
  readonly #onClose: () => void;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  /** @internal server: the random of the ClientHello that created this association (restart detection). */
  _helloRandom: Uint8Array | undefined;
  #lastActivity = Date.now();

  /** @internal built by createDtlsServer / connectDtls */
  constructor(engine: DatagramEngine, remote: { address: string; port: number }, send: (d: Uint8Array) => void, onClose: () => void) {
    super();
    this.#engine = engine;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.#send = send;
    this.#onClose = onClose;
  }

  /** Whether the handshake is complete. */
  get encrypted(): boolean {
    return this.#engine.isEstablished;
  }

  /** What was negotiated, once established. */
  get info(): ConnectionInfo | undefined {
    return this.#engine.info;
  }

  /** The engine (for its drop counters and MTU). */
  get engine(): DatagramEngine {
    return this.#engine;
  }

  /** node:tls-style names. */
  getProtocol(): DtlsVersionName | null {
    return this.#engine.isEstablished ? dtlsVersionOf(this.#engine) : null;
  }

  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const i = this.#engine.info;
    return i === undefined ? undefined : { name: i.cipherName, standardName: i.cipherName, version: dtlsVersionOf(this.#engine) };
  }

  /** Milliseconds since this association last received a datagram. */
  get idleMs(): number {
    return Date.now() - this.#lastActivity;
  }

  /** Send `data` (records of at most the path MTU). Returns false when the association cannot send. */
  write(data: Uint8Array | string): boolean {
    if (this.#ended || !this.#engine.isEstablished) return false;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      for (const d of this.#engine.seal(bytes)) this.#send(d);
    } catch (e) {
      this.#error(e);
      return false;
    }
    return true;
  }

  /** Send close_notify and forget the association. */
  end(): void {
    if (this.#ended) return;
    try {
      for (const d of this.#engine.close()) this.#send(d);
    } catch {
      // already failed: nothing to say
    }
    this.destroy();
  }

  /** Forget the association without a close_notify. */
  destroy(err?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onClose();
    if (err !== undefined) this.emit('error', err);
    this.emit('close');
  }

  /** @internal start a client handshake */
  _start(): void {
    this.#deliver(() => this.#engine.start(Date.now()));
  }

  /** @internal a datagram from the peer */
  _receive(datagram: Uint8Array): void {
    if (this.#ended) return;
    this.#lastActivity = Date.now();
    this.#deliver(() => this.#engine.process(datagram, Date.now()));
  }

  #deliver(step: () => DtlsResult): void {
    const wasEstablished = this.#engine.isEstablished;
    let r: DtlsResult;
    try {
      r = step();
    } catch (e) {
      this.#error(e);
      return;
    }
    for (const d of r.datagrams) this.#send(d);
    this.#arm();
    if (!wasEstablished && this.#engine.isEstablished) this.emit('secureConnect');
    for (const p of r.plaintext) this.emit('data', Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    if (r.events.some((e) => e.type === 'PeerClosed')) this.destroy();
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const at = this.#engine.nextTimeout();
    if (at === null || this.#ended) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#deliver(() => this.#engine.handleTimeout(Date.now()));
    }, Math.max(0, at - Date.now()));
  }

  #error(e: unknown): void {
    const alert = this.#engine.takeAlert();
    if (alert !== null) {
      try {
        this.#send(alert);
      } catch {
        // the socket is gone
      }
    }
    this.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}

/** A DTLS server on one UDP socket. */
export class DtlsServer extends EventEmitter {
  readonly #socket: Socket;
  readonly #config: PreparedServerConfig;
  readonly #options: DtlsServerOptions;
  readonly #cookies: CookieSecret;
  readonly #versions: DtlsVersions;
  /** DTLS 1.3: the stateless HelloRetryRequest front (src/dtls/v13/listener.ts); undefined when 1.3 is off. */
  readonly #listener13: Dtls13Listener | undefined;
  #mtu13 = 1400;
  #config13: PreparedServerConfig | undefined;
  readonly #peers = new Map<string, DtlsSocket>();
  readonly #max: number;
  readonly #idleMs: number;
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: DtlsServerOptions, listener?: (s: DtlsSocket) => void) {
    super();
    this.#options = options;
    const tlsOptions = toServerOptions(options, NO_HOOKS);
    this.#versions = dtlsVersions(tlsOptions);
    this.#config = prepareDtlsServerConfig(tlsOptions);
    if (this.#versions.v13) {
      this.#mtu13 = options.mtu ?? 1400;
      this.#config13 = prepareDtls13ServerConfig(tlsOptions);
      this.#listener13 = new Dtls13Listener(this.#config13, {
        mtu: this.#mtu13,
        ...(options.initialTimeoutMs !== undefined ? { initialTimeoutMs: options.initialTimeoutMs } : {}),
        ...(options.maxRetransmissions !== undefined ? { maxRetransmissions: options.maxRetransmissions } : {}),
      });
    }
    this.#cookies = new CookieSecret(this.#config.provider);
    this.#max = options.maxConnections ?? 1024;
    this.#idleMs = options.idleTimeoutMs ?? 300_000;
    // Large buffers: a burst of records must not overflow the socket (what UDP loses, DTLS does not resend).
    this.#socket = createSocket({ type: options.type ?? 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.#socket.on('message', (msg, rinfo) => this.#message(msg, rinfo));
    this.#socket.on('error', (e) => this.emit('error', e));
    this.#socket.on('listening', () => this.emit('listening'));
    if (listener !== undefined) this.on('secureConnection', listener);
  }

  /** Bind (like node:dgram's bind; `host` defaults to 127.0.0.1). */
  listen(port = 0, host = '127.0.0.1', cb?: () => void): this {
    if (cb !== undefined) this.once('listening', cb);
    this.#socket.bind(port, host);
    this.#sweep = setInterval(() => this.#sweepIdle(), Math.min(this.#idleMs, 30_000));
    this.#sweep.unref();
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return this.#socket.address();
  }

  /** The DTLS versions served, newest first. */
  get protocols(): DtlsVersionName[] {
    return [...(this.#versions.v13 ? ['DTLSv1.3' as const] : []), ...(this.#versions.v12 ? ['DTLSv1.2' as const] : [])];
  }

  /** Associations open now. */
  get connections(): number {
    return this.#peers.size;
  }

  close(cb?: () => void): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    for (const s of [...this.#peers.values()]) s.end();
    this.#socket.close(() => {
      this.emit('close');
      cb?.();
    });
  }

  #sweepIdle(): void {
    for (const s of [...this.#peers.values()]) if (s.idleMs > this.#idleMs) s.destroy();
  }

  #message(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const known = this.#peers.get(key);
    const peer = Buffer.from(key);
    if (known !== undefined) {
      // RFC 6347 §4.2.8: a ClientHello in epoch 0 on an established association is a client that lost its state
      // (restarted from the same port). With a valid cookie it replaces the old association; until then the old
      // one goes on (the datagram may be a stray retransmission).
      // A late copy of the ClientHello that made this association (same random) is not a restart.
      const fresh = known.encrypted && !sameBytes(helloRandom(msg), known._helloRandom);
      if (fresh && known.engine instanceof Dtls13Engine) {
        const kind = classifyHello(msg);
        if ((kind === 'dtls13' || kind === 'fragment') && this.#accept13(msg, rinfo, key, known)) return;
        known._receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
        return;
      }
      const restart = fresh ? helloGate(this.#cookies, peer, msg) : undefined;
      if (restart !== undefined && restart.kind !== 'drop') {
        if (restart.kind === 'verify') {
          this.#socket.send(restart.reply, rinfo.port, rinfo.address);
          return;
        }
        known.destroy();
      } else {
        known._receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
        return;
      }
    }
    // Version dispatch (src/dtls/negotiate.ts): a ClientHello offering DTLS 1.3 goes to the 1.3 listener, any other
    // to the DTLS 1.2 gate; each keeps no state until its cookie returns.
    const hello = classifyHello(msg);
    if (this.#listener13 !== undefined && (hello === 'dtls13' || hello === 'fragment')) {
      this.#accept13(msg, rinfo, key, undefined);
      return;
    }
    if (hello === 'dtls12' || hello === 'dtls12-fallback') {
      // RFC 7507: a client that can do DTLS 1.3 fell back to 1.2 while we speak 1.3: someone pushed it down.
      const refuse = !this.#versions.v12 ? AlertDescription.protocol_version : hello === 'dtls12-fallback' && this.#versions.v13 ? INAPPROPRIATE_FALLBACK : undefined;
      if (refuse !== undefined) {
        this.#socket.send(helloAlert(msg, refuse), rinfo.port, rinfo.address);
        return;
      }
    }
    const verdict = helloGate(this.#cookies, peer, msg);
    if (verdict.kind === 'drop') return;
    if (verdict.kind === 'verify') {
      this.#socket.send(verdict.reply, rinfo.port, rinfo.address);
      return;
    }
    if (this.#peers.size >= this.#max) return;
    const o = this.#options;
    const dtls: DtlsOptions = {
      cookies: this.#cookies,
      peer,
      ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
      ...(o.initialTimeoutMs !== undefined ? { initialTimeoutMs: o.initialTimeoutMs } : {}),
      ...(o.maxRetransmissions !== undefined ? { maxRetransmissions: o.maxRetransmissions } : {}),
    };
    const socket = this.#track(new DtlsEngine(this.#config, dtls), rinfo, key, msg);
    socket._receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
  }

  /** A new association in the table. */
  #track(engine: DatagramEngine, rinfo: RemoteInfo, key: string, hello: Buffer): DtlsSocket {
    const socket = new DtlsSocket(engine, rinfo, (d) => this.#socket.send(d, rinfo.port, rinfo.address), () => {
      if (this.#peers.get(key) === socket) this.#peers.delete(key);
    });
    socket._helloRandom = helloRandom(hello);
    this.#peers.set(key, socket);
    socket.once('secureConnect', () => this.emit('secureConnection', socket));
    socket.on('error', (e: Error) => {
      if (!socket.encrypted) this.emit('tlsClientError', e, rinfo);
    });
    return socket;
  }

  /**
   * A DTLS 1.3 ClientHello from a peer without an association (or restarting one, `replaces`): the listener answers
   * statelessly; a valid cookie makes the association. Returns whether it did.
   */
  #accept13(msg: Buffer, rinfo: RemoteInfo, key: string, replaces: DtlsSocket | undefined): boolean {
    const listener = this.#listener13;
    if (listener === undefined) return false;
    const r = listener.accept(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), `${rinfo.address}:${rinfo.port}`);
    for (const d of r.reply) this.#socket.send(d, rinfo.port, rinfo.address);
    if (r.connection === undefined) {
      if (r.error !== undefined) this.emit('tlsClientError', r.error, rinfo);
      return false;
    }
    if (replaces !== undefined) replaces.destroy();
    if (this.#peers.size >= this.#max) return false;
    this.#track(new Dtls13Engine(r.connection, this.#mtu13, this.#config13 as PreparedServerConfig), rinfo, key, msg)._start();
    return true;
  }
}

/** The client random of a datagram that starts with an unfragmented DTLS ClientHello record (else undefined). */
function helloRandom(d: Uint8Array): Uint8Array | undefined {
  // record header (13) + handshake header (12) + client_version (2), then 32 bytes of random.
  if (d.length < 13 + 12 + 2 + 32 || d[0] !== 22 || d[13] !== 1) return undefined;
  return d.subarray(27, 59);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}

/** A DTLS server (node:tls createServer's shape, over UDP): DTLS 1.3 and 1.2 unless minVersion/maxVersion narrow it. */
export function createDtlsServer(options: DtlsServerOptions, listener?: (s: DtlsSocket) => void): DtlsServer {
  return new DtlsServer(options, listener);
}

/** A DTLS client on a connected UDP socket: DTLS 1.3, falling back to 1.2 (minVersion/maxVersion narrow it); `cb` runs on 'secureConnect'. */
export function connectDtls(options: DtlsConnectOptions, cb?: () => void): DtlsSocket {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const engine = new NegotiatingDtlsClient(toClientOptions({ ...options, host }, NO_HOOKS), {
    ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    ...(options.initialTimeoutMs !== undefined ? { initialTimeoutMs: options.initialTimeoutMs } : {}),
    ...(options.maxRetransmissions !== undefined ? { maxRetransmissions: options.maxRetransmissions } : {}),
  });
  const udp = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const socket = new DtlsSocket(engine, { address: host, port }, (d) => udp.send(d), () => udp.close());
  if (cb !== undefined) socket.once('secureConnect', cb);
  udp.on('message', (msg) => socket._receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
  udp.on('error', (e) => socket.destroy(e));
  const start = (): void => udp.connect(port, host, () => socket._start());
  if (options.localPort !== undefined) udp.bind(options.localPort, start);
  else start();
  return socket;
}
