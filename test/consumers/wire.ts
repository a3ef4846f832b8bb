/**
 * A TCP socket as the ported Schannel consumers read it: `recv(max)` hands out what the peer sent, either whole (all
 * that has arrived, up to `max`), one byte per call, or in random chunks (seeded, so a failure can be replayed). The
 * consumers' own buffering (curl's encdata, .NET's internal buffer, webserver.c's IoBuffer) sits on top, so the SSPI
 * functions see every split a real network can produce. Every wait is bounded.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';

/** How the peer's bytes are handed to the consumer. */
export type Delivery = 'whole' | 'byte' | 'random';

/** The three deliveries every consumer test runs with. */
export const DELIVERIES: readonly Delivery[] = ['whole', 'byte', 'random'];

/** Bound on a single wait for bytes. */
export const WIRE_TIMEOUT_MS = 15_000;

/** A small seeded PRNG (mulberry32): deterministic chunk sizes for 'random'. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Wire {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly rand: () => number;
  /** Bytes written to the peer. */
  sent = 0;

  readonly socket: Socket;
  readonly delivery: Delivery;

  constructor(socket: Socket, delivery: Delivery, seed = 1) {
    this.socket = socket;
    this.delivery = delivery;
    this.rand = prng(seed);
    socket.on('data', (d: Buffer) => {
      this.queue.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.queued += d.byteLength;
      this.wake?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', (e) => {
      this.failure ??= e;
      this.wake?.();
    });
  }

  /** Connect to 127.0.0.1:port. */
  static connect(port: number, delivery: Delivery, seed = 1): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`wire: connect to ${port} timed out`));
      }, WIRE_TIMEOUT_MS);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new Wire(s, delivery, seed));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Whether bytes are waiting. */
  get available(): number {
    return this.queued;
  }

  /** Whether the peer closed its side and everything was read. */
  get eof(): boolean {
    return this.ended && this.queued === 0;
  }

  /**
   * Up to `max` bytes as the delivery mode cuts them; an empty array at end of stream. Waits (bounded) when nothing
   * has arrived yet.
   */
  async recv(max: number): Promise<Uint8Array> {
    const deadline = Date.now() + WIRE_TIMEOUT_MS;
    while (this.queued === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return new Uint8Array(0);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('wire: nothing received before the timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    let n = Math.min(max, this.queued);
    if (this.delivery === 'byte') n = Math.min(n, 1);
    else if (this.delivery === 'random') n = Math.max(1, Math.min(n, 1 + Math.floor(this.rand() * 700)));
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const head = this.queue[0] as Uint8Array;
      const take = Math.min(head.length, n - o);
      out.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
    this.queued -= n;
    return out;
  }

  /** Write to the peer. */
  send(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.sent += bytes.length;
    this.socket.write(bytes);
  }

  /** Half-close. */
  end(): void {
    this.socket.end();
  }

  /** Close now. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** A listening socket on 127.0.0.1 handing out Wires. */
export interface WireServer {
  readonly port: number;
  accept(): Promise<Wire>;
  close(): Promise<void>;
}

/** Listen on a free port; each accepted connection becomes a Wire with `delivery`. */
export function listenWire(delivery: Delivery, seed = 1): Promise<WireServer> {
  const pending: Socket[] = [];
  const waiting: ((s: Socket) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    const w = waiting.shift();
    if (w !== undefined) w(s);
    else pending.push(s);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      let n = 0;
      resolve({
        port,
        accept: () =>
          new Promise<Wire>((res, rej) => {
            const s = pending.shift();
            if (s !== undefined) return res(new Wire(s, delivery, seed + n++));
            const t = setTimeout(() => rej(new Error('wire: no connection before the timeout')), WIRE_TIMEOUT_MS);
            waiting.push((sock) => {
              clearTimeout(t);
              res(new Wire(sock, delivery, seed + n++));
            });
          }),
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
