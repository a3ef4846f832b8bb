/**
 * The one check the state machines make on an incoming handshake message's type: the message a state can take,
 * or unexpected_message (RFC 8446 §6.2, RFC 5246 §7.2.2), with the names of what was expected.
 */
import { unexpected, type TlsError } from '../errors.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { HandshakeType, nameOf } from '../wire/registry.js';

/** Throw unexpected_message unless `m` is of type `type`. */
export function expect(m: HandshakeMessage, type: number): void {
  if (m.type !== type) throw unexpectedMessage(m, [nameOf(HandshakeType, type)]);
}

/** The unexpected_message error for `m` where `expected` (names, or a phrase) would have been accepted. */
export function unexpectedMessage(m: HandshakeMessage, expected: readonly string[]): TlsError {
  return unexpected(nameOf(HandshakeType, m.type), expected);
}
