/**
 * PostgreSQL over our TLS: a Duplex for the `stream` option of `pg` (node-postgres), which then speaks the
 * PostgreSQL protocol with its own TLS off (`ssl: false`) while we do the TLS.
 *
 * `connect(port, host)` (what pg calls) opens TCP, sends SSLRequest (protocol §55.2.10: Int32 8, Int32 80877103),
 * reads the one-byte answer ('S' go on with TLS, 'N' no TLS: we fail closed), runs our TlsClient's handshake over the
 * socket, and emits 'connect' once it completes, so pg's startup message is the first thing sent inside TLS.
 * Bytes the server sends after 'S' and before our ClientHello are an attack (CVE-2021-23222: a man in the middle
 * injecting plaintext responses), so they fail the connection.
 *
 * `getPeerCertificate().raw` is the server certificate our connection received: pg hashes it for SCRAM-SHA-256-PLUS
 * (tls-server-end-point, RFC 5929; the same value as `connection.channelBinding('tls-server-end-point')`).
 */
import { Duplex } from 'node:stream';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { ConnectionInfo, TlsClient, TlsConnection } from '../src/index.js';

/** SSLRequest: length 8, then the code 1234 << 16 | 5679. */
const SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export interface PostgresTlsStreamOptions {
  /** Our TLS client (trust anchors, client certificate, versions). */
  readonly client: TlsClient;
  /** Name to send as SNI and check the certificate against (default: the host pg connects to). */
  readonly servername?: string;
}

/** The Duplex pg writes its protocol messages to; TLS records go over the TCP socket underneath. */
export class PostgresTlsStream extends Duplex {
  readonly #options: PostgresTlsStreamOptions;
  #socket: Socket | undefined;
  #conn: TlsConnection | undefined;
  #noDelay = true;
  /** The negotiated parameters, once the handshake completed. */
  info: ConnectionInfo | undefined;

  constructor(options: PostgresTlsStreamOptions) {
    super();
    this.#options = options;
  }

  /** The TLS connection (after 'connect'): for channelBinding(), exportKeyingMaterial(), info. */
  get connection(): TlsConnection | undefined {
    return this.#conn;
  }

  /** What pg calls first: open TCP, negotiate TLS, then emit 'connect'. */
  connect(port: number, host: string): this {
    const socket = tcpConnect({ port, host });
    this.#socket = socket;
    socket.setNoDelay(this.#noDelay);
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.on('data', (d: Buffer) => this.#onSocketData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), host));
    socket.on('end', () => {
      if (this.#conn?.isHandshakeComplete !== true) this.destroy(new Error('postgres: server closed the connection during TLS negotiation'));
      else this.#end(); // without close_notify: PostgreSQL's own Terminate message marks a clean end
    });
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
    return this;
  }

  #onSocketData(bytes: Uint8Array, host: string): void {
    try {
      if (this.#conn === undefined) {
        const answer = bytes[0];
        if (answer === 0x4e) throw new Error('postgres: the server does not accept SSL (answered N to SSLRequest)');
        if (answer !== 0x53) throw new Error(`postgres: unexpected answer 0x${(answer ?? 0).toString(16)} to SSLRequest`);
        if (bytes.length > 1) throw new Error('postgres: bytes after the SSLRequest answer, before TLS (CVE-2021-23222)');
        const conn = this.#options.client.connect(this.#options.servername ?? host);
        this.#conn = conn;
        conn.on('handshake', (info) => {
          this.info = info;
          // After receive() returns: pg writes its startup message from this event.
          process.nextTick(() => this.emit('connect'));
        });
        conn.on('data', (data) => {
          if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) this.#socket?.pause();
        });
        conn.on('close', () => this.#end());
        this.#flush();
        return;
      }
      this.#conn.receive(bytes);
      this.#flush();
    } catch (e) {
      this.#flush(); // the alert, if the TLS connection queued one
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #ended = false;

  /** End the readable side once (close_notify or TCP end, whichever comes first). */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.push(null);
  }

  #flush(cb?: (err?: Error | null) => void): void {
    const out = this.#conn?.takeOutput();
    const socket = this.#socket;
    if (out !== undefined && out.length > 0 && socket !== undefined && !socket.destroyed) socket.write(out, cb);
    else cb?.();
  }

  override _read(): void {
    this.#socket?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const conn = this.#conn;
    if (conn === undefined) {
      cb(new Error('postgres: write before the TLS connection exists'));
      return;
    }
    try {
      conn.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      cb(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#flush(cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#conn?.close();
    this.#flush(() => {
      this.#socket?.end();
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket?.destroy();
    cb(err);
  }

  /** net.Socket methods pg calls on its stream. */
  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#socket?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.#socket?.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.#socket?.ref();
    return this;
  }

  unref(): this {
    this.#socket?.unref();
    return this;
  }

  /** The server's certificate as received by our connection (pg reads `.raw` for tls-server-end-point). */
  getPeerCertificate(): { raw: Buffer } | Record<string, never> {
    const der = this.info?.peerCertificates[0];
    return der === undefined ? {} : { raw: Buffer.from(der) };
  }
}

/** pg's `stream` option: a factory, called for each connection pg opens. */
export function postgresTlsStream(options: PostgresTlsStreamOptions): () => PostgresTlsStream {
  return () => new PostgresTlsStream(options);
}
