/**
 * Node's tls over memory: `new tls.TLSSocket(end, { isServer: true, secureContext })` on one end of an in-memory
 * stream.Duplex pair and `tls.connect({ socket: otherEnd, secureContext })` on the other (no sockets). Also the
 * mixed pairs (Node server + our client, our server + Node client) that give Node's server-side and client-side
 * cost separately: the pair's wall time minus the time measured inside our side.
 */
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { TlsConnection } from '../src/index.js';
import type { BenchCert } from './certs.js';
import type { OursPair, SideTimes } from './ours.js';

/** A minimal in-memory Duplex pair: what one end writes, the other reads (no backpressure beyond Node's own). */
class MemEnd extends Duplex {
  other: MemEnd | undefined;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.other?.push(chunk);
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    for (const c of chunks) this.other?.push(c.chunk);
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.other?.push(null);
    cb();
  }
  override _read(): void {}
}

export function memPair(): [Duplex, Duplex] {
  const a = new MemEnd();
  const b = new MemEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}

export interface NodeContexts {
  readonly server: tls.SecureContext;
  readonly client: tls.SecureContext;
}

export function nodeContexts(cert: BenchCert, version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3', ciphers?: string): NodeContexts {
  const v = { minVersion: version, maxVersion: version } as const;
  const c = ciphers !== undefined ? (version === 'TLSv1.3' ? { ciphersuites: ciphers } : { ciphers }) : {};
  return {
    server: tls.createSecureContext({ ...v, ...c, cert: cert.cert, key: cert.key, ecdhCurve: 'X25519' }),
    // TLS 1.2: OpenSSL uses an ECDSA P-256 certificate only if the client lists P-256 among its groups; the server
    // still picks x25519 (its only group).
    client: tls.createSecureContext({ ...v, ...c, ca: cert.ca, ecdhCurve: version === 'TLSv1.2' ? 'X25519:P-256' : 'X25519' }),
  };
}

export interface NodeConn {
  readonly server: tls.TLSSocket;
  readonly client: tls.TLSSocket;
  session: Buffer | undefined;
}

/**
 * One Node-to-Node handshake. Resolves when both sides are secure and the client has its `tickets` session
 * tickets (TLS 1.3 sends them after the handshake; our loop processes them too).
 */
export function nodeHandshake(ctx: NodeContexts, tickets = 2, session?: Buffer): Promise<NodeConn> {
  return new Promise((resolve, reject) => {
    const [a, b] = memPair();
    const server = new tls.TLSSocket(a, { isServer: true, secureContext: ctx.server });
    const client = tls.connect({ socket: b, secureContext: ctx.client, servername: 'localhost', ...(session !== undefined ? { session } : {}) });
    const conn: NodeConn = { server, client, session: undefined };
    let pending = 2 + tickets;
    const done = (): void => {
      if (--pending === 0) resolve(conn);
    };
    server.once('secure', done);
    client.once('secureConnect', done);
    if (tickets > 0) {
      client.on('session', (s: Buffer) => {
        conn.session = s;
        done();
      });
    }
    server.on('error', reject);
    client.on('error', reject);
  });
}

export function destroyNode(c: { server: Duplex; client: Duplex }): void {
  c.server.destroy();
  c.client.destroy();
}

/**
 * A Duplex that is "the network" to one of our TlsConnections: bytes Node writes go into `conn.receive`, our output
 * is pushed for Node to read. Time inside our calls is added to `t` (as server or client time).
 */
class OursEnd extends Duplex {
  readonly conn: TlsConnection;
  readonly #t: SideTimes | undefined;
  readonly #side: 'server' | 'client';
  constructor(conn: TlsConnection, side: 'server' | 'client', t?: SideTimes) {
    super();
    this.conn = conn;
    this.#t = t;
    this.#side = side;
  }
  flush(): void {
    const t0 = process.hrtime.bigint();
    const o = this.conn.takeOutput();
    this.#add(process.hrtime.bigint() - t0);
    if (o.length > 0) this.push(o);
  }
  #add(ns: bigint): void {
    if (this.#t !== undefined) this.#t[this.#side] += ns;
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    const t0 = process.hrtime.bigint();
    try {
      this.conn.receive(chunk);
    } catch (e) {
      cb(e as Error);
      return;
    }
    this.#add(process.hrtime.bigint() - t0);
    this.flush();
    cb();
  }
  override _read(): void {}
}

/** Node's TLSSocket as server, our TlsClient as client; resolves when both are done (client has its tickets). */
export function mixedNodeServer(ctx: NodeContexts, ours: OursPair, t: SideTimes, tickets = 2): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = ours.client.connect();
    t.client += process.hrtime.bigint() - t0;
    const end = new OursEnd(c, 'client', t);
    const server = new tls.TLSSocket(end, { isServer: true, secureContext: ctx.server });
    let pending = 2 + tickets;
    const done = (): void => {
      if (--pending === 0) resolve(() => server.destroy());
    };
    server.once('secure', done);
    c.on('handshake', done);
    c.on('session', done);
    server.on('error', reject);
    c.on('error', reject);
    end.flush();
  });
}

/** Our TlsServer as server, Node's tls.connect as client. */
export function mixedNodeClient(ctx: NodeContexts, ours: OursPair, t: SideTimes, tickets = 2): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = ours.server.accept();
    t.server += process.hrtime.bigint() - t0;
    const end = new OursEnd(s, 'server', t);
    const client = tls.connect({ socket: end, secureContext: ctx.client, servername: 'localhost' });
    let pending = 2 + tickets;
    const done = (): void => {
      if (--pending === 0) resolve(() => client.destroy());
    };
    s.on('handshake', done);
    client.once('secureConnect', done);
    client.on('session', done);
    client.on('error', reject);
    s.on('error', reject);
  });
}
