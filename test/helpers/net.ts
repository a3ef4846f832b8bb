/**
 * A tiny pump between a node:net socket and a sans-IO TLS connection of the idiomatic API:
 * socket data → conn.receive → socket.write(conn.takeOutput()). Interop tests drive our TlsServer/TlsClient with it.
 * Every wait is bounded; failures carry what the pump saw.
 */
import { createHash, type Hash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionInfo, TlsConnection } from '../../src/index.js';
import { annotate, type Peer } from './peers.js';

/** The connection type the pump drives (the idiomatic API's TlsConnection). */
export type PumpConnection = TlsConnection;

/** What the handshake event carries. */
export type HandshakeInfo = ConnectionInfo;

/** Pump behaviour. */
export interface PumpOptions {
  /** Keep received plaintext (for `received()`); off for big transfers, which are hashed anyway. */
  readonly keepData?: boolean;
  /** Echo received plaintext back (our server against client peers that expect an echo, e.g. Java). */
  readonly echo?: boolean;
  /** Answer the peer's close_notify with ours. */
  readonly closeOnPeerClose?: boolean;
  /** Called for each plaintext chunk, after it was counted. */
  readonly onData?: (pump: Pump, data: Uint8Array) => void;
}

export const DEFAULT_WAIT_MS = 15_000;

