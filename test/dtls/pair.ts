/**
 * DTLS engine pairs moved by hand, with an impairment between them (loss, reordering, duplication from a seeded
 * random source) and a virtual clock that jumps to the next timer, so retransmission runs without waiting.
 */
import { DtlsEngine, prepareDtlsClientConfig, prepareDtlsServerConfig, type DtlsOptions } from '../../src/dtls/index.js';
import type { ClientOptions, ServerOptions } from '../../src/vocabulary/options.js';
import { pairOptions } from '../helpers/pair.js';

/** A small seeded generator (mulberry32): impairment patterns that repeat from their seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Impairment {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
}

export const NONE: Impairment = { loss: 0, duplicate: 0, reorder: 0 };

export interface DtlsPair {
  readonly client: DtlsEngine;
  readonly server: DtlsEngine;
}

export async function dtlsPair(
  serverOpts: Partial<ServerOptions> = {},
  clientOpts: ClientOptions = {},
  dtls: { client?: DtlsOptions; server?: DtlsOptions } = {},
  seed = 'dtls',
): Promise<DtlsPair> {
  const o = await pairOptions(serverOpts, clientOpts, { seed });
  const server = new DtlsEngine(prepareDtlsServerConfig(o.server), { peer: new Uint8Array([1, 2, 3, 4]), ...dtls.server });
  const client = new DtlsEngine(prepareDtlsClientConfig(o.client), dtls.client);
  return { client, server };
}

/** A network between the two: queued datagrams per direction, delivered with the impairment applied. */
export class Link {
  readonly toServer: Uint8Array[] = [];
  readonly toClient: Uint8Array[] = [];
  readonly #rand: () => number;
  readonly #imp: Impairment;
  delivered = 0;
  constructor(imp: Impairment, seed: number) {
    this.#imp = imp;
    this.#rand = seeded(seed);
  }
  send(queue: Uint8Array[], datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) {
      if (this.#rand() < this.#imp.loss) continue;
      const copies = this.#rand() < this.#imp.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        if (queue.length > 0 && this.#rand() < this.#imp.reorder) queue.splice(Math.floor(this.#rand() * queue.length), 0, d);
        else queue.push(d);
      }
    }
  }
}

/**
 * Run the handshake to completion (both established) or until `maxSteps`; time advances to the earliest timer
 * whenever nothing is in flight. Returns the virtual time used. Throws what an engine throws.
 */
export function runHandshake(p: DtlsPair, link: Link, maxSteps = 10_000, start = 1_000_000): number {
  let now = start;
  link.send(link.toServer, p.client.start(now).datagrams);
  for (let step = 0; step < maxSteps; step++) {
    if (p.client.isEstablished && p.server.isEstablished && link.toServer.length === 0 && link.toClient.length === 0) return now - start;
    const toS = link.toServer.shift();
    if (toS !== undefined) {
      link.send(link.toClient, p.server.process(toS, now).datagrams);
      continue;
    }
    const toC = link.toClient.shift();
    if (toC !== undefined) {
      link.send(link.toServer, p.client.process(toC, now).datagrams);
      continue;
    }
    const timers = [p.client.nextTimeout(), p.server.nextTimeout()].filter((t): t is number => t !== null);
    if (timers.length === 0) {
      if (p.client.isEstablished && p.server.isEstablished) return now - start;
      throw new Error(`stalled: client ${p.client.stateName}, server ${p.server.stateName}`);
    }
    now = Math.max(now, Math.min(...timers));
    if (p.client.nextTimeout() !== null && now >= (p.client.nextTimeout() as number)) link.send(link.toServer, p.client.handleTimeout(now).datagrams);
    if (p.server.nextTimeout() !== null && now >= (p.server.nextTimeout() as number)) link.send(link.toClient, p.server.handleTimeout(now).datagrams);
  }
  throw new Error('too many steps');
}
