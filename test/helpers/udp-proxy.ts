/**
 * A UDP impairment proxy for DTLS tests: one client (the first address that sends to it) and one server. Each
 * datagram, in either direction, may be dropped, duplicated or held back and delivered after later ones, decided by
 * a seeded generator (the same seed gives the same decisions for the same sequence of datagrams). The impairment
 * can be changed at any time (e.g. loss and reordering during the handshake, duplication only for bulk data, which
 * DTLS does not retransmit).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface UdpImpairment {
  /** Probability a datagram is dropped. */
  readonly loss: number;
  /** Probability a datagram is sent twice. */
  readonly duplicate: number;
  /** Probability a datagram is held and sent after the next one (or after `holdMs`). */
  readonly reorder: number;
}

export const NO_IMPAIRMENT: UdpImpairment = { loss: 0, duplicate: 0, reorder: 0 };

export interface UdpProxyStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class UdpProxy {
  readonly #front: Socket;
  readonly #back: Socket;
  readonly #rand: () => number;
  readonly #target: { host: string; port: number };
  #client: RemoteInfo | undefined;
  #imp: UdpImpairment;
  /** Per direction: a datagram held back for reordering, and its release timer. */
  readonly #held = new Map<'up' | 'down', { d: Buffer; timer: NodeJS.Timeout }>();
  readonly stats: UdpProxyStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  readonly holdMs: number;

  private constructor(front: Socket, back: Socket, target: { host: string; port: number }, imp: UdpImpairment, seed: number, holdMs: number) {
    this.#front = front;
    this.#back = back;
    this.#target = target;
    this.#imp = imp;
    this.#rand = seeded(seed);
    this.holdMs = holdMs;
    front.on('message', (d, r) => {
      this.#client ??= r;
      if (r.address === this.#client.address && r.port === this.#client.port) this.#pass('up', d);
    });
    back.on('message', (d) => this.#pass('down', d));
  }

  /** Start a proxy on 127.0.0.1 (random port) in front of `target`. */
  static async start(target: { host: string; port: number }, imp: UdpImpairment, seed: number, holdMs = 30): Promise<UdpProxy> {
    const front = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    const back = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((res, rej) => {
      front.once('error', rej);
      front.bind(0, '127.0.0.1', () => res());
    });
    await new Promise<void>((res, rej) => {
      back.once('error', rej);
      back.bind(0, '127.0.0.1', () => res());
    });
    return new UdpProxy(front, back, target, imp, seed, holdMs);
  }

  /** The port clients send to. */
  get port(): number {
    return this.#front.address().port;
  }

  set impairment(imp: UdpImpairment) {
    this.#imp = imp;
  }

  #send(dir: 'up' | 'down', d: Buffer): void {
    this.stats.forwarded++;
    if (dir === 'up') this.#back.send(d, this.#target.port, this.#target.host);
    else if (this.#client !== undefined) this.#front.send(d, this.#client.port, this.#client.address);
  }

  #pass(dir: 'up' | 'down', d: Buffer): void {
    const imp = this.#imp;
    if (this.#rand() < imp.loss) {
      this.stats.dropped++;
      return;
    }
    const copies = this.#rand() < imp.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const held = this.#held.get(dir);
    if (held === undefined && this.#rand() < imp.reorder) {
      this.stats.reordered++;
      const timer = setTimeout(() => {
        this.#held.delete(dir);
        for (let i = 0; i < copies; i++) this.#send(dir, d);
      }, this.holdMs);
      this.#held.set(dir, { d, timer });
      return;
    }
    for (let i = 0; i < copies; i++) this.#send(dir, d);
    // The held datagram goes after this one: the two arrive swapped.
    if (held !== undefined) {
      clearTimeout(held.timer);
      this.#held.delete(dir);
      this.#send(dir, held.d);
    }
  }

  async close(): Promise<void> {
    for (const h of this.#held.values()) clearTimeout(h.timer);
    this.#held.clear();
    await Promise.all([new Promise<void>((r) => this.#front.close(() => r())), new Promise<void>((r) => this.#back.close(() => r()))]);
  }
}
