/**
 * Where the TLS 1.2 state machines plug into the engine. src/engine/connection.ts fills these in from src/tls12 (the
 * engine depends on tls12, never the reverse), so the TLS 1.3 state machines do not depend on TLS 1.2 code.
 */
import type { HandshakeMessage } from '../wire/handshake.js';
import type { ClientHello } from '../wire/client-hello.js';
import type { ClientCx, Tls12Selected } from '../tls13/client.js';
import type { ServerCx } from '../tls13/server.js';
import type { Tls12Machine } from './connection.js';

/** TLS 1.2 machine factories, called when TLS 1.2 is negotiated; src/engine/connection.ts fills them in (undefined until then). */
export const tls12Hooks: {
  client: ((selected: Tls12Selected, cx: ClientCx) => Tls12Machine) | undefined;
  server: ((hello: ClientHello, m: HandshakeMessage, cx: ServerCx) => Tls12Machine) | undefined;
} = { client: undefined, server: undefined };
