/**
 * `connect(options, cb)`: node:tls-style client. Opens a TCP connection (or uses `options.socket`) and runs our
 * engine over it; 'secureConnect' fires when the handshake completes.
 */
import { connect as netConnect } from 'node:net';
import type { TlsClient } from '../index.js';
import { TlsDuplex } from './duplex.js';
import type { NodeClientOptions } from './options.js';

/** Options of {@link connect}: node:tls client options, plus a TlsClient to share (its ticket cache). */
export interface ConnectOptions extends NodeClientOptions {
  /** Share this TlsClient (session cache, parsed trust anchors) instead of building one per connection. */
  readonly client?: TlsClient;
}

/** Connect and start the handshake; `secureConnectListener` is added as a 'secureConnect' listener. */
export function connect(options: ConnectOptions, secureConnectListener?: () => void): TlsDuplex {
  const host = options.host ?? 'localhost';
  const transport =
    options.socket ?? netConnect({ host, port: options.port ?? 443, allowHalfOpen: true });
  const socket = new TlsDuplex(transport, { ...options, host, isServer: false });
  if (secureConnectListener !== undefined) socket.once('secureConnect', secureConnectListener);
  return socket;
}
