/**
 * Issue 18 items 2 and 6: small application records and record floods, ours against Node's tls, per record.
 *
 * - Small records: the client writes one record of 1, 16 or 100 bytes and the server reads it. Ours: `write` →
 *   `takeOutput` → `receive` (idiomatic API, in memory). Node's: `client.write(buf, cb)` on a TLSSocket pair over a
 *   memory Duplex pair, each write waiting for the previous one's callback (OpenSSL coalesces queued writes into
 *   one record otherwise), until the server's 'data' has seen every byte.
 * - Floods: the same bytes, sealed here from our client's key log (so both receivers get identical floods), fed to
 *   our TlsConnection server and to Node's TLSSocket server (whose peer is our client over a Duplex). A flood is
 *   units of 16 zero-length application records (or 16 KeyUpdates, update_not_requested) followed by a 1-byte
 *   record: below both stacks' limits on records without progress (32). Time per record received.
 */
import * as nc from 'node:crypto';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { TlsConnection } from '../src/index.js';
import type { OursPair } from './ours.js';
import { memPair, type NodeContexts } from './node-tls.js';

/** Records per flood unit before the 1-byte record that makes progress. */
export const FLOOD_RUN = 16;
/** Units per flood. */
export const FLOOD_UNITS = 32;
export const FLOOD_RECORDS = FLOOD_UNITS * (FLOOD_RUN + 1);

/** One established pair of ours over memory whose client secrets we know (application traffic secret 0). */
function oursKnownPair(p: OursPair): { c: TlsConnection; s: TlsConnection; secret: Buffer } {
  let secret: Buffer | undefined;
  const c = p.client.connect(undefined, undefined, {
    keyLog: (line: string) => {
      const [label, , hex] = line.split(' ');
      if (label === 'CLIENT_TRAFFIC_SECRET_0' && hex !== undefined) secret = Buffer.from(hex, 'hex');
    },
  });
  const s = p.server.accept();
  pump(c, s);
  if (secret === undefined) throw new Error('small: no client traffic secret in the key log');
  return { c, s, secret };
}

function pump(c: TlsConnection, s: TlsConnection): void {
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput();
    if (a.length > 0) s.receive(a);
    const b = s.takeOutput();
    if (b.length > 0) c.receive(b);
    if (a.length === 0 && b.length === 0 && c.isHandshakeComplete && s.isHandshakeComplete) return;
  }
  if (!c.isHandshakeComplete || !s.isHandshakeComplete) throw new Error('small: handshake did not complete');
}

/** HKDF-Expand-Label (RFC 8446 §7.1) for outputs of at most one SHA-256 block, empty context. */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const id = `${label}/${length}`;
  let info = labelInfo.get(id);
  if (info === undefined) {
    const full = Buffer.from('tls13 ' + label, 'latin1');
    info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0, 1])]);
    labelInfo.set(id, info);
  }
  return nc.createHmac('sha256', secret).update(info).digest().subarray(0, length);
}
/** HkdfLabel inputs of the constant labels used here (the floor does not rebuild them per record). */
const labelInfo = new Map<string, Buffer>();

/**
 * What a flood repeats: zero-length application records, KeyUpdates with update_not_requested, or KeyUpdates with
 * update_requested (each asks the receiver for a KeyUpdate of its own; RFC 8446 §4.6.3 lets it answer the requests
 * received together with one).
 */
export type FloodKind = 'empty' | 'keyupdate' | 'keyupdate-requested';

/**
 * A flood from the client's application traffic secret 0 (TLS_AES_128_GCM_SHA256, sequence numbers from 0):
 * `FLOOD_UNITS` × (`FLOOD_RUN` zero-length records or KeyUpdates, then one record carrying 1 byte).
 */
export function sealFlood(secret0: Buffer, kind: FloodKind): Buffer {
  let secret = secret0;
  let key = expandLabel(secret, 'key', 16);
  let iv = expandLabel(secret, 'iv', 12);
  let seq = 0;
  const out: Buffer[] = [];
  const seal = (inner: Buffer): void => {
    const nonce = Buffer.from(iv);
    for (let i = 0; i < 8; i++) nonce[11 - i] = (nonce[11 - i] as number) ^ Math.floor(seq / 2 ** (8 * i)) & 0xff;
    seq++;
    const len = inner.length + 16;
    const header = Buffer.from([23, 3, 3, len >> 8, len & 0xff]);
    const c = nc.createCipheriv('aes-128-gcm', key, nonce);
    c.setAAD(header);
    out.push(header, c.update(inner), c.final(), c.getAuthTag());
  };
  for (let u = 0; u < FLOOD_UNITS; u++) {
    for (let i = 0; i < FLOOD_RUN; i++) {
      if (kind === 'empty') seal(Buffer.from([23]));
      else {
        seal(Buffer.from([24, 0, 0, 1, kind === 'keyupdate-requested' ? 1 : 0, 22]));
        secret = expandLabel(secret, 'traffic upd', 32);
        key = expandLabel(secret, 'key', 16);
        iv = expandLabel(secret, 'iv', 12);
        seq = 0;
      }
    }
    seal(Buffer.from([0x61, 23]));
  }
  return Buffer.concat(out);
}

