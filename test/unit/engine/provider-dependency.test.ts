/**
 * The crypto provider is a dependency passed in: a configuration that names no `provider` gets the one of the
 * EngineDependencies it is prepared with (src/engine/standard.ts's node:crypto provider for the front ends), not a
 * module-level default reached by import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareClientConfig } from '../../../src/engine/config.js';
import { createClientEngine } from '../../../src/engine/connection.js';
import { STANDARD_DEPENDENCIES } from '../../../src/engine/standard.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';

test('a configuration without a provider uses the dependencies\' provider', () => {
  const fixed = new NodeCryptoProvider({ randomBytes: (n) => new Uint8Array(n).fill(7) });
  const deps = { tls12: STANDARD_DEPENDENCIES.tls12, trust: STANDARD_DEPENDENCIES.trust, provider: fixed };
  const config = prepareClientConfig({ servername: 'localhost', rejectUnauthorized: false }, deps);
  assert.equal(config.provider, fixed);
  const hello = createClientEngine(config, deps).start();
  // record header (5) ‖ handshake header (4) ‖ legacy_version (2) ‖ random (32)
  assert.deepEqual([...hello.subarray(11, 43)], new Array(32).fill(7));
  // The standard dependencies carry the node:crypto provider, the same object on every read.
  assert.ok(STANDARD_DEPENDENCIES.provider instanceof NodeCryptoProvider);
  assert.equal(STANDARD_DEPENDENCIES.provider, STANDARD_DEPENDENCIES.provider);
});
