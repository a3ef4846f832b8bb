/**
 * HTTP/2 on our TLS: node:http2 does the HTTP/2 (its plain server takes any connected Duplex as a 'connection'),
 * our TlsDuplex the TLS, with ALPN choosing 'h2' and, with `allowHTTP1`, 'http/1.1' (served by node:http).
 *
 * Server, shaped like `http2.createSecureServer`:
 * ```ts
 * createSecureHttp2Server({ key, cert, allowHTTP1: true }, (req, res) => res.end('hello')).listen(8443);
 * ```
 * Client — node:http2's own `connect`, with our connection under it:
 * ```ts
 * const session = http2.connect('https://localhost:8443', {
 *   createConnection: (url) => connect({ host: url.hostname, port: Number(url.port), ALPNProtocols: ['h2'], ca }),
 * });
 * ```
 * ({@link connectHttp2} is exactly that.)
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import {
  connect as http2Connect,
  createServer as createH2Server,
  type ClientHttp2Session,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureClientSessionOptions,
  type ServerHttp2Session,
  type Settings,
} from 'node:http2';
import { connect, type ConnectOptions } from './connect.js';
import type { TlsDuplex } from './duplex.js';
import type { NodeServerOptions } from './options.js';
import { Server } from './server.js';

/** A request handler for both protocols (node:http2's compatibility API and node:http share these members). */
export type Http2RequestListener = (
  req: Http2ServerRequest | IncomingMessage,
  res: Http2ServerResponse | ServerResponse,
) => void;

/** Options of {@link Http2SecureServer}: our TLS server options plus node:http2's. */
export interface Http2SecureServerOptions extends NodeServerOptions {
  /** Serve clients that do not offer 'h2' with HTTP/1.1 (node:http), as node:http2's option. Default false. */
  readonly allowHTTP1?: boolean;
  /** Initial HTTP/2 SETTINGS. */
  readonly settings?: Settings;
}

/**
 * An HTTP/2 server over our TLS: 'h2' connections go to `http2` (a node:http2 server: 'stream', 'session',
 * 'request' events), 'http/1.1' ones (with `allowHTTP1`) to `http1`. 'stream' and 'session' are re-emitted here.
 */
export class Http2SecureServer extends Server {
  /** The node:http2 server handling h2 sessions. */
  readonly http2: Http2Server;
  /** The node:http server handling HTTP/1.1 connections (`allowHTTP1`), else undefined. */
  readonly http1: HttpServer | undefined;
  readonly #sockets = new WeakMap<ServerHttp2Session, TlsDuplex>();
  readonly #sessions = new Set<ServerHttp2Session>();

  /** ALPN offers 'h2' (then 'http/1.1' with `allowHTTP1`) unless `ALPNProtocols` says otherwise. */
  constructor(options: Http2SecureServerOptions = {}, onRequest?: Http2RequestListener) {
    const { allowHTTP1, settings, ...tls } = options;
    super({ ALPNProtocols: allowHTTP1 === true ? ['h2', 'http/1.1'] : ['h2'], ...tls });
    this.http2 = createH2Server(settings !== undefined ? { settings } : {});
    this.http1 = allowHTTP1 === true ? createHttpServer() : undefined;
    if (onRequest !== undefined) {
      this.http2.on('request', onRequest);
      this.http1?.on('request', onRequest);
    }
    this.http2.on('stream', (...args: unknown[]) => this.emit('stream', ...args));
    this.http2.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      this.emit('session', session);
    });
    this.on('secureConnection', (socket: TlsDuplex) => {
      if (socket.alpnProtocol === 'h2') {
        // node:http2 makes the session inside emit('connection'): remember which TLS connection it runs on.
        const onSession = (session: ServerHttp2Session): void => {
          this.#sockets.set(session, socket);
        };
        this.http2.once('session', onSession);
        this.http2.emit('connection', socket);
        this.http2.off('session', onSession);
      } else if (this.http1 !== undefined) this.http1.emit('connection', socket);
      else {
        // node:http2: a client that did not negotiate h2 is an 'unknownProtocol'; nobody listening closes it.
        if (!this.emit('unknownProtocol', socket)) socket.destroy();
      }
    });
  }

  /** Graceful stop of the HTTP side: GOAWAY on every HTTP/2 session, idle HTTP/1.1 connections closed. */
  closeSessions(): void {
    for (const s of this.#sessions) s.close();
    this.http1?.closeIdleConnections();
  }

  /**
   * The TLS connection a request came over: for HTTP/2 the one its session runs on (node:http2 wraps it, so
   * `req.socket` is not ours), for HTTP/1.1 the request's socket.
   */
  tlsSocketOf(req: Http2ServerRequest | IncomingMessage): TlsDuplex | undefined {
    if ('stream' in req) {
      const session = req.stream.session;
      return session === undefined ? undefined : this.#sockets.get(session as ServerHttp2Session);
    }
    return req.socket as unknown as TlsDuplex;
  }
}

/** node:http2 `createSecureServer`, over our TLS. */
export function createSecureHttp2Server(options?: Http2SecureServerOptions, onRequest?: Http2RequestListener): Http2SecureServer {
  return new Http2SecureServer(options, onRequest);
}

/**
 * node:http2's `connect` with our TLS underneath: `authority` is 'https://host:port'; `tls` are our client options
 * (ca, servername, …; ALPN is 'h2'); `options` are node:http2's session options.
 */
export function connectHttp2(
  authority: string | URL,
  tls: Omit<ConnectOptions, 'host' | 'port' | 'ALPNProtocols'> = {},
  options: SecureClientSessionOptions = {},
): ClientHttp2Session {
  const url = typeof authority === 'string' ? new URL(authority) : authority;
  return http2Connect(url, {
    ...options,
    createConnection: () =>
      connect({ ...tls, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port === '' ? 443 : url.port), ALPNProtocols: ['h2'] }),
  });
}
