/**
 * node:tls's limit on TLS 1.2 renegotiations a client starts (lib/_tls_wrap.js onhandshakestart): a server socket
 * counts handshake starts; a start within `tls.CLIENT_RENEG_WINDOW` seconds of the previous one adds one, a later
 * one starts the count again at 1; past `tls.CLIENT_RENEG_LIMIT` it is an attack (ERR_TLS_SESSION_ATTACK). After
 * `disableRenegotiation()` any renegotiation start is refused (ERR_TLS_RENEGOTIATION_DISABLED). The limit and window
 * are read from node:tls when a renegotiation starts, so a program that sets them there configures us too.
 */
import nodeTls from 'node:tls';

/** Renegotiations the adapter's server lets the engine run per connection (a bound on work; node:tls has none). */
export const NODE_SERVER_RENEGOTIATIONS = 1000;

/** Why a renegotiation start is refused: node:tls's error, or undefined to let it run. */
export class RenegotiationGuard {
  #lastStart: number;
  #count = 0;
  #disabled = false;
  readonly #isServer: boolean;

  /** `firstHandshakeAt`: when the connection's first handshake started (ms). */
  constructor(isServer: boolean, firstHandshakeAt: number) {
    this.#isServer = isServer;
    this.#lastStart = firstHandshakeAt;
  }

  /** node:tls `disableRenegotiation()`. */
  disable(): void {
    this.#disabled = true;
  }

  /** A renegotiation started at `now` (ms): the error that ends the connection, or undefined. */
  started(now: number): (Error & { code: string }) | undefined {
    const windowMs = Number(nodeTls.CLIENT_RENEG_WINDOW) * 1000;
    this.#count = now - this.#lastStart >= windowMs ? 1 : this.#count + 1;
    this.#lastStart = now;
    if (this.#isServer && this.#count > Number(nodeTls.CLIENT_RENEG_LIMIT)) {
      return Object.assign(new Error('TLS session renegotiation attack detected'), { code: 'ERR_TLS_SESSION_ATTACK' });
    }
    if (this.#disabled) {
      return Object.assign(new Error('TLS session renegotiation disabled for this socket'), { code: 'ERR_TLS_RENEGOTIATION_DISABLED' });
    }
    return undefined;
  }
}
