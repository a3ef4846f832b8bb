/**
 * The provider's X25519 on both ends: the server's one-call path (keyExchangeServer) agrees with the client's
 * (keyExchangeClient + complete), and a low-order share (RFC 7748 §6.1: an all-zero shared secret, which RFC 8446
 * §7.4.2 says MUST be rejected) or a share of the wrong length is refused with illegal_parameter on either side.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { TlsError } from '../../../src/errors.js';
import { NamedGroup } from '../../../src/wire/registry.js';

const X = NamedGroup.x25519;

function assertIllegalShare(f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof TlsError && e.alertCode === 47 && /InvalidKeyShare/.test(e.reason));
}

describe('X25519 through the node:crypto provider', () => {
  const p = new NodeCryptoProvider();

  test('server and client derive the same secret, fresh keys each time', () => {
    const c = p.keyExchangeClient(X);
    assert.ok(c !== undefined);
    const s = p.keyExchangeServer(X, c.publicKey);
    assert.equal(s.publicKey.length, 32);
    assert.deepEqual(c.complete(s.publicKey), s.sharedSecret);
    const again = p.keyExchangeServer(X, c.publicKey);
    assert.notDeepEqual(again.publicKey, s.publicKey);
    assert.notDeepEqual(again.sharedSecret, s.sharedSecret);
  });

  test('low-order shares (all-zero secret) and wrong lengths are refused', () => {
    // u = 0 and u = 1 are points of small order: the X25519 result is all zeros.
    const zero = new Uint8Array(32);
    const one = new Uint8Array(32);
    one[0] = 1;
    for (const share of [zero, one, new Uint8Array(31), new Uint8Array(33)]) {
      assertIllegalShare(() => p.keyExchangeServer(X, share));
      const c = p.keyExchangeClient(X);
      assert.ok(c !== undefined);
      assertIllegalShare(() => c.complete(share));
    }
  });
});
