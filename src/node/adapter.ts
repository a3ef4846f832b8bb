/**
 * The adapter's entry object: node:tls's functions (`connect`, `createServer`, `TLSSocket`) and node:https's
 * `createServer`, bound to one {@link PreparedConfigs}, so connections made through them with the same options
 * share what was prepared from those options (parsed keys, chains, trust anchors) and the session authorizations
 * they remember. `sspi-tls/node` exports the functions of a default instance; make another for a separate cache.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestListener } from 'node:http';
import { connect as connectOnce, normalizeConnectArgs } from './connect.js';
import { TlsDuplex, type TlsDuplexOptions } from './duplex.js';
import { HttpsServer } from './https.js';
import type { ServerOptions as NodeServerOptions } from './server.js';
import { PreparedConfigs } from './prepared-configs.js';
import { Server } from './server.js';
import { validateConnectOptions, validateServerOptions } from './validate.js';

/** node:tls's `connect` overloads (see src/node/connect.ts). */
export type ConnectFunction = typeof connectOnce;
/** node:tls's `createServer(options?, secureConnectionListener?)`. */
export type CreateServerFunction = (options?: NodeServerOptions | ((socket: TlsDuplex) => void), listener?: (socket: TlsDuplex) => void) => Server;
/** node:https's `createServer(options?, requestListener?)`. */
export type CreateHttpsServerFunction = (options?: NodeServerOptions | RequestListener, requestListener?: RequestListener) => HttpsServer;

/** See the module comment. */
export class NodeTlsAdapter {
  /** What connections made here share. */
  readonly preparedConfigs: PreparedConfigs;
  /** node:tls `connect(...)`, with this adapter's prepared configurations. */
  readonly connect: ConnectFunction;
  /** node:tls `createServer(...)`, with this adapter's prepared configurations. */
  readonly createServer: CreateServerFunction;
  /** node:https `createServer(...)` on our TLS, with this adapter's prepared configurations. */
  readonly createHttpsServer: CreateHttpsServerFunction;
  /** node:tls `TLSSocket`: a {@link TlsDuplex} that shares this adapter's prepared configurations. */
  readonly TLSSocket: typeof TlsDuplex;
  /** node:tls warns once per process; we warn once per adapter. */
  #warnedUnauthorized = false;
  #warnedIpServername = false;

  /** `preparedConfigs` defaults to a new one (64 clients and 64 servers at most). */
  constructor(preparedConfigs: PreparedConfigs = new PreparedConfigs()) {
    this.preparedConfigs = preparedConfigs;
    const configs = preparedConfigs;
    this.connect = ((...args: unknown[]) => {
      const { options, listener } = normalizeConnectArgs(args);
      validateConnectOptions(options);
      const extra: { rejectUnauthorized?: boolean } = {};
      // node:tls: NODE_TLS_REJECT_UNAUTHORIZED=0 makes `rejectUnauthorized: false` the default, with this warning.
      if (options.rejectUnauthorized === undefined && process.env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
        extra.rejectUnauthorized = false;
        if (!this.#warnedUnauthorized) {
          this.#warnedUnauthorized = true;
          process.emitWarning(
            "Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS connections and HTTPS requests insecure by disabling certificate verification.",
          );
        }
      }
      // node:tls warns once when servername is an IP address (RFC 6066 §3: never sent as SNI; we do not send it).
      if (typeof options.servername === 'string' && isIP(options.servername) !== 0 && !this.#warnedIpServername) {
        this.#warnedIpServername = true;
        process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066. This will be ignored in a future version.', 'DeprecationWarning', 'DEP0123');
      }
      return connectOnce({ preparedConfigs: configs, ...options, ...extra }, listener);
    }) as ConnectFunction;
    this.createServer = (options, listener) => {
      if (typeof options === 'function') return new Server({ preparedConfigs: configs }, options);
      validateServerOptions(options ?? {});
      return new Server({ preparedConfigs: configs, ...(options ?? {}) }, listener);
    };
    this.createHttpsServer = (options, requestListener) => {
      if (typeof options === 'function') return new HttpsServer({ preparedConfigs: configs }, options);
      validateServerOptions(options ?? {});
      return new HttpsServer({ preparedConfigs: configs, ...(options ?? {}) }, requestListener);
    };
    this.TLSSocket = class TLSSocket extends TlsDuplex {
      constructor(transport: Duplex, options: TlsDuplexOptions = {}) {
        super(transport, { preparedConfigs: configs, ...options } as TlsDuplexOptions);
      }
    };
  }
}
