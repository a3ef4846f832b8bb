import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CipherSuite } from '../../src/wire/registry.js';
import { dtlsPair, Link, NONE, runHandshake } from './pair.js';

test('DTLS 1.2: client and server complete a handshake with a cookie exchange and move data both ways', async () => {
  const p = await dtlsPair();
  const link = new Link(NONE, 1);
  runHandshake(p, link);
  assert.ok(p.client.isEstablished && p.server.isEstablished);
  assert.equal(p.client.info?.cipherSuite, p.server.info?.cipherSuite);
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  const datagrams = p.client.seal(data);
  assert.ok(datagrams.every((d) => d.length <= p.client.mtu));
  const got = datagrams.flatMap((d) => p.server.process(d).plaintext);
  assert.deepEqual(Buffer.concat(got), Buffer.from(data));
  const back = p.server.seal(new Uint8Array([1, 2, 3])).flatMap((d) => p.client.process(d).plaintext);
  assert.deepEqual(Buffer.concat(back), Buffer.from([1, 2, 3]));
});

test('DTLS 1.2: every AEAD suite', async () => {
  for (const suite of [
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  ]) {
    const p = await dtlsPair({}, { cipherSuites: [suite] }, {}, `suite-${suite}`);
    runHandshake(p, new Link(NONE, 2));
    assert.equal(p.client.info?.cipherSuite, suite);
  }
});