/** Ours receiving a flood: ns per record, fresh connection per flood (the handshake is not timed). */
export function oursFlood(p: OursPair, kind: FloodKind, budgetMs: number): number {
  let ns = 0;
  let records = 0;
  while (ns < budgetMs * 1e6 || records === 0) {
    const { s, secret } = oursKnownPair(p);
    const flood = sealFlood(secret, kind);
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
    });
    const t0 = process.hrtime.bigint();
    s.receive(flood);
    ns += Number(process.hrtime.bigint() - t0);
    if (got !== FLOOD_UNITS) throw new Error(`flood (ours): got ${got} bytes`);
    records += FLOOD_RECORDS;
  }
  return ns / records;
}

/** A Duplex under Node's TLSSocket server whose peer is our client: we push its records in. */
class Feed extends Duplex {
  readonly #c: TlsConnection;
  /** Set once the flood starts: what the server writes (its answers to KeyUpdate requests) is dropped, not read by our client. */
  dropWrites = false;
  constructor(c: TlsConnection) {
    super();
    this.#c = c;
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.dropWrites) {
      cb();
      return;
    }
    try {
      this.#c.receive(chunk);
    } catch (e) {
      cb(e as Error);
      return;
    }
    const o = this.#c.takeOutput();
    if (o.length > 0) this.push(o);
    cb();
  }
  override _read(): void {}
}

/** Node's TLSSocket server, our client; resolves with the established server socket and the client's secret. */
function nodeKnownServer(ctx: NodeContexts, p: OursPair): Promise<{ server: tls.TLSSocket; feed: Feed; secret: Buffer }> {
  return new Promise((resolve, reject) => {
    let secret: Buffer | undefined;
    const c = p.client.connect(undefined, undefined, {
      keyLog: (line: string) => {
        const [label, , hex] = line.split(' ');
        if (label === 'CLIENT_TRAFFIC_SECRET_0' && hex !== undefined) secret = Buffer.from(hex, 'hex');
      },
    });
    const feed = new Feed(c);
    const server = new tls.TLSSocket(feed, { isServer: true, secureContext: ctx.server });
    server.on('error', reject);
    server.once('secure', () => {
      if (secret === undefined) reject(new Error('small: no client traffic secret'));
      else resolve({ server, feed, secret });
    });
    const first = c.takeOutput();
    feed.push(first);
  });
}

/** Node's tls receiving the same flood: ns per record (from the push to the last byte's 'data'). */
export async function nodeFlood(ctx: NodeContexts, p: OursPair, kind: FloodKind, budgetMs: number): Promise<number> {
  let ns = 0;
  let records = 0;
  while (ns < budgetMs * 1e6 || records === 0) {
    const { server, feed, secret } = await nodeKnownServer(ctx, p);
    const flood = sealFlood(secret, kind);
    let got = 0;
    let t0 = 0n;
    await new Promise<void>((resolve, reject) => {
      server.on('data', (d: Buffer) => {
        got += d.length;
        if (got === FLOOD_UNITS) resolve();
      });
      server.once('error', reject);
      feed.dropWrites = true;
      t0 = process.hrtime.bigint();
      feed.push(flood);
    });
    ns += Number(process.hrtime.bigint() - t0);
    records += FLOOD_RECORDS;
    server.destroy();
  }
  return ns / records;
}

/** Ours: one small record client → server per op. */
export function oursSmall(p: OursPair, size: number): () => void {
  const { c, s } = oursKnownPair(p);
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
  });
  const chunk = nc.randomBytes(size);
  return () => {
    got = 0;
    c.write(chunk);
    s.receive(c.takeOutput());
    if (got !== size) throw new Error(`small (ours): got ${got}`);
  };
}