/** `p`, or a rejection naming `what` once `ms` have passed (the timer is cleared either way). */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The deterministic payload byte[i] = i % 251 (the same as test/interop/Peer.java). */
export function pattern(length: number, offset = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (offset + i) % 251;
  return out;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One socket ↔ connection pump. */
export class Pump {
  readonly socket: Socket;
  readonly conn: PumpConnection;
  /** Plaintext received, in order (kept only while `keepData` is set). */
  readonly chunks: Uint8Array[] = [];
  receivedBytes = 0;
  info: HandshakeInfo | undefined;
  /** The peer sent close_notify. */
  peerClosed = false;
  /** The TCP connection ended (FIN or close). */
  socketEnded = false;
  /** The first error thrown by `receive` (a TlsError), or a socket error. */
  error: unknown;
  readonly keyUpdates: boolean[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly waiters = new Set<() => void>();

  readonly options: PumpOptions;
  /** NSS key-log lines (the array the connection's `keyLog` option pushes to), written out on failure. */
  readonly keyLog: string[];

  constructor(socket: Socket, conn: PumpConnection, options: PumpOptions = {}, keyLog: string[] = []) {
    this.options = options;
    this.keyLog = keyLog;
    this.socket = socket;
    this.conn = conn;
    conn.on('handshake', (info) => {
      this.info = info;
      this.notify();
    });
    conn.on('data', (b) => {
      this.receivedBytes += b.length;
      this.hash.update(b);
      if (this.options.keepData === true) this.chunks.push(b.slice());
      if (this.options.echo === true) this.write(b);
      this.options.onData?.(this, b);
      this.notify();
    });
    conn.on('close', () => {
      this.peerClosed = true;
      if (this.options.closeOnPeerClose === true) this.close();
      this.notify();
    });
    conn.on('keyUpdate', (requested) => {
      this.keyUpdates.push(requested);
      this.notify();
    });
    socket.on('data', (d: Buffer) => {
      if (this.error !== undefined) return;
      try {
        this.conn.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      } catch (e) {
        this.error = e;
        this.flush(); // the alert
        socket.end();
      }
      this.flush();
      this.notify();
    });
    socket.on('end', () => {
      this.socketEnded = true;
      this.notify();
    });
    socket.on('close', () => {
      this.socketEnded = true;
      this.notify();
    });
    socket.on('error', (e) => {
      this.error ??= e;
      this.notify();
    });
  }

  /** Send whatever the connection has queued. */
  flush(): void {
    let out: Uint8Array;
    try {
      out = this.conn.takeOutput();
    } catch (e) {
      this.error ??= e;
      return;
    }
    if (out.length > 0 && !this.socket.destroyed) this.socket.write(out);
  }

  write(data: Uint8Array): void {
    this.conn.write(data);
    this.flush();
  }

  /** Write `total` bytes of `pattern` in pieces of `chunk` bytes. */
  writePattern(total: number, chunk = 65536): void {
    for (let off = 0; off < total; off += chunk) this.write(pattern(Math.min(chunk, total - off), off));
  }

  updateKeys(requestPeer: boolean): void {
    this.conn.updateKeys(requestPeer);
    this.flush();
  }

  /** Queue close_notify and send it (the socket stays open to read the peer's close_notify). */
  close(): void {
    this.conn.close();
    this.flush();
  }

  /** SHA-256 (hex) of all plaintext received so far (consumes the running hash: call once at the end). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  received(): Uint8Array {
    const out = new Uint8Array(this.receivedBytes);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  receivedText(): string {
    return new TextDecoder().decode(this.received());
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Wait (bounded) until `predicate()` holds. Rejects on a receive error or, unless `allowEnd`, when the socket ends
   * first.
   */
  until(what: string, predicate: () => boolean, timeoutMs = DEFAULT_WAIT_MS, allowEnd = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          done();
          resolve();
        } else if (this.error !== undefined) {
          done();
          reject(this.failure(`while waiting for ${what}`));
        } else if (this.socketEnded && !allowEnd) {
          done();
          reject(this.failure(`socket ended while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(this.failure(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async handshake(timeoutMs = DEFAULT_WAIT_MS): Promise<HandshakeInfo> {
    await this.until('handshake', () => this.info !== undefined, timeoutMs);
    return this.info as HandshakeInfo;
  }

  bytes(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until(`${n} bytes (have ${this.receivedBytes})`, () => this.receivedBytes >= n, timeoutMs);
  }

  text(re: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until(`text ${re}`, () => re.test(this.receivedText()), timeoutMs);
  }

  peerClose(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until('close_notify from the peer', () => this.peerClosed, timeoutMs);
  }

  ended(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.until('socket end', () => this.socketEnded, timeoutMs, true);
  }

  /** Write the collected NSS key log to a temp file and return its path (DESIGN.md C.12 item 7). */
  writeKeyLog(): string | undefined {
    if (this.keyLog.length === 0) return undefined;
    const path = join(mkdtempSync(join(tmpdir(), 'sspi-tls-keylog-')), 'keylog.txt');
    writeFileSync(path, this.keyLog.join('\n') + '\n');
    return path;
  }

  private failure(message: string): Error {
    const err = this.error;
    const detail =
      err === undefined
        ? ''
        : `: ${err instanceof Error ? `${err.name}: ${err.message} ${JSON.stringify(pick(err))}` : String(err)}`;
    return new Error(
      `pump: ${message}${detail} (received ${this.receivedBytes} bytes, handshake ${this.info ? 'done' : 'not done'}, ` +
        `peerClosed ${this.peerClosed}, socketEnded ${this.socketEnded})`,
      { cause: err },
    );
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function pick(e: object): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of ['kind', 'reason', 'alert', 'code']) {
    if (k in e) r[k] = (e as Record<string, unknown>)[k];
  }
  return r;
}

/** Our server on 127.0.0.1:0: each accepted socket gets `makeConn()` and a Pump. */
export interface PumpServer {
  readonly server: Server;
  readonly port: number;
  readonly pumps: Pump[];
  /** The next (or an already accepted, not yet taken) connection, bounded. */
  next(timeoutMs?: number): Promise<Pump>;
  close(): Promise<void>;
}

export async function listenPump(makeConn: () => PumpConnection, options: PumpOptions = {}, keyLog: string[] = []): Promise<PumpServer> {
  const pumps: Pump[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    pumps.push(new Pump(socket, makeConn(), options, keyLog));
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    server,
    port,
    pumps,
    next: (timeoutMs = DEFAULT_WAIT_MS) =>
      new Promise<Pump>((resolve, reject) => {
        const check = (): void => {
          const p = pumps[taken];
          if (p) {
            taken++;
            clearTimeout(timer);
            waiters.delete(check);
            resolve(p);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`listenPump: no connection within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pumps) p.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connect our client connection to 127.0.0.1:port and send its first flight. */
export function connectPump(
  port: number,
  conn: PumpConnection,
  options: PumpOptions = {},
  keyLog: string[] = [],
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Pump> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connectPump: no TCP connection to 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const pump = new Pump(socket, conn, options, keyLog);
    socket.once('connect', () => {
      clearTimeout(timer);
      pump.flush();
      resolve(pump);
    });
  });
}

/**
 * Run one interop test with its peers, pump servers and pumps: all stopped in `finally`, and the peers' last output
 * attached to a failure.
 */
export async function scope(fn: (s: { peers: Peer[]; servers: PumpServer[]; pumps: Pump[] }) => Promise<void>): Promise<void> {
  const s = { peers: [] as Peer[], servers: [] as PumpServer[], pumps: [] as Pump[] };
  try {
    await fn(s);
  } catch (e) {
    throw annotate(e, s.peers);
  } finally {
    for (const p of s.peers) await p.stop();
    for (const p of s.pumps) p.destroy();
    for (const v of s.servers) await v.close();
  }
}
