/** Received alerts (src/engine/alerts.ts), driven directly: close, warnings by version, fatal, malformed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAlert } from '../../../src/engine/alerts.js';
import { TlsError } from '../../../src/errors.js';
import { AlertDescription as D } from '../../../src/wire/registry.js';

const rec = (level: number, d: number): Uint8Array => new Uint8Array([level, d]);

test('close_notify closes at either level, in either version', () => {
  for (const tls13 of [true, false]) for (const level of [1, 2]) assert.deepEqual(readAlert(rec(level, D.close_notify), tls13), { kind: 'close' });
});

test('warnings: any warning in TLS 1.2, only user_canceled in TLS 1.3', () => {
  assert.deepEqual(readAlert(rec(1, D.no_renegotiation), false), { kind: 'warning', description: D.no_renegotiation });
  assert.deepEqual(readAlert(rec(1, D.user_canceled), true), { kind: 'warning', description: D.user_canceled });
  assert.throws(() => readAlert(rec(1, D.no_renegotiation), true), (e: unknown) => e instanceof TlsError && e.kind === 'AlertReceived');
});

test('fatal alerts throw AlertReceived; bad level and length are the peer misbehaving', () => {
  assert.throws(() => readAlert(rec(2, D.handshake_failure), false), (e: unknown) => e instanceof TlsError && e.kind === 'AlertReceived');
  assert.throws(() => readAlert(rec(3, D.handshake_failure), true), (e: unknown) => e instanceof TlsError && e.alert === 'illegal_parameter');
  assert.throws(() => readAlert(new Uint8Array([1, 0, 0]), true), (e: unknown) => e instanceof TlsError && e.alert === 'decode_error');
});
