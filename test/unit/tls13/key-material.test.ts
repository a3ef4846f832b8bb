/**
 * The key schedule's private key material (CryptoProvider.hmacKeyMaterial: node:crypto's Buffer without a
 * Uint8Array over it) is the same bytes as the public path's: record keys and IVs (recordTrafficKeys against
 * trafficKeys), the transcript hash, Derive-Secret and the ticket PSK (their input buffers), the handshake / master secrets, and Finished, for every TLS 1.3 suite and both label prefixes,
 * with the node:crypto provider and with a provider that has no hmacKeyMaterial.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../../src/crypto/provider.js';
import { SUITES, type SuiteInfo } from '../../../src/crypto/suites.js';
import { TranscriptBuffer } from '../../../src/handshake/transcript.js';
import { deriveSecret, EarlySecret, finishedVerifyData, hkdfExpandLabel, hkdfExtract, Label, recordTrafficKeys, ticketPsk, trafficKeys } from '../../../src/tls13/key-schedule.js';

const bytes = (b: Uint8Array): number[] => Array.from(b);

/** The same provider without hmacKeyMaterial (only CryptoProvider's required methods). */
function withoutKeyMaterial(p: NodeCryptoProvider): CryptoProvider {
  return {
    randomBytes: (n) => p.randomBytes(n),
    now: () => p.now(),
    hash: (a, d) => p.hash(a, d),
    createHash: (a) => p.createHash(a),
    hmac: (a, k, d) => p.hmac(a, k, d),
    aead: (a, k) => p.aead(a, k),
    recordNumberMask: (a, k, s) => p.recordNumberMask(a, k, s),
    supportedGroups: p.supportedGroups,
    keyExchangeClient: (g) => p.keyExchangeClient(g),
    keyExchangeServer: (g, s) => p.keyExchangeServer(g, s),
    loadSigningKey: (k) => p.loadSigningKey(k),
    loadVerifyingKey: (s) => p.loadVerifyingKey(s),
    equalSecret: (a, b) => p.equalSecret(a, b),
  };
}

const suites13: SuiteInfo[] = SUITES.filter((s) => s.version === 'TLSv1.3');
const dtls = (s: SuiteInfo): SuiteInfo => ({ ...s, labelPrefix: 'dtls13' });

