/**
 * ML-KEM-768 known answers and the X25519MLKEM768 share checks (draft-ietf-tls-ecdhe-mlkem).
 * The accumulated vector is C2SP CCTV's "ML-KEM-768, 10 000 tests" hash for final FIPS 203 (f959d18d…; the older
 * f7db260e… value targets the FIPS 203 draft): inputs drawn from SHAKE-128(""), outputs (ek, dk, ct, k, k for a
 * random ct) absorbed into a running SHAKE-128.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mlKem768, mlKemModulusCheck } from '../../../src/crypto/mlkem.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { NamedGroup } from '../../../src/wire/registry.js';
import { TlsError } from '../../../src/errors.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

test('ML-KEM-768 matches the C2SP CCTV accumulated vector (10 000 deterministic tests)', () => {
  const n = 10000;
  const per = 32 + 32 + 32 + 1088;
  const rng = createHash('shake128', { outputLength: n * per }).update(new Uint8Array(0)).digest();
  const acc = createHash('shake128', { outputLength: 32 });
  let at = 0;
  const take = (len: number): Uint8Array => {
    const v = rng.subarray(at, at + len);
    at += len;
    return new Uint8Array(v);
  };
  for (let i = 0; i < n; i++) {
    const d = take(32);
    const z = take(32);
    const m = take(32);
    const badCt = take(1088);
    const seed = new Uint8Array(64);
    seed.set(d, 0);
    seed.set(z, 32);
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const { cipherText, sharedSecret } = mlKem768.encapsulate(publicKey, m);
    const k2 = mlKem768.decapsulate(cipherText, secretKey);
    assert.deepEqual(k2, sharedSecret);
    const kBad = mlKem768.decapsulate(badCt, secretKey);
    acc.update(publicKey).update(secretKey).update(cipherText).update(sharedSecret).update(kBad);
  }
  assert.equal(acc.digest('hex'), 'f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1');
});

test('FIPS 203 §7.2 modulus check rejects a coefficient ≥ q', () => {
  const { publicKey } = mlKem768.keygen(new Uint8Array(64).fill(1));
  assert.equal(mlKemModulusCheck(publicKey, 3), true);
  const bad = publicKey.slice();
  bad[0] = 0xff;
  bad[1] = bad[1]! | 0x0f; // first coefficient = 0xfff > 3329
  assert.equal(mlKemModulusCheck(bad, 3), false);
  assert.equal(mlKemModulusCheck(publicKey.subarray(1), 3), false);
});

test('X25519MLKEM768 shares: 1216-byte client share, 1120-byte server share, 64-byte secret, both sides agree', () => {
  const p = new NodeCryptoProvider();
  const client = p.keyExchangeClient(NamedGroup.X25519MLKEM768);
  assert.ok(client);
  assert.equal(client.publicKey.length, 1216);
  const server = p.keyExchangeServer(NamedGroup.X25519MLKEM768, client.publicKey);
  assert.equal(server.publicKey.length, 1120);
  assert.equal(server.sharedSecret.length, 64);
  assert.deepEqual(client.complete(server.publicKey), server.sharedSecret);
});

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TlsError);
    return `${e.reason}/${e.alert}`;
  }
  return 'no error';
}

test('a wrong-length or invalid X25519MLKEM768 share is illegal_parameter', () => {
  const p = new NodeCryptoProvider();
  const client = p.keyExchangeClient(NamedGroup.X25519MLKEM768);
  assert.ok(client);
  const want = 'PeerMisbehaved.InvalidKeyShare/illegal_parameter';
  assert.equal(reason(() => p.keyExchangeServer(NamedGroup.X25519MLKEM768, client.publicKey.subarray(1))), want);
  const bad = client.publicKey.slice();
  bad[0] = 0xff;
  bad[1] = bad[1]! | 0x0f;
  assert.equal(reason(() => p.keyExchangeServer(NamedGroup.X25519MLKEM768, bad)), want);
  const server = p.keyExchangeServer(NamedGroup.X25519MLKEM768, client.publicKey);
  assert.equal(reason(() => client.complete(server.publicKey.subarray(0, 1119))), want);
  // A tampered ciphertext decapsulates (implicit rejection) to a different secret: the handshake then fails
  // at the first encrypted record (bad_record_mac), which test/unit/engine covers end to end.
  const tampered = server.publicKey.slice();
  tampered[10] = tampered[10]! ^ 1;
  assert.notDeepEqual(client.complete(tampered), server.sharedSecret);
  // An all-zero X25519 part is rejected (RFC 8446 §7.4.2 via the X25519 half).
  const zeroX = server.publicKey.slice();
  zeroX.fill(0, 1088);
  assert.equal(reason(() => client.complete(zeroX)), want);
});
