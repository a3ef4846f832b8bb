/**
 * `createServer(options, listener)`: a net.Server whose connections run our TLS engine, shaped like node:tls's
 * `tls.Server`: 'secureConnection' (TlsDuplex), 'tlsClientError' (err, TlsDuplex) for connections that fail before
 * the handshake completes, 'keylog' (line, TlsDuplex), and node:tls's 'newSession' / 'resumeSession' for an
 * external TLS 1.2 session cache (src/node/session-events.ts). One TlsServer (parsed credentials, ticket keys) is shared by
 * all connections.
 */
import { Server as NetServer, type Socket } from 'node:net';
import { TlsServer } from '../index.js';
import { routedHooks, TlsDuplex } from './duplex.js';
import { sniKeyMatches, toServerOptions, type NodeServerOptions, type SniAnswer } from './options.js';
import { withNodeCode } from './error-codes.js';
import { credentialsOf, withSecureContext, type SecureContext, type SecureContextOptions } from './secure-context.js';
import { SessionResumer } from '../session/resumer.js';
import { SessionEventStore } from './session-events.js';
import type { OcspRequestHook } from './ocsp-events.js';
import { withNodeDefaults } from './node-defaults.js';
import type { PreparedConfigs } from './prepared-configs.js';

/** Options of {@link Server}: node:tls server options, and where its connections share prepared configurations. */
export interface ServerOptions extends NodeServerOptions {
  /** SNI answers' prepared servers and session records are shared through this (the adapter passes its own). */
  readonly preparedConfigs?: PreparedConfigs;
  /** net.Server: accepted connections start paused (the handshake still runs; the TLS socket is handed over paused). */
  readonly pauseOnConnect?: boolean;
}

/** The net.Server options a TLS server's own options carry (node:tls passes them to net.Server). */
function netServerOptions(options: ServerOptions | ((socket: TlsDuplex) => void) | undefined): { allowHalfOpen: boolean; pauseOnConnect: boolean } {
  const o = typeof options === 'object' ? options : {};
  return { allowHalfOpen: o.allowHalfOpen ?? false, pauseOnConnect: o.pauseOnConnect ?? false };
}

/** node:tls `server.ALPNProtocols`: the protocols in wire format (each length-prefixed), as convertALPNProtocols makes them. */
function alpnWire(protocols: NodeServerOptions['ALPNProtocols']): Buffer | undefined {
  if (protocols === undefined) return undefined;
  if (protocols instanceof Uint8Array) return Buffer.from(protocols);
  const parts: Buffer[] = [];
  for (const p of protocols as readonly (string | Uint8Array)[]) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
    parts.push(Buffer.from([b.length]), b);
  }
  return Buffer.concat(parts);
}

/** A TLS server (node:tls `tls.Server` events and the net.Server methods: listen, close, address). */
export class Server extends NetServer {
  #options: ServerOptions;
  /** The shared TlsServer; undefined when there are no default credentials (SNICallback chooses, or none). */
  #tls: TlsServer | undefined;
  readonly #connections = new Set<TlsDuplex>();
  /** node:tls 'newSession'/'resumeSession' listeners as a session store (made when first needed). */
  #sessionEvents: SessionResumer | undefined;

  /**
   * Build the shared TlsServer from `options`; `secureConnectionListener` is added as a 'secureConnection' listener.
   * As node:tls, `options` may be left out.
   */
  constructor(options?: ServerOptions | ((socket: TlsDuplex) => void), secureConnectionListener?: (socket: TlsDuplex) => void) {
    super(netServerOptions(options), (socket: Socket) => this.#onConnection(socket));
    if (typeof options === 'function') {
      secureConnectionListener = options;
      options = {};
    }
    options ??= {};
    // node:tls's tls.DEFAULT_MIN_VERSION / DEFAULT_MAX_VERSION where the options give no range (on a copy: the
    // caller's object may change later).
    this.#options = withNodeDefaults({ ...options });
    this.#rebuild();
    this.ALPNProtocols = alpnWire(options.ALPNProtocols);
    if (secureConnectionListener !== undefined) this.on('secureConnection', secureConnectionListener);
  }

  /** net.Server: whether accepted TLS sockets stay open for writing after the peer's end (the `allowHalfOpen` option). */
  declare allowHalfOpen: boolean;
  /** net.Server: whether accepted TLS sockets are handed over paused (the `pauseOnConnect` option). */
  declare pauseOnConnect: boolean;
  /** node:tls: the server's ALPN protocols in wire format (undefined when none were given). */
  ALPNProtocols: Buffer | undefined;

  /** The shared TlsServer (undefined when there are no default credentials: an SNICallback chooses them). */
  get tlsServer(): TlsServer | undefined {
    return this.#tls;
  }

  /**
   * (Re)build the shared TlsServer. As node:tls, a server may have no key and certificate of its own: its
   * SNICallback supplies them per connection, or, with none, every handshake fails (tlsClientError).
   */
  #rebuild(): void {
    const o = this.#options;
    const has = credentialsOf(withSecureContext(o)) !== undefined || o.pfx !== undefined || Object.keys(o.sniCredentials ?? {}).length > 0;
    this.#tls = has ? new TlsServer(toServerOptions(o, routedHooks)) : undefined;
  }