/** Node's tls: ns per small record, one record per write (each write waits for the previous one's callback). */
export async function nodeSmall(ctx: NodeContexts, size: number, budgetMs: number): Promise<number> {
  const [a, b] = memPair();
  const server = new tls.TLSSocket(a, { isServer: true, secureContext: ctx.server });
  const client = tls.connect({ socket: b, secureContext: ctx.client, servername: 'localhost' });
  await Promise.all([new Promise((r) => server.once('secure', r)), new Promise((r) => client.once('secureConnect', r))]);
  const chunk = nc.randomBytes(size);
  const batch = 256;
  let got = 0;
  let want = 0;
  let wake: (() => void) | undefined;
  server.on('data', (d: Buffer) => {
    got += d.length;
    if (got === want) wake?.();
  });
  let ns = 0;
  let records = 0;
  while (ns < budgetMs * 1e6 || records === 0) {
    want = got + batch * size;
    const t0 = process.hrtime.bigint();
    const arrived = new Promise<void>((r) => {
      wake = r;
    });
    for (let i = 0; i < batch; i++) await new Promise<void>((r, j) => client.write(chunk, (e) => (e ? j(e) : r())));
    if (got !== want) await arrived;
    ns += Number(process.hrtime.bigint() - t0);
    records += batch;
  }
  server.destroy();
  client.destroy();
  return ns / records;
}


/**
 * The node:crypto floor for receiving a flood: per record only the calls any receiver on node:crypto must make
 * (createDecipheriv with the direction's KeyObject, setAAD, setAuthTag, update, final; for a KeyUpdate, the three
 * HKDF-Expand-Label HMACs and a createSecretKey), on the same bytes. ns per record.
 */
export function rawFloodFloor(p: OursPair, kind: FloodKind, budgetMs: number): number {
  let ns = 0;
  let records = 0;
  while (ns < budgetMs * 1e6 || records === 0) {
    const { secret: s0 } = oursKnownPair(p);
    const flood = sealFlood(s0, kind);
    const t0 = process.hrtime.bigint();
    const got = openFloodRaw(s0, flood);
    ns += Number(process.hrtime.bigint() - t0);
    if (got !== FLOOD_UNITS) throw new Error(`flood (floor): got ${got}`);
    records += FLOOD_RECORDS;
  }
  return ns / records;
}

/** Open a flood sealed under `s0` with bare node:crypto calls; the application bytes it carried. */
function openFloodRaw(s0: Buffer, flood: Buffer): number {
  let secret = s0;
  let key = nc.createSecretKey(expandLabel(secret, 'key', 16));
  let iv = expandLabel(secret, 'iv', 12);
  let seq = 0;
  let got = 0;
  const nonce = Buffer.alloc(12);
  for (let at = 0; at < flood.length; ) {
    const len = ((flood[at + 3] as number) << 8) | (flood[at + 4] as number);
    const header = flood.subarray(at, at + 5);
    const body = flood.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    iv.copy(nonce);
    for (let i = 0; i < 8; i++) nonce[11 - i] = (nonce[11 - i] as number) ^ Math.floor(seq / 2 ** (8 * i)) & 0xff;
    seq++;
    const d = nc.createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(header);
    d.setAuthTag(body.subarray(len - 16));
    const inner = d.update(body.subarray(0, len - 16));
    d.final();
    if (inner[inner.length - 1] === 22) {
      secret = expandLabel(secret, 'traffic upd', 32);
      key = nc.createSecretKey(expandLabel(secret, 'key', 16));
      iv = expandLabel(secret, 'iv', 12);
      seq = 0;
    } else got += inner.length - 1;
  }
  return got;
}

/*
 * Count-based variants for instruction counts (bench/record-loop.ts): `warm` floods or records first, then `n`;
 * floods are prepared (connection + sealed bytes) `warm + ready` at a time before any is received, so two runs
 * with the same `ready` prepare the same work.
 */

/** Ours receiving `warm + n` of `warm + ready` prepared floods. */
export function floodOpsOurs(p: OursPair, kind: FloodKind, warm: number, n: number, ready: number): void {
  const floods = Array.from({ length: warm + ready }, () => {
    const { s, secret } = oursKnownPair(p);
    return { s, flood: sealFlood(secret, kind) };
  });
  for (const { s, flood } of floods.slice(0, warm + n)) {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
    });
    s.receive(flood);
    if (got !== FLOOD_UNITS) throw new Error(`flood (ours): got ${got} bytes`);
  }
}

