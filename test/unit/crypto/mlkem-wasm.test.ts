/**
 * The WebAssembly ML-KEM-768 backend (liboqs via @oqs/liboqs-js, crypto/mlkem-wasm.ts).
 * liboqs has no derandomised keygen/encapsulate in its JavaScript bindings, so its known answers are checked where
 * the inputs are ours: decapsulation (including FIPS 203 implicit rejection of a random ciphertext) on 1 000 of the
 * deterministic C2SP CCTV cases, made with the noble backend that test/unit/crypto/mlkem.test.ts pins to the CCTV
 * accumulated hash; keygen and encapsulation by round trips with noble in both directions. Then full TLS 1.3
 * handshakes on X25519MLKEM768 with WebAssembly at either end or both, and the §7.2 check on the server side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { loadMlKem768Wasm } from '../../../src/crypto/mlkem-wasm.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { TlsClient, TlsServer } from '../../../src/api/connection.js';
import { NamedGroup } from '../../../src/wire/registry.js';
import { TlsError } from '../../../src/errors.js';
import { doHandshake, pairClock } from '../../helpers/pair.js';

test('WebAssembly ML-KEM-768 decapsulates the CCTV deterministic cases as noble does, implicit rejection included', async () => {
  const wasm = await loadMlKem768Wasm();
  assert.equal(wasm.usesCallerRandomness, false);
  const n = 1000;
  const per = 32 + 32 + 32 + 1088;
  const rng = createHash('shake128', { outputLength: n * per }).update(new Uint8Array(0)).digest();
  let at = 0;
  const take = (len: number): Uint8Array => new Uint8Array(rng.subarray(at, (at += len)));
  for (let i = 0; i < n; i++) {
    const seed = new Uint8Array(64);
    seed.set(take(32), 0);
    seed.set(take(32), 32);
    const m = take(32);
    const badCt = take(1088);
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
    assert.deepEqual(wasm.decapsulate(cipherText, secretKey), sharedSecret, `case ${i}: decapsulation`);
    assert.deepEqual(wasm.decapsulate(badCt, secretKey), ml_kem768.decapsulate(badCt, secretKey), `case ${i}: implicit rejection`);
  }
});

test('WebAssembly ML-KEM-768 keys and ciphertexts interoperate with noble both ways', async () => {
  const wasm = await loadMlKem768Wasm();
  for (let i = 0; i < 50; i++) {
    const mine = wasm.keygen(new Uint8Array(0));
    assert.equal(mine.publicKey.length, 1184);
    assert.equal(wasm.checkPublicKey(mine.publicKey), true);
    const theirs = ml_kem768.encapsulate(mine.publicKey);
    assert.deepEqual(wasm.decapsulate(theirs.cipherText, mine.secretKey), theirs.sharedSecret);
    const nobleKeys = ml_kem768.keygen();
    const enc = wasm.encapsulate(nobleKeys.publicKey, new Uint8Array(0));
    assert.equal(enc.cipherText.length, 1088);
    assert.deepEqual(ml_kem768.decapsulate(enc.cipherText, nobleKeys.secretKey), enc.sharedSecret);
  }
  // Fresh randomness each call.
  assert.notDeepEqual(wasm.keygen(new Uint8Array(0)).publicKey, wasm.keygen(new Uint8Array(0)).publicKey);
});

test('X25519MLKEM768 handshake: WebAssembly server, noble client; the modulus check still guards the server', async () => {
  const { pki } = await pairClock();
  const leaf = pki.server.p256;
  const provider = new NodeCryptoProvider({ mlkem: await loadMlKem768Wasm() });
  const server = new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], provider });
  const client = new TlsClient({ servername: 'localhost', ca: pki.ca.certPem });
  const p = { server: server.accept(), client: client.connect() };
  doHandshake(p);
  assert.equal(p.server.info?.groupName, 'X25519MLKEM768');
  assert.equal(p.client.info?.groupName, 'X25519MLKEM768');
  // And the other way round: a WebAssembly client (its key share written in place), a noble server; then both ends.
  for (const [serverProvider, clientProvider] of [[undefined, provider], [provider, provider]] as const) {
    const s = new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], ...(serverProvider ? { provider: serverProvider } : {}) });
    const c = new TlsClient({ servername: 'localhost', ca: pki.ca.certPem, provider: clientProvider });
    const q = { server: s.accept(), client: c.connect() };
    doHandshake(q);
    assert.equal(q.server.info?.groupName, 'X25519MLKEM768');
    assert.equal(q.client.info?.groupName, 'X25519MLKEM768');
  }

  const share = new NodeCryptoProvider().keyExchangeClient(NamedGroup.X25519MLKEM768);
  assert.ok(share);
  const bad = share.publicKey.slice();
  bad[0] = 0xff;
  bad[1] = bad[1]! | 0x0f; // first coefficient 0xfff >= q
  assert.throws(() => provider.keyExchangeServer(NamedGroup.X25519MLKEM768, bad), (e: unknown) => e instanceof TlsError && e.alert === 'illegal_parameter');
  // null turns the hybrid group off.
  assert.equal(new NodeCryptoProvider({ mlkem: null }).supportedGroups.includes(NamedGroup.X25519MLKEM768), false);
});
