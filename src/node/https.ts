/**
 * HTTPS on our TLS: node:http does the HTTP, our TlsDuplex the TLS.
 *
 * Server — http.Server's 'connection' event accepts any Duplex:
 * ```ts
 * const web = http.createServer((req, res) => res.end('hello'));
 * createServer({ key, cert, ALPNProtocols: ['http/1.1'] }, (tls) => web.emit('connection', tls)).listen(8443);
 * ```
 * works with any http.Server. {@link createHttpsServer} goes further, as node:https does: the TLS server is itself
 * the HTTP server (node:http's connection listener runs with it as its server), so `server.setTimeout`,
 * 'timeout', `closeIdleConnections`, `headersTimeout`… are https.Server's. Client — an https.Agent whose connections
 * are ours:
 * ```ts
 * https.get('https://localhost:8443/', { agent: new Agent({ ca }) }, (res) => res.pipe(process.stdout));
 * ```
 */
import { Server as HttpServer, type RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import { Agent as NodeHttpsAgent, type AgentOptions, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { TlsClient } from '../index.js';
import { connect } from './connect.js';
import { routedHooks, type TlsDuplex } from './duplex.js';
import { toClientOptions, type NodeClientOptions, type NodeServerOptions } from './options.js';
import { Server, type ServerOptions } from './server.js';

/**
 * node:http's own server machinery, which node:https applies to its tls.Server: the HTTP options, the per-connection
 * listener, and the connection tracking behind closeIdleConnections / headersTimeout / requestTimeout. These are
 * node:_http_server's exports (Node 18.?+; present in every Node 20 and 22).
 */
interface HttpServerMachinery {
  readonly storeHTTPOptions: (this: object, options: object) => void;
  readonly setupConnectionsTracking: (this: object) => void;
  readonly httpServerPreClose: (server: object) => void;
  readonly _connectionListener: (this: object, socket: Duplex) => void;
}
const machinery = createRequire(import.meta.url)('_http_server') as HttpServerMachinery;

/**
 * https.Server on our TLS: as node:https does with its tls.Server, this TLS server is itself the HTTP server —
 * node:http's connection listener runs on each secure connection with this object as its server, so its 'request',
 * 'timeout', 'clientError', 'upgrade'… events, timeouts (`timeout`, `headersTimeout`, `requestTimeout`,
 * `keepAliveTimeout`) and connection tracking (`closeIdleConnections`, `closeAllConnections`) are node:http's own.
 */
export class HttpsServer extends Server {
  /** node:http options (stored by node:http from the constructor's options). */
  declare timeout: number;
  declare headersTimeout: number;
  declare requestTimeout: number;
  declare keepAliveTimeout: number;
  declare maxHeadersCount: number | null;
  declare maxRequestsPerSocket: number | null;
  /** node:http: whether a request's socket may stay half-open. */
  declare httpAllowHalfOpen: boolean;

  /** `requestListener` is the http 'request' listener. ALPN defaults to ['http/1.1'] (unless ALPNCallback is given). */
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    if (typeof options === 'function') {
      requestListener = options;
      options = {};
    }
    options ??= {};
    const alpnDefault = options.ALPNProtocols === undefined && options.ALPNCallback === undefined ? { ALPNProtocols: ['http/1.1'] } : {};
    // tls.Server keeps the ALPN list in wire form (`ALPNProtocols`), as node:tls does.
    super({ ...alpnDefault, ...options });
    // node:http takes its own options (IncomingMessage, ServerResponse, timeouts, maxHeaderSize…) from the same
    // object, as https.createServer does, and ignores the TLS ones.
    machinery.storeHTTPOptions.call(this, options);
    this.httpAllowHalfOpen = false;
    if (requestListener !== undefined) this.on('request', requestListener);
    // node:https: a connection that fails before the handshake is a 'clientError' when someone listens.
    this.on('tlsClientError', (err: Error, conn: TlsDuplex) => {
      if (!this.emit('clientError', err, conn)) conn.destroy(err);
    });
    this.timeout = 0;
    this.maxHeadersCount = null;
    this.on('listening', machinery.setupConnectionsTracking);
    this.on('secureConnection', (socket: TlsDuplex) => machinery._connectionListener.call(this, socket));
  }

  /** Itself: the node:http server handling requests (kept for callers of the earlier separate-server design). */
  get http(): this {
    return this;
  }

  /** https.Server: stop accepting, and close idle keep-alive connections (as node:http's close does). */
  override close(cb?: (err?: Error) => void): this {
    machinery.httpServerPreClose(this);
    super.close(cb);
    return this;
  }
  /** https.Server: `close()` as a promise (`await using`). */
  override async [Symbol.asyncDispose](): Promise<void> {
    await new Promise<void>((resolve, reject) => this.close((err) => (err === undefined ? resolve() : reject(err))));
  }
  /** https.Server: destroy every connection. */
  closeAllConnections(): void {
    HttpServer.prototype.closeAllConnections.call(this as unknown as HttpServer);
  }
  /** https.Server: close connections with no request in flight. */
  closeIdleConnections(): void {
    HttpServer.prototype.closeIdleConnections.call(this as unknown as HttpServer);
  }
  /** https.Server: socket inactivity timeout; `cb` listens to 'timeout'. */
  setTimeout(ms?: number, cb?: (socket: Duplex) => void): this {
    this.timeout = ms ?? 0;
    if (cb !== undefined) this.on('timeout', cb);
    return this;
  }
}

/** An HTTPS server: node:http over our TLS. Call `.listen(port)` on the result. */
export function createHttpsServer(options?: NodeServerOptions | RequestListener, requestListener?: RequestListener): HttpsServer {
  return new HttpsServer(options, requestListener);
}

/** Options of {@link Agent}: https.Agent's (keepAlive, maxSockets, …) plus our TLS client options. */
export type HttpsAgentOptions = AgentOptions & Omit<NodeClientOptions, 'host' | 'port' | 'socket' | 'session'>;

/**
 * An https.Agent whose connections run our TLS engine: pass it as `agent` to https.request/https.get. One TlsClient
 * per agent, so its ticket cache resumes sessions across connections.
 */
export class Agent extends NodeHttpsAgent {
  readonly #tls: Omit<NodeClientOptions, 'host' | 'port' | 'socket' | 'session'>;
  readonly #client: TlsClient;

  /** https.Agent options plus TLS options (ca, servername, ALPNProtocols, key/cert, min/maxVersion, …). */
  constructor(options: HttpsAgentOptions = {}) {
    super(options);
    const { ca, servername, ALPNProtocols, key, cert, minVersion, maxVersion, ciphers, ecdhCurve, rejectUnauthorized, provider, trace } =
      options;
    const tls: { -readonly [K in keyof NodeClientOptions]: NodeClientOptions[K] } = { ALPNProtocols: ALPNProtocols ?? ['http/1.1'] };
    if (ca !== undefined) tls.ca = ca;
    if (servername !== undefined) tls.servername = servername;
    if (key !== undefined) tls.key = key;
    if (cert !== undefined) tls.cert = cert;
    if (minVersion !== undefined) tls.minVersion = minVersion;
    if (maxVersion !== undefined) tls.maxVersion = maxVersion;
    if (ciphers !== undefined) tls.ciphers = ciphers;
    if (ecdhCurve !== undefined) tls.ecdhCurve = ecdhCurve;
    if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
    if (provider !== undefined) tls.provider = provider;
    if (trace !== undefined) tls.trace = trace;
    this.#tls = tls;
    this.#client = new TlsClient(toClientOptions({ ...tls, servername: servername ?? 'localhost' }, routedHooks));
  }

  /** Called by node:http for each new connection: ours, over TCP to the request's host and port. */
  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const host = options.host ?? options.hostname ?? 'localhost';
    const servername = this.#tls.servername ?? (options.servername || host);
    // The shared TlsClient was built for one servername; another name gets its own client.
    const sameName = servername === (this.#tls.servername ?? 'localhost');
    const socket = connect({
      ...this.#tls,
      host,
      port: Number(options.port ?? 443),
      servername,
      ...(sameName ? { client: this.#client } : {}),
    });
    // node:http's Agent uses the returned socket itself (the callback is only for asynchronous creation).
    void callback;
    return socket;
  }
}