  /** Connections currently open (for a graceful shutdown). */
  get tlsConnections(): ReadonlySet<TlsDuplex> {
    return this.#connections;
  }

  /**
   * node:tls: add credentials (`{ key, cert }` or a secure context) for a server name (exact or `*.example.com`);
   * rebuilds the shared TlsServer.
   */
  addContext(hostname: string, creds: SniAnswer): void {
    // node:tls: a context added here is the whole configuration for that name (its own ca, ciphers…), chosen at the
    // ClientHello like an SNICallback answer; the last one added for a name wins.
    this.#contexts = [[hostname, creds], ...this.#contexts.filter(([n]) => n !== hostname)];
  }

  /** Contexts added by addContext, newest first. */
  #contexts: [string, SniAnswer][] = [];

  /** The SNICallback of a connection: the caller's, else one over the addContext contexts (node:tls's default). */
  #sniCallback(): NodeServerOptions['SNICallback'] {
    const own = this.#options.SNICallback;
    if (own !== undefined || this.#contexts.length === 0) return own;
    const contexts = this.#contexts;
    return (name, cb) => {
      const exact = contexts.find(([n]) => n.toLowerCase() === name.toLowerCase());
      const hit = exact ?? contexts.find(([n]) => sniKeyMatches(n, name));
      cb(null, hit?.[1] ?? null);
    };
  }

  /** node:tls: replace the server's key, chain and settings for new connections (open ones keep theirs). */
  setSecureContext(options: SecureContextOptions | SecureContext): void {
    const extra: NodeServerOptions = 'options' in options && 'context' in options ? { secureContext: options } : (options as SecureContextOptions);
    this.#options = { ...this.#options, ...extra };
    this.#rebuild();
    if (extra.ALPNProtocols !== undefined) this.ALPNProtocols = alpnWire(extra.ALPNProtocols);
  }

  /** node:tls: the 48 bytes of ticket key material in use (fixed keys: those given as `ticketKeys`). */
  getTicketKeys(): Buffer {
    const tls = this.#tls;
    if (tls === undefined) throw Object.assign(new Error('this server has no default credentials, so no ticket keys of its own'), { code: 'ERR_TLS_INVALID_STATE' });
    const k = tls.config.ticketKeys.current();
    return Buffer.concat([k.id, k.key]);
  }

