/** The TLS 1.2 PRF (RFC 5246 §5) against the published test vector and an independent node:crypto implementation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { suiteById } from '../../../src/crypto/suites.js';
import { CipherSuite } from '../../../src/wire/registry.js';
import { exportKeyingMaterial12, extendedMasterSecret, keyBlock, prf, verifyData } from '../../../src/tls12/prf.js';

const p = new NodeCryptoProvider();
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A second, deliberately plain P_hash written straight from RFC 5246 §5. */
function referencePrf(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, seed: Uint8Array, n: number): Uint8Array {
  const s = Buffer.concat([Buffer.from(label, 'ascii'), seed]);
  let a: Buffer = s;
  const out: Buffer[] = [];
  let have = 0;
  while (have < n) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(Buffer.concat([a, s])).digest();
    out.push(block);
    have += block.length;
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, n));
}

test('PRF-SHA256 matches the published TLS 1.2 test vector (100 bytes, "test label")', () => {
  const out = prf(p, 'sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
  assert.equal(
    toHex(out),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
  );
});

test('PRF agrees with an independent implementation for SHA-256 and SHA-384 at every length up to 200', () => {
  const secret = p.randomBytes(48);
  const seed = p.randomBytes(64);
  for (const hash of ['sha256', 'sha384'] as const) {
    for (let n = 1; n <= 200; n += 7) {
      assert.deepEqual(prf(p, hash, secret, 'key expansion', seed, n), referencePrf(hash, secret, 'key expansion', seed, n));
    }
  }
});

test('extended master secret, key block, verify_data and exporter use the right labels and seeds', () => {
  const suite = suiteById(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
  assert.ok(suite);
  const pms = p.randomBytes(32);
  const sessionHash = p.randomBytes(48);
  const cr = p.randomBytes(32);
  const sr = p.randomBytes(32);
  const ms = extendedMasterSecret(p, suite, pms, sessionHash);
  assert.deepEqual(ms, referencePrf('sha384', pms, 'extended master secret', sessionHash, 48));
  const kb = keyBlock(p, suite, ms, cr, sr);
  const raw = referencePrf('sha384', ms, 'key expansion', Buffer.concat([sr, cr]), 2 * 32 + 2 * 4);
  assert.deepEqual(kb.clientWriteKey, raw.subarray(0, 32));
  assert.deepEqual(kb.serverWriteKey, raw.subarray(32, 64));
  assert.deepEqual(kb.clientWriteIv, raw.subarray(64, 68));
  assert.deepEqual(kb.serverWriteIv, raw.subarray(68, 72));
  const hh = p.randomBytes(48);
  assert.deepEqual(verifyData(p, suite, ms, true, hh), referencePrf('sha384', ms, 'client finished', hh, 12));
  assert.deepEqual(verifyData(p, suite, ms, false, hh), referencePrf('sha384', ms, 'server finished', hh, 12));
  // RFC 5705 §4: no context → randoms only; a context (even empty) adds its u16 length.
  assert.deepEqual(exportKeyingMaterial12(p, suite, ms, cr, sr, 'EXPERIMENTAL x', null, 20), referencePrf('sha384', ms, 'EXPERIMENTAL x', Buffer.concat([cr, sr]), 20));
  assert.deepEqual(
    exportKeyingMaterial12(p, suite, ms, cr, sr, 'EXPERIMENTAL x', new Uint8Array(0), 20),
    referencePrf('sha384', ms, 'EXPERIMENTAL x', Buffer.concat([cr, sr, Buffer.from([0, 0])]), 20),
  );
  assert.throws(() => exportKeyingMaterial12(p, suite, ms, cr, sr, 'key expansion', null, 20));
});