describe('key material kept private: the same bytes as the public path', () => {
  const node = new NodeCryptoProvider();
  const plain = withoutKeyMaterial(node);

  test('hmacKeyMaterial = hmac', () => {
    const key = node.randomBytes(32);
    const data = node.randomBytes(77);
    assert.deepEqual(bytes(node.hmacKeyMaterial('sha256', key, data)), bytes(node.hmac('sha256', key, data)));
    assert.deepEqual(bytes(node.hmacKeyMaterial('sha384', key, data)), bytes(node.hmac('sha384', key, data)));
  });

  test('the transcript hash (RunningHash.peekReadOnly) = the hash of the messages, with and without the method', () => {
    const msgs = [node.randomBytes(100), node.randomBytes(7), node.randomBytes(300)];
    for (const alg of ['sha256', 'sha384'] as const) {
      const all = new Uint8Array(407);
      all.set(msgs[0] as Uint8Array, 0);
      all.set(msgs[1] as Uint8Array, 100);
      all.set(msgs[2] as Uint8Array, 107);
      for (const p of [node, plain]) {
        const buf = new TranscriptBuffer();
        buf.add(msgs[0] as Uint8Array);
        const t = buf.toTranscript(p, alg);
        t.add(msgs[1] as Uint8Array);
        assert.deepEqual(bytes(t.currentWith(msgs[2] as Uint8Array)), bytes(plain.hash(alg, all)));
        assert.deepEqual(bytes(t.current()), bytes(plain.hash(alg, all.subarray(0, 107))));
        t.add(msgs[2] as Uint8Array);
        assert.deepEqual(bytes(t.current()), bytes(plain.hash(alg, all)));
      }
    }
  });

  for (const suite of [...suites13, ...suites13.map(dtls)]) {
    test(`${suite.name} (${suite.labelPrefix ?? 'tls13 '})`, () => {
      const secret = node.randomBytes(suite.hashLen);
      for (const p of [node, plain]) {
        const k = recordTrafficKeys(p, suite, secret);
        const ref = trafficKeys(plain, suite, secret);
        assert.equal(k.key.length, suite.keyLen);
        assert.equal(k.iv.length, suite.ivLen);
        assert.deepEqual(bytes(k.key), bytes(ref.key));
        assert.deepEqual(bytes(k.iv), bytes(ref.iv));
        // Finished: finished_key by the expand-label definition, then the HMAC over the transcript hash.
        const th = node.randomBytes(suite.hashLen);
        const fk = hkdfExpandLabel(plain, suite, secret, Label.finished, new Uint8Array(0), suite.hashLen);
        assert.deepEqual(bytes(finishedVerifyData(p, suite, secret, th)), bytes(plain.hmac(suite.hash, fk, th)));
      }
      // Derive-Secret through its per-label input buffer: the definition's bytes, call after call.
      for (const label of [Label.clientHandshakeTraffic, Label.serverHandshakeTraffic, Label.clientHandshakeTraffic, Label.resumptionMaster]) {
        const th2 = node.randomBytes(suite.hashLen);
        assert.deepEqual(bytes(deriveSecret(node, suite, secret, label, th2)), bytes(hkdfExpandLabel(plain, suite, secret, label, th2, suite.hashLen)));
      }
      // The ticket PSK through its input buffer per nonce length.
      for (const nonce of [Uint8Array.of(0), Uint8Array.of(1), new Uint8Array(0), node.randomBytes(8), Uint8Array.of(7), node.randomBytes(255)]) {
        assert.deepEqual(bytes(ticketPsk(node, suite, secret, nonce)), bytes(hkdfExpandLabel(plain, suite, secret, Label.resumption, nonce, suite.hashLen)));
      }
      // Early (with a PSK), handshake and master secrets: both providers agree, and with RFC 8446 §7.1's definitions.
      const psk = node.randomBytes(suite.hashLen);
      const shared = node.randomBytes(32);
      const a = new EarlySecret(node, suite, psk);
      const b = new EarlySecret(plain, suite, psk);
      assert.deepEqual(bytes(a.secret), bytes(hkdfExtract(plain, suite.hash, new Uint8Array(suite.hashLen), psk)));
      assert.deepEqual(bytes(a.secret), bytes(b.secret));
      const ha = a.handshakeSecret(shared);
      const hb = b.handshakeSecret(shared);
      assert.deepEqual(bytes(ha.secret), bytes(hb.secret));
      const empty = plain.hash(suite.hash, new Uint8Array(0));
      const derived = hkdfExpandLabel(plain, suite, b.secret, Label.derived, empty, suite.hashLen);
      assert.deepEqual(bytes(hb.secret), bytes(hkdfExtract(plain, suite.hash, derived, shared)));
      const ma = ha.masterSecret();
      assert.deepEqual(bytes(ma.secret), bytes(hb.masterSecret().secret));
      const derived2 = hkdfExpandLabel(plain, suite, hb.secret, Label.derived, empty, suite.hashLen);
      assert.deepEqual(bytes(ma.secret), bytes(hkdfExtract(plain, suite.hash, derived2, new Uint8Array(suite.hashLen))));
      // The no-PSK schedule's constants.
      const z = new EarlySecret(node, suite, null);
      assert.deepEqual(bytes(z.secret), bytes(hkdfExtract(plain, suite.hash, new Uint8Array(suite.hashLen), new Uint8Array(suite.hashLen))));
      assert.deepEqual(bytes(z.handshakeSecret(null).secret), bytes(new EarlySecret(plain, suite, new Uint8Array(suite.hashLen)).handshakeSecret(null).secret));
    });
  }
});