  /** node:tls: use these 48 bytes as ticket keys from now on (tickets under the old keys are no longer accepted). */
  setTicketKeys(keys: Uint8Array): void {
    if (!(keys instanceof Uint8Array) || keys.length !== 48) {
      throw Object.assign(new TypeError('Session ticket keys must be a 48-byte buffer'), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    this.#options = { ...this.#options, ticketKeys: keys };
    this.#rebuild();
  }

  /**
   * node:cluster calls these (lib/internal/cluster/child.js): a worker's server hands the primary its data when it
   * listens, and every worker listening on the same handle gets the first worker's. node:tls shares its ticket keys
   * this way, so a session made with one worker resumes with another; so do we.
   */
  _getServerData(): { ticketKeys?: string } {
    return this.#tls === undefined ? {} : { ticketKeys: this.getTicketKeys().toString('hex') };
  }
  _setServerData(data: { ticketKeys?: string } | null | undefined): void {
    const hex = data?.ticketKeys;
    if (typeof hex === 'string' && this.#tls !== undefined) this.setTicketKeys(Buffer.from(hex, 'hex'));
  }

  /** Run TLS over a connection accepted elsewhere (any Duplex), with this server's options and events. */
  handle(transport: import('node:stream').Duplex): TlsDuplex {
    const tls = this.#tls;
    const sessions = this.#sessionEventOptions();
    const sni = this.#sniCallback();
    const ocsp = this.#ocspRequestOption();
    const socket =
      tls !== undefined
        ? new TlsDuplex(transport, { ...this.#options, ...sessions, ...ocsp, ...(sni !== undefined ? { SNICallback: sni } : {}), isServer: true, server: tls })
        : new TlsDuplex(transport, {
            ...this.#options,
            ...sessions,
            ...ocsp,
            isServer: true,
            // No credentials of our own: the caller's SNICallback chooses, or nothing can be served.
            SNICallback: sni ?? ((_name, cb) => cb(null, null)),
          });
    this.#connections.add(socket);
    socket.once('close', () => this.#connections.delete(socket));
    const onError = (err: Error): void => {
      this.emit('tlsClientError', withNodeCode(err), socket);
    };
    socket.on('error', onError);
    // As node:tls: a connection logs keys to the server's 'keylog' when the server had listeners as it was accepted
    // (otherwise no line is formatted for it).
    if (this.listenerCount('keylog') > 0) socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    socket.once('secure', () => {
      socket.off('error', onError);
      this.emit('secureConnection', socket);
    });
    return socket;
  }

  /** node:tls 'OCSPRequest' (certificate, issuer, callback): asked per connection while the server has listeners. */
  #ocspRequestOption(): { onOCSPRequest?: OcspRequestHook } {
    if (this.listenerCount('OCSPRequest') === 0) return {};
    return { onOCSPRequest: (certificate, issuer, callback) => this.emit('OCSPRequest', certificate, issuer, callback) };
  }

  /** With 'newSession'/'resumeSession' listeners and no sessionResumer option: the listeners are the store. */
  #sessionEventOptions(): Pick<NodeServerOptions, 'sessionResumer'> {
    if (this.#options.sessionResumer !== undefined) return {};
    if (this.listenerCount('newSession') === 0 && this.listenerCount('resumeSession') === 0) return {};
    this.#sessionEvents ??= new SessionResumer(new SessionEventStore(this), { timeoutMs: 5000, log: (line) => this.emit('sessionStoreWarning', line) });
    return { sessionResumer: this.#sessionEvents };
  }

  /** node:tls: a rejected async 'secureConnection' listener (captureRejections) destroys that socket with the error. */
  [Symbol.for('nodejs.rejection')](err: Error, event: string | symbol, ...args: unknown[]): void {
    if (event === 'secureConnection' && args[0] instanceof TlsDuplex) {
      args[0].destroy(err);
      return;
    }
    (NetServer.prototype as unknown as Record<symbol, (...a: unknown[]) => void>)[Symbol.for('nodejs.rejection')]?.call(this, err, event, ...args);
  }

  #onConnection(socket: Socket): void {
    // The TCP side stays half-open whatever the TLS socket's allowHalfOpen: close_notify may follow the peer's FIN.
    socket.allowHalfOpen = true;
    const tls = this.handle(socket);
    // pauseOnConnect pauses the TLS socket, not the handshake: the TCP socket (created paused) is read.
    if (socket.readableFlowing === false) socket.resume();
    if (this.#options.pauseOnConnect === true) tls.pause();
  }

  /**
   * Stop accepting, then end every open connection cleanly (close_notify after pending data); `cb` runs once the
   * listener and all connections are closed. Connections still open after `graceMs` are destroyed.
   */
  shutdown(graceMs = 5000, cb?: () => void): void {
    let pending = 1 + this.#connections.size;
    const done = (): void => {
      if (--pending === 0) {
        clearTimeout(timer);
        cb?.();
      }
    };
    const timer = setTimeout(() => {
      for (const c of this.#connections) c.destroy();
    }, graceMs);
    timer.unref?.();
    this.close(() => done());
    for (const c of this.#connections) {
      c.once('close', done);
      c.end();
    }
  }
}

/** node:tls-style `createServer`: a {@link Server}; `listener` handles 'secureConnection'. */
export function createServer(options?: NodeServerOptions | ((socket: TlsDuplex) => void), listener?: (socket: TlsDuplex) => void): Server {
  return new Server(options, listener);
}
