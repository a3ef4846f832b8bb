/**
 * node:crypto's own ML-KEM-768 (Node 24+, crypto/mlkem-node.ts) as the default backend of X25519MLKEM768.
 * On a Node without it (Node 20, this project's CI) the backend is absent and the provider keeps noble; on a Node
 * with it, keygen from a seed gives noble's encapsulation key (FIPS 203 KeyGen_internal(d, z): the CCTV-pinned
 * backend of mlkem.test.ts), decapsulation gives noble's shared secret (implicit rejection included), noble
 * decapsulates its ciphertexts, and a full handshake runs on it with the §7.2 check still ours.
 * Run on Node 24: `node --test dist/test/unit/crypto/mlkem-node.test.js` with that Node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { createHash } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { nodeMlKem768, type NodeKemFunctions } from '../../../src/crypto/mlkem-node.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { TlsClient, TlsServer } from '../../../src/api/connection.js';
import { NamedGroup } from '../../../src/wire/registry.js';
import { TlsError } from '../../../src/errors.js';
import { doHandshake, pairClock } from '../../helpers/pair.js';

const kem = nodeMlKem768(nc as unknown as NodeKemFunctions);
const hasNodeKem = typeof (nc as { encapsulate?: unknown }).encapsulate === 'function';
const skip = kem === undefined ? 'this Node has no ML-KEM in node:crypto (Node 24+)' : false;

test('node:crypto ML-KEM-768: present exactly when the running Node has encapsulate/decapsulate; else the provider keeps noble', () => {
  assert.equal(kem !== undefined, hasNodeKem);
  // Either way the default provider offers the hybrid group (node:crypto's backend or noble's).
  assert.ok(new NodeCryptoProvider().supportedGroups.includes(NamedGroup.X25519MLKEM768));
  // A Node without the functions: no backend, whatever else node:crypto has.
  assert.equal(nodeMlKem768({ ...(nc as unknown as NodeKemFunctions), encapsulate: undefined, decapsulate: undefined }), undefined);
});

test('node:crypto ML-KEM-768 agrees with noble: keys from seeds, decapsulation, implicit rejection, both directions', { skip }, () => {
  assert.ok(kem);
  assert.equal(kem.usesCallerRandomness, false);
  const n = 100;
  const per = 64 + 32 + 1088;
  const rng = createHash('shake128', { outputLength: n * per }).update(new Uint8Array([1])).digest();
  let at = 0;
  const take = (len: number): Uint8Array => new Uint8Array(rng.subarray(at, (at += len)));
  for (let i = 0; i < n; i++) {
    const seed = take(64);
    const m = take(32);
    const badCt = take(1088);
    const theirs = ml_kem768.keygen(seed);
    const mine: { publicKey: Uint8Array; secretKey: Uint8Array } = kem.keygen(seed);
    assert.deepEqual(mine.publicKey, theirs.publicKey, `case ${i}: encapsulation key from the seed`);
    const enc = ml_kem768.encapsulate(theirs.publicKey, m);
    assert.deepEqual(kem.decapsulate(enc.cipherText, mine.secretKey), enc.sharedSecret, `case ${i}: decapsulation`);
    assert.deepEqual(kem.decapsulate(badCt, mine.secretKey), ml_kem768.decapsulate(badCt, theirs.secretKey), `case ${i}: implicit rejection`);
    const back = kem.encapsulate(theirs.publicKey, new Uint8Array(0));
    assert.equal(back.cipherText.length, 1088);
    assert.deepEqual(ml_kem768.decapsulate(back.cipherText, theirs.secretKey), back.sharedSecret, `case ${i}: noble decapsulates ours`);
  }
  // Without a seed (the provider gives none to a backend that draws its own): fresh keys each time.
  assert.notDeepEqual(kem.keygen(new Uint8Array(0)).publicKey, kem.keygen(new Uint8Array(0)).publicKey);
});

test('X25519MLKEM768 on node:crypto ML-KEM: the default provider at both ends and against noble; the modulus check guards the server', { skip }, async () => {
  const { pki } = await pairClock();
  const leaf = pki.server.p256;
  const nodeKem = new NodeCryptoProvider();
  const noble = new NodeCryptoProvider({ randomBytes: (len) => new Uint8Array(nc.randomBytes(len)) });
  for (const [sp, cp] of [[nodeKem, nodeKem], [nodeKem, noble], [noble, nodeKem]] as const) {
    const server = new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], provider: sp });
    const client = new TlsClient({ servername: 'localhost', ca: pki.ca.certPem, provider: cp });
    const p = { server: server.accept(), client: client.connect() };
    doHandshake(p);
    assert.equal(p.server.info?.groupName, 'X25519MLKEM768');
    assert.equal(p.client.info?.groupName, 'X25519MLKEM768');
  }
  const share = noble.keyExchangeClient(NamedGroup.X25519MLKEM768);
  assert.ok(share);
  const bad = share.publicKey.slice();
  bad[0] = 0xff;
  bad[1] = bad[1]! | 0x0f; // first coefficient 0xfff >= q
  assert.throws(() => nodeKem.keyExchangeServer(NamedGroup.X25519MLKEM768, bad), (e: unknown) => e instanceof TlsError && e.alert === 'illegal_parameter');
});
