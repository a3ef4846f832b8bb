/**
 * Bulk throughput of 16 KiB records, one direction (client → server), plaintext MB/s (10^6 bytes): raw node:crypto
 * seal+open (and into a fresh record), our engine (sealRecordParts + process), the idiomatic API (write → takeOutput → receive), TlsDuplex and
 * Node's tls over in-memory pairs.
 */
import * as nc from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { TlsConnection } from '../src/index.js';
import { handshake, type OursPair } from './ours.js';
import { destroyNode, nodeHandshake, type NodeContexts } from './node-tls.js';

export const RECORD = 16384;

/** Raw node:crypto: one createCipheriv + createDecipheriv per record, as the engine must (Node cannot re-key an IV). */
export function rawSealOpen(alg: 'aes-128-gcm' | 'chacha20-poly1305'): () => number {
  const key = nc.createSecretKey(nc.randomBytes(alg === 'aes-128-gcm' ? 16 : 32));
  const iv = nc.randomBytes(12);
  const aad = Buffer.from([23, 3, 3, (RECORD + 17) >> 8, (RECORD + 17) & 0xff]);
  const pt = nc.randomBytes(RECORD + 1);
  return () => {
    const c = nc.createCipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: pt.length });
    const ct = c.update(pt);
    c.final();
    const tag = c.getAuthTag();
    const d = nc.createDecipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: ct.length });
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
    return RECORD;
  };
}

/** Our idiomatic API: c.write(16 KiB) → s.receive(c.takeOutput()), counting 'data' bytes. */
export function oursApi(p: OursPair): { step: () => number; conns: { c: TlsConnection; s: TlsConnection } } {
  const conns = handshake(p);
  const { c, s } = conns;
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
  });
  const chunk = nc.randomBytes(RECORD);
  return {
    conns,
    step: () => {
      got = 0;
      c.write(chunk);
      s.receive(c.takeOutput());
      if (got !== RECORD) throw new Error(`bulk: got ${got}`);
      return RECORD;
    },
  };
}

/**
 * The engine alone, caller-owned buffers as in SSPI: `sealRecordParts` placed into one reused send buffer, then
 * `process(…, { maxRecords: 1 })` on it.
 */
export function oursEngine(p: OursPair, size = RECORD): () => number {
  const { c, s } = handshake(p);
  const ce = c.engine;
  const se = s.engine;
  const chunk = nc.randomBytes(size);
  const wire = new Uint8Array(size + 5 + 64);
  return () => {
    const { header, body, trailer } = ce.sealRecordParts(chunk);
    wire.set(header, 0);
    wire.set(body, header.length);
    wire.set(trailer, header.length + body.length);
    const r = se.process(wire.subarray(0, header.length + body.length + trailer.length), { maxRecords: 1 });
    const n = r.plaintext.reduce((a, b) => a + b.length, 0);
    if (n !== size) throw new Error(`engine bulk: got ${n}`);
    return size;
  };
}

/**
 * Raw node:crypto doing the two copies a TLS 1.3 record layer with caller-owned buffers cannot avoid on node:crypto:
 * the inner plaintext (content ‖ content type) built in a scratch buffer, and the cipher's output placed in the
 * caller's send buffer, from which the record is opened. The ceiling for the engine and SSPI rows.
 */
export function rawCallerBufferSealOpen(alg: 'aes-128-gcm' | 'chacha20-poly1305'): () => number {
  const key = nc.createSecretKey(nc.randomBytes(alg === 'aes-128-gcm' ? 16 : 32));
  const iv = nc.randomBytes(12);
  const pt = nc.randomBytes(RECORD);
  const inner = new Uint8Array(RECORD + 1);
  const len = RECORD + 1 + 16;
  const wire = new Uint8Array(5 + len);
  return () => {
    const header = new Uint8Array([23, 3, 3, len >> 8, len & 0xff]);
    inner.set(pt, 0);
    inner[RECORD] = 23;
    const c = nc.createCipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    c.setAAD(header, { plaintextLength: inner.length });
    const ct = c.update(inner);
    c.final();
    wire.set(header, 0);
    wire.set(ct, 5);
    wire.set(c.getAuthTag(), 5 + inner.length);
    const d = nc.createDecipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    d.setAAD(wire.subarray(0, 5), { plaintextLength: inner.length });
    d.setAuthTag(wire.subarray(5 + inner.length));
    d.update(wire.subarray(5, 5 + inner.length));
    d.final();
    return RECORD;
  };
}

/**
 * Raw node:crypto writing each record into a fresh array of its own (header ‖ ciphertext ‖ tag), as any API that
 * hands the caller an owned record must: the ceiling for the idiomatic API and TlsDuplex. Node has no "cipher into
 * this buffer" call, so the cipher's output is copied once into fresh memory; on this machine kind that alone costs
 * 8–18 % of raw seal+open.
 */
export function rawRecordSealOpen(alg: 'aes-128-gcm' | 'chacha20-poly1305'): () => number {
  const key = nc.createSecretKey(nc.randomBytes(alg === 'aes-128-gcm' ? 16 : 32));
  const iv = nc.randomBytes(12);
  const pt = nc.randomBytes(RECORD + 1);
  const len = RECORD + 1 + 16;
  return () => {
    const rec = Buffer.allocUnsafeSlow(5 + len);
    rec[0] = 23;
    rec[1] = 3;
    rec[2] = 3;
    rec[3] = len >> 8;
    rec[4] = len & 0xff;
    const aad = rec.subarray(0, 5);
    const c = nc.createCipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: pt.length });
    rec.set(c.update(pt), 5);
    c.final();
    rec.set(c.getAuthTag(), 5 + pt.length);
    const d = nc.createDecipheriv(alg as nc.CipherGCMTypes, key, iv, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: pt.length });
    d.setAuthTag(rec.subarray(5 + pt.length));
    d.update(rec.subarray(5, 5 + pt.length));
    d.final();
    return RECORD;
  };
}

/** Stream `total` bytes from `w` to `r` in 16 KiB writes, honouring backpressure; resolves with ns elapsed. */
export function streamBytes(w: Duplex, r: Duplex, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = nc.randomBytes(RECORD);
    let got = 0;
    let sent = 0;
    const t0 = process.hrtime.bigint();
    const onErr = (e: Error): void => {
      done();
      reject(e);
    };
    const done = (): void => {
      r.off('data', onData);
      r.off('error', onErr);
      w.off('error', onErr);
    };
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= total) {
        done();
        resolve(Number(process.hrtime.bigint() - t0));
      }
    };
    r.on('data', onData);
    r.on('error', onErr);
    w.on('error', onErr);
    const pump = (): void => {
      while (sent < total) {
        sent += RECORD;
        if (!w.write(chunk)) {
          w.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Node's tls over a memory pair, established once per round. */
export async function nodeBulk(ctx: NodeContexts, budgetMs: number): Promise<number> {
  const conn = await nodeHandshake(ctx, 0);
  const total = 8 * 1024 * 1024;
  let bytes = 0;
  let ns = 0;
  while (ns < budgetMs * 1e6 || bytes === 0) {
    ns += await streamBytes(conn.client, conn.server, total);
    bytes += total;
  }
  destroyNode(conn);
  return bytes / (ns / 1e9) / 1e6;
}
