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
import { toServerOptions, type Credentials, type NodeServerOptions } from './options.js';
import { SessionResumer } from '../session/resumer.js';
import { SessionEventStore } from './session-events.js';

/** A TLS server (node:tls `tls.Server` events and the net.Server methods: listen, close, address). */
export class Server extends NetServer {
  #options: NodeServerOptions;
  #tls: TlsServer;
  readonly #connections = new Set<TlsDuplex>();
  /** node:tls 'newSession'/'resumeSession' listeners as a session store (made when first needed). */
  #sessionEvents: SessionResumer | undefined;

  /** Build the shared TlsServer from `options`; `secureConnectionListener` is added as a 'secureConnection' listener. */
  constructor(options: NodeServerOptions, secureConnectionListener?: (socket: TlsDuplex) => void) {
    super({ allowHalfOpen: true }, (socket: Socket) => this.#onConnection(socket));
    this.#options = options;
    this.#tls = new TlsServer(toServerOptions(options, routedHooks));
    if (secureConnectionListener !== undefined) this.on('secureConnection', secureConnectionListener);
  }

  /** The shared TlsServer. */
  get tlsServer(): TlsServer {
    return this.#tls;
  }

  /** Connections currently open (for a graceful shutdown). */
  get tlsConnections(): ReadonlySet<TlsDuplex> {
    return this.#connections;
  }

  /** node:tls: add credentials for a server name (exact or `*.example.com`); rebuilds the shared TlsServer. */
  addContext(hostname: string, creds: Credentials): void {
    this.#options = { ...this.#options, sniCredentials: { ...(this.#options.sniCredentials ?? {}), [hostname]: creds } };
    this.#tls = new TlsServer(toServerOptions(this.#options, routedHooks));
  }

  /** Run TLS over a connection accepted elsewhere (any Duplex), with this server's options and events. */
  handle(transport: import('node:stream').Duplex): TlsDuplex {
    const socket = new TlsDuplex(transport, { ...this.#options, ...this.#sessionEventOptions(), isServer: true, server: this.#tls });
    this.#connections.add(socket);
    socket.once('close', () => this.#connections.delete(socket));
    const onError = (err: Error): void => {
      this.emit('tlsClientError', err, socket);
    };
    socket.on('error', onError);
    socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    socket.once('secure', () => {
      socket.off('error', onError);
      this.emit('secureConnection', socket);
    });
    return socket;
  }

  /** With 'newSession'/'resumeSession' listeners and no sessionResumer option: the listeners are the store. */
  #sessionEventOptions(): Pick<NodeServerOptions, 'sessionResumer'> {
    if (this.#options.sessionResumer !== undefined) return {};
    if (this.listenerCount('newSession') === 0 && this.listenerCount('resumeSession') === 0) return {};
    this.#sessionEvents ??= new SessionResumer(new SessionEventStore(this), { timeoutMs: 5000, log: (line) => this.emit('sessionStoreWarning', line) });
    return { sessionResumer: this.#sessionEvents };
  }

  #onConnection(socket: Socket): void {
    this.handle(socket);
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
export function createServer(options: NodeServerOptions, listener?: (socket: TlsDuplex) => void): Server {
  return new Server(options, listener);
}
