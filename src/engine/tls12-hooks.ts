/**
 * Where the TLS 1.2 state machines plug into the engine. src/tls12 fills these in when it is loaded, so the
 * TLS 1.3 path does not depend on TLS 1.2 code.
 */
import type { HandshakeMessage } from '../wire/handshake.js';
import type { ClientHello } from '../wire/client-hello.js';
import type { ClientCx, Tls12Selected } from '../tls13/client.js';
import type { ServerCx } from '../tls13/server.js';
import type { Tls12Machine } from './connection.js';

export const tls12Hooks: {
  client: ((selected: Tls12Selected, cx: ClientCx) => Tls12Machine) | undefined;
  server: ((hello: ClientHello, m: HandshakeMessage, cx: ServerCx) => Tls12Machine) | undefined;
} = { client: undefined, server: undefined };