/** The node:crypto floor opening `warm + n` of `warm + ready` prepared floods. */
export function floodOpsFloor(p: OursPair, kind: FloodKind, warm: number, n: number, ready: number): void {
  const floods = Array.from({ length: warm + ready }, () => {
    const { secret } = oursKnownPair(p);
    return { secret, flood: sealFlood(secret, kind) };
  });
  for (const { secret, flood } of floods.slice(0, warm + n)) {
    const got = openFloodRaw(secret, flood);
    if (got !== FLOOD_UNITS) throw new Error(`flood (floor): got ${got}`);
  }
}

/** Node's TLSSocket server receiving `warm + n` of `warm + ready` prepared floods. */
export async function floodOpsNode(ctx: NodeContexts, p: OursPair, kind: FloodKind, warm: number, n: number, ready: number): Promise<void> {
  const floods: { server: tls.TLSSocket; feed: Feed; flood: Buffer }[] = [];
  for (let i = 0; i < warm + ready; i++) {
    const { server, feed, secret } = await nodeKnownServer(ctx, p);
    floods.push({ server, feed, flood: sealFlood(secret, kind) });
  }
  for (const { server, feed, flood } of floods.slice(0, warm + n)) {
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      server.on('data', (d: Buffer) => {
        got += d.length;
        if (got === FLOOD_UNITS) resolve();
      });
      server.once('error', reject);
      feed.dropWrites = true;
      feed.push(flood);
    });
  }
  for (const f of floods) f.server.destroy();
}

/** Node's tls: `warm + n` small records, one write each (each after the previous write's callback). */
export async function nodeSmallOps(ctx: NodeContexts, size: number, warm: number, n: number): Promise<void> {
  const [a, b] = memPair();
  const server = new tls.TLSSocket(a, { isServer: true, secureContext: ctx.server });
  const client = tls.connect({ socket: b, secureContext: ctx.client, servername: 'localhost' });
  await Promise.all([new Promise((r) => server.once('secure', r)), new Promise((r) => client.once('secureConnect', r))]);
  const chunk = nc.randomBytes(size);
  const total = (warm + n) * size;
  let got = 0;
  const arrived = new Promise<void>((r) => {
    server.on('data', (d: Buffer) => {
      got += d.length;
      if (got === total) r();
    });
  });
  for (let i = 0; i < warm + n; i++) await new Promise<void>((r, j) => client.write(chunk, (e) => (e ? j(e) : r())));
  await arrived;
  server.destroy();
  client.destroy();
}

/** Only the calls that open one 1-byte TLS 1.3 record on node:crypto (createDecipheriv … final), per call. */
export function rawOpenOnly(): () => void {
  const key = nc.createSecretKey(nc.randomBytes(16));
  const nonce = nc.randomBytes(12);
  const header = Buffer.from([23, 3, 3, 0, 18]);
  const c = nc.createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(header);
  const body = Buffer.concat([c.update(Buffer.from([0x61, 23])), c.final()]);
  const tag = c.getAuthTag();
  return () => {
    const d = nc.createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(header);
    d.setAuthTag(tag);
    d.update(body);
    d.final();
  };
}

/**
 * The node:crypto floor for one small TLS 1.3 record: seal (createCipheriv with a KeyObject, setAAD, update of
 * content ‖ type, final, getAuthTag) into a fresh record, then open it (createDecipheriv, setAAD, setAuthTag,
 * update, final). What any record layer on node:crypto pays per record, before any JavaScript of its own.
 */
export function rawSmall(size: number): () => void {
  const key = nc.createSecretKey(nc.randomBytes(16));
  const iv = nc.randomBytes(12);
  const inner = Buffer.concat([nc.randomBytes(size), Buffer.from([23])]);
  const len = inner.length + 16;
  const header = Buffer.from([23, 3, 3, len >> 8, len & 0xff]);
  const nonce = Buffer.alloc(12);
  let seq = 0;
  return () => {
    iv.copy(nonce);
    nonce[11] = (nonce[11] as number) ^ (seq++ & 0xff);
    const c = nc.createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(header);
    const rec = Buffer.allocUnsafe(5 + len);
    header.copy(rec, 0);
    c.update(inner).copy(rec, 5);
    c.final();
    c.getAuthTag().copy(rec, 5 + inner.length);
    const d = nc.createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(rec.subarray(0, 5));
    d.setAuthTag(rec.subarray(5 + inner.length));
    const p = d.update(rec.subarray(5, 5 + inner.length));
    d.final();
    if (p.length !== size + 1) throw new Error('small (floor): wrong length');
  };
}
