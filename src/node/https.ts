/**
 * HTTPS on our TLS: node:http does the HTTP, our TlsDuplex the TLS.
 *
 * Server — http.Server's 'connection' event accepts any Duplex:
 * ```ts
 * const web = http.createServer((req, res) => res.end('hello'));
 * createServer({ key, cert, ALPNProtocols: ['http/1.1'] }, (tls) => web.emit('connection', tls)).listen(8443);
 * ```
 * ({@link createHttpsServer} is exactly that.) Client — an https.Agent whose connections are ours:
 * ```ts
 * https.get('https://localhost:8443/', { agent: new Agent({ ca }) }, (res) => res.pipe(process.stdout));
 * ```
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer, type ServerOptions as HttpServerOptions } from 'node:http';
import { Agent as NodeHttpsAgent, type AgentOptions, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { TlsClient } from '../index.js';
import { connect } from './connect.js';
import { routedHooks, type TlsDuplex } from './duplex.js';
import { toClientOptions, type NodeClientOptions, type NodeServerOptions } from './options.js';
import { Server, type ServerOptions } from './server.js';

/** A TLS server whose secure connections are served by a node:http server. */
export class HttpsServer extends Server {
  /** The node:http server handling requests (its 'request' event, timeouts, keep-alive). */
  readonly http: HttpServer;
  /** The ALPN protocols offered, in wire form (node:tls.Server `ALPNProtocols`). */
  readonly ALPNProtocols: Buffer;

  /** `requestListener` is the http 'request' listener. ALPN defaults to ['http/1.1']. */
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    if (typeof options === 'function') {
      requestListener = options;
      options = {};
    }
    const withAlpn: ServerOptions = { ALPNProtocols: ['http/1.1'], ...options };
    super(withAlpn);
    // node:tls.Server keeps its ALPN list in wire form (tls.convertALPNProtocols): length-prefixed names.
    this.ALPNProtocols = Buffer.concat((withAlpn.ALPNProtocols ?? []).map((p) => {
      const name = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
      return Buffer.concat([Buffer.from([name.length]), name]);
    }));
    // node:http takes its own options (IncomingMessage, ServerResponse, timeouts, maxHeaderSize…) from the same
    // object, as https.createServer does, and ignores the TLS ones.
    const web = createHttpServer(options as HttpServerOptions);
    this.http = web;
    if (requestListener !== undefined) this.on('request', requestListener);
    for (const ev of ['request', 'checkContinue', 'checkExpectation', 'clientError', 'upgrade', 'connect', 'dropRequest']) {
      web.on(ev, (...args: unknown[]) => {
        // node:http answers checkContinue/clientError itself only when nobody listens: keep that.
        if (!this.emit(ev, ...args) && ev === 'clientError') (args[1] as Duplex).destroy();
      });
    }
    this.on('secureConnection', (socket: TlsDuplex) => web.emit('connection', socket));
  }

  /** https.Server: stop accepting, and close idle keep-alive connections (as node:http's close does). */
  override close(cb?: (err?: Error) => void): this {
    super.close(cb);
    this.http.closeIdleConnections();
    return this;
  }
  /** https.Server: destroy every connection. */
  closeAllConnections(): void {
    this.http.closeAllConnections();
  }
  /** https.Server: close connections with no request in flight. */
  closeIdleConnections(): void {
    this.http.closeIdleConnections();
  }
  /** https.Server: socket inactivity timeout. */
  setTimeout(ms?: number, cb?: () => void): this {
    this.http.setTimeout(ms, cb);
    return this;
  }
  /** https.Server timeouts and limits, forwarded to node:http. */
  get timeout(): number {
    return this.http.timeout;
  }
  set timeout(v: number) {
    this.http.timeout = v;
  }
  get headersTimeout(): number {
    return this.http.headersTimeout;
  }
  set headersTimeout(v: number) {
    this.http.headersTimeout = v;
  }
  get requestTimeout(): number {
    return this.http.requestTimeout;
  }
  set requestTimeout(v: number) {
    this.http.requestTimeout = v;
  }
  get keepAliveTimeout(): number {
    return this.http.keepAliveTimeout;
  }
  set keepAliveTimeout(v: number) {
    this.http.keepAliveTimeout = v;
  }
  get maxHeadersCount(): number | null {
    return this.http.maxHeadersCount;
  }
  set maxHeadersCount(v: number | null) {
    this.http.maxHeadersCount = v;
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
