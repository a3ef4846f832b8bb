/**
 * A virtual datagram network for DTLS 1.3 tests: one client connection, one listener (and the server connection it
 * makes), a virtual clock, and impairment (loss, duplication, reordering) from a seeded PRNG. Sans-IO all the way:
 * no sockets, no real timers, so a pattern replays exactly and a long retransmission backoff costs no wall time.
 */
import { prepareClientConfig, prepareServerConfig } from '../../src/engine/config.js';
import { Dtls13Connection, type Dtls13Options } from '../../src/dtls/v13/connection.js';
import { Dtls13Listener } from '../../src/dtls/v13/listener.js';
import type { ClientOptions, ServerOptions } from '../../src/vocabulary/options.js';
import { fixedIdentities } from '../helpers/fixed-identity.js';

/** xorshift32: deterministic, good enough to pick drops and orders. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s / 0x100000000;
  }
}

export interface Impairment {
  readonly loss?: number;
  readonly duplicate?: number;
  /** Probability that the datagrams in flight are delivered in a shuffled order. */
  readonly reorder?: number;
  readonly seed?: number;
  /** Decide a drop per datagram (after `loss`); index counts every datagram sent, both ways. */
  readonly drop?: (index: number, from: 'client' | 'server', datagram: Uint8Array) => boolean;
}

interface InFlight {
  readonly to: 'client' | 'server';
  readonly data: Uint8Array;
}

const ids = fixedIdentities();

export function serverOptions(extra: Partial<ServerOptions> = {}): ServerOptions {
  return { certificates: [{ cert: [ids.server.certDer], key: ids.server.keyDer }], ...extra };
}

export function clientOptions(extra: Partial<ClientOptions> = {}): ClientOptions {
  return { servername: 'golden.test', ca: [ids.root.certDer], minVersion: 'TLSv1.3', ...extra };
}

/** A client, a listener and the wire between them. */
export class Network {
  now = 1_000_000;
  readonly client: Dtls13Connection;
  readonly listener: Dtls13Listener;
  server: Dtls13Connection | undefined;
  readonly #rng: Prng;
  readonly #imp: Impairment;
  #wire: InFlight[] = [];
  #sent = 0;
  /** Datagrams sent each way, and dropped. */
  readonly stats = { client: 0, server: 0, dropped: 0, bytes: 0 };
  readonly address = '127.0.0.1:40000';

  constructor(imp: Impairment = {}, opts: { client?: Partial<ClientOptions>; server?: Partial<ServerOptions>; dtls?: Dtls13Options } = {}) {
    this.#rng = new Prng(imp.seed ?? 1);
    this.#imp = imp;
    const clock = (): number => this.now;
    this.client = Dtls13Connection.client(prepareClientConfig(clientOptions(opts.client)), { clock, ...opts.dtls });
    this.listener = new Dtls13Listener(prepareServerConfig(serverOptions(opts.server)), { clock, ...opts.dtls });
    this.collect();
  }

  #send(from: 'client' | 'server', data: Uint8Array): void {
    const index = this.#sent++;
    this.stats[from]++;
    this.stats.bytes += data.length;
    const to = from === 'client' ? 'server' : 'client';
    if (this.#rng.next() < (this.#imp.loss ?? 0) || this.#imp.drop?.(index, from, data) === true) {
      this.stats.dropped++;
      return;
    }
    this.#wire.push({ to, data });
    if (this.#rng.next() < (this.#imp.duplicate ?? 0)) this.#wire.push({ to, data: data.slice() });
  }

  /** Move what both sides produced onto the wire. */
  collect(): void {
    for (const d of this.client.takeDatagrams()) this.#send('client', d);
    if (this.server !== undefined) for (const d of this.server.takeDatagrams()) this.#send('server', d);
  }

