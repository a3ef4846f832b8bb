/** The one expect helper of the state machines (src/handshake/expect.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expect, unexpectedMessage } from '../../../src/handshake/expect.js';
import { TlsError } from '../../../src/errors.js';
import { HandshakeType } from '../../../src/wire/registry.js';

const msg = (type: number) => ({ type, body: new Uint8Array(0), raw: new Uint8Array([type, 0, 0, 0]) });

test('expect passes the expected type and refuses any other with unexpected_message naming both', () => {
  expect(msg(HandshakeType.Finished), HandshakeType.Finished);
  assert.throws(
    () => expect(msg(HandshakeType.Certificate), HandshakeType.Finished),
    (e: unknown) => e instanceof TlsError && e.alert === 'unexpected_message' && e.reason === 'UnexpectedMessage.Certificate' && /expected Finished/.test(e.message),
  );
  const e = unexpectedMessage(msg(HandshakeType.KeyUpdate), ['Certificate', 'CertificateRequest']);
  assert.match(e.message, /got KeyUpdate, expected Certificate or CertificateRequest/);
});