  /** Deliver everything in flight (maybe shuffled); returns how many datagrams were delivered. */
  deliver(): number {
    const batch = this.#wire;
    this.#wire = [];
    if (this.#rng.next() < (this.#imp.reorder ?? 0)) {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(this.#rng.next() * (i + 1));
        [batch[i], batch[j]] = [batch[j] as InFlight, batch[i] as InFlight];
      }
    }
    for (const d of batch) {
      if (d.to === 'client') {
        this.client.receive(d.data);
      } else if (this.server !== undefined) {
        this.server.receive(d.data);
      } else {
        const r = this.listener.accept(d.data, this.address);
        for (const x of r.reply) this.#send('server', x);
        if (r.connection !== undefined) this.server = r.connection;
      }
      this.collect();
    }
    return batch.length;
  }

  /** Nothing in flight: jump the clock to the earliest timer and fire it; false when no timer is armed. */
  tick(): boolean {
    const times = [this.client.nextTimeout(), this.server?.nextTimeout() ?? null].filter((t): t is number => t !== null);
    if (times.length === 0) return false;
    this.now = Math.max(this.now, Math.min(...times));
    this.client.handleTimeout();
    this.server?.handleTimeout();
    this.collect();
    return true;
  }

  /** Run until `done()` or a side fails or nothing more can happen; bounded by `maxSteps`. */
  run(done: () => boolean, maxSteps = 100_000): void {
    for (let i = 0; i < maxSteps; i++) {
      if (done() || this.client.failed !== undefined || this.server?.failed !== undefined) return;
      if (this.deliver() > 0) continue;
      if (!this.tick()) return;
    }
  }

  /** After a failure: let the other side run its timers out (delivering as it goes); bounded. */
  drain(maxSteps = 10_000): void {
    for (let i = 0; i < maxSteps; i++) {
      if (this.deliver() > 0) continue;
      if (!this.tick()) return;
    }
  }

  /** Run the handshake to the end (both established, nothing left to retransmit) or failure. */
  handshake(): void {
    this.run(() => this.client.isEstablished && this.server?.isEstablished === true && this.client.nextTimeout() === null && this.server.nextTimeout() === null);
  }
}

/**
 * Move `bytes` each way over the connections with a small selective-repeat protocol on top (DTLS does not
 * retransmit application data): chunks carry a 4-byte index, every chunk received is acknowledged, unacknowledged
 * chunks are sent again when the clock jumps. Returns what each side received, in order.
 */
export function transfer(net: Network, clientToServer: Uint8Array, serverToClient: Uint8Array, chunk = 1000, window = 32): { atServer: Uint8Array; atClient: Uint8Array } {
  const server = net.server;
  if (server === undefined) throw new Error('no server connection');
  const ends = [
    { conn: net.client, out: clientToServer, got: new Map<number, Uint8Array>() },
    { conn: server, out: serverToClient, got: new Map<number, Uint8Array>() },
  ];
  const state = ends.map((e) => ({ total: Math.ceil(e.out.length / chunk), acked: new Set<number>(), next: 0, sentAt: new Map<number, number>() }));
  const send = (i: number, idx: number): void => {
    const e = ends[i];
    if (e === undefined) return;
    const body = e.out.subarray(idx * chunk, Math.min(e.out.length, (idx + 1) * chunk));
    const msg = new Uint8Array(5 + body.length);
    msg[0] = 0;
    new DataView(msg.buffer).setUint32(1, idx);
    msg.set(body, 5);
    e.conn.send(msg);
    state[i]?.sentAt.set(idx, net.now);
  };
  const done = (): boolean => state.every((s, i) => s.acked.size === s.total && (ends[1 - i]?.got.size ?? 0) === (state[1 - i]?.total ?? 0));
  for (let round = 0; round < 100_000 && !done(); round++) {
    if (net.client.failed !== undefined || server.failed !== undefined) throw net.client.failed ?? server.failed;
    for (let i = 0; i < 2; i++) {
      const s = state[i];
      if (s === undefined) continue;
      // Keep `window` chunks outstanding; resend those unacknowledged for a while.
      const outstanding = [...s.sentAt.keys()].filter((k) => !s.acked.has(k));
      for (const k of outstanding) if (net.now - (s.sentAt.get(k) ?? 0) >= 200) send(i, k);
      for (let n = outstanding.length; s.next < s.total && n < window; n++) send(i, s.next++);
    }
    net.collect();
    net.deliver();
    for (let i = 0; i < 2; i++) {
      const e = ends[i];
      const s = state[i];
      if (e === undefined || s === undefined) continue;
      for (const d of e.conn.takeApplicationData()) {
        const idx = new DataView(d.buffer, d.byteOffset).getUint32(1);
        if (d[0] === 0) {
          e.got.set(idx, d.subarray(5));
          const ack = new Uint8Array(5);
          ack[0] = 1;
          new DataView(ack.buffer).setUint32(1, idx);
          e.conn.send(ack);
        } else {
          s.acked.add(idx);
        }
      }
    }
    net.collect();
    net.now += 50;
    net.client.handleTimeout();
    server.handleTimeout();
  }
  if (!done()) throw new Error('transfer did not finish');
  const join = (m: Map<number, Uint8Array>, total: number): Uint8Array => {
    const parts = Array.from({ length: total }, (_, k) => m.get(k) ?? new Uint8Array(0));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return { atServer: join(ends[1]?.got ?? new Map(), state[0]?.total ?? 0), atClient: join(ends[0]?.got ?? new Map(), state[1]?.total ?? 0) };
}
