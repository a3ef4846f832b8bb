/**
 * `connect(...)`: node:tls-style client. Opens a TCP (or IPC) connection, or uses `options.socket`, and runs our
 * engine over it; 'secureConnect' fires when the handshake completes. Takes node:tls's overloads:
 * `connect(options[, cb])`, `connect(port[, host][, options][, cb])`, `connect(path[, options][, cb])`.
 *
 * Connections whose options are passed per call share one prepared client per configuration (by content: the same
 * PEMs give the same prepared trust anchors and keys) when a PreparedConfigs is given (`preparedConfigs`; the
 * adapter's entry object passes its own), so they cost about what a shared TlsClient costs.
 */
import { connect as netConnect, type LookupFunction, type NetConnectOpts } from 'node:net';
import { addAbortSignal } from 'node:stream';
import type { TlsClient } from '../index.js';
import { TlsDuplex, type OnReadOptions } from './duplex.js';
import type { NodeClientOptions } from './options.js';
import { withNodeDefaults } from './node-defaults.js';
import { PreparedConfigs } from './prepared-configs.js';

/** Options of {@link connect}: node:tls client options, plus a TlsClient to share (its ticket cache). */
export interface ConnectOptions extends NodeClientOptions {
  /** Share this TlsClient (session cache, parsed trust anchors) instead of building one per connection. */
  readonly client?: TlsClient;
  /** An IPC path to connect to instead of host/port. */
  readonly path?: string;
  /** net.connect options passed through. */
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly family?: number;
  readonly lookup?: LookupFunction;
  /** net.connect options passed through (address lookup hints, Happy Eyeballs, TCP settings). */
  readonly hints?: number;
  readonly autoSelectFamily?: boolean;
  readonly autoSelectFamilyAttemptTimeout?: number;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
  /** net.Socket / node:tls: plaintext into the caller's buffer through a callback instead of 'data'. */
  readonly onread?: OnReadOptions;
  /** node:tls / net.Socket: aborting destroys the socket with an AbortError. */
  readonly signal?: AbortSignal;
  /** Milliseconds of inactivity before 'timeout' (node:tls / net.Socket `timeout`). */
  readonly timeout?: number;
  /** Share prepared clients (by configuration content) through this; without it each call prepares its own. */
  readonly preparedConfigs?: PreparedConfigs;
}

type Listener = () => void;

/** node:tls's overloads → one options object and the listener. */
export function normalizeConnectArgs(args: readonly unknown[]): { options: ConnectOptions; listener: Listener | undefined } {
  let options: Record<string, unknown> = {};
  let listener: Listener | undefined;
  let i = 0;
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    options.port = Number(first);
    i = 1;
    if (typeof args[1] === 'string') {
      options.host = args[1];
      i = 2;
    }
  } else if (typeof first === 'string') {
    options.path = first;
    i = 1;
  }
  for (; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'function') listener = a as Listener;
    else if (a !== null && typeof a === 'object') options = { ...a, ...options };
  }
  if (typeof options.port === 'string') options.port = Number(options.port);
  return { options: options as ConnectOptions, listener };
}

/** Connect and start the handshake; `secureConnectListener` is added as a 'secureConnect' listener. */
export function connect(options: ConnectOptions, secureConnectListener?: () => void): TlsDuplex;
/** node:tls: `connect(port, host?, options?, listener?)`. */
export function connect(port: number, host?: string, options?: ConnectOptions, secureConnectListener?: () => void): TlsDuplex;
/** node:tls: `connect(port, options?, listener?)`. */
export function connect(port: number, options?: ConnectOptions, secureConnectListener?: () => void): TlsDuplex;
/** node:tls: `connect(path, options?, listener?)` over IPC. */
export function connect(path: string, options?: ConnectOptions, secureConnectListener?: () => void): TlsDuplex;
export function connect(...args: unknown[]): TlsDuplex {
  const { options, listener } = normalizeConnectArgs(args);
  const host = options.host ?? 'localhost';
  // Configuration errors throw here, before any connection is opened. node:tls's process defaults
  // (tls.DEFAULT_MIN_VERSION / DEFAULT_MAX_VERSION) and a version-pinning secureProtocol apply as TlsDuplex applies them.
  const client = options.client ?? (options.preparedConfigs ?? new PreparedConfigs(0)).client(withNodeDefaults({ ...options, host }));
  let transport = options.socket;
  if (transport === undefined) {
    const net: Record<string, unknown> = { allowHalfOpen: true };
    if (typeof options.path === 'string' && options.path !== '') net.path = options.path;
    else {
      net.host = host;
      net.port = options.port ?? 443;
    }
    const passed = ['localAddress', 'localPort', 'family', 'lookup', 'hints', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive', 'keepAliveInitialDelay'] as const;
    for (const k of passed) if (options[k] !== undefined) net[k] = options[k];
    transport = netConnect(net as unknown as NetConnectOpts);
  }
  const connectTarget = { path: options.path, host: options.host, port: options.port, localAddress: options.localAddress };
  const socket = new TlsDuplex(transport, { ...options, host, isServer: false, client, connectTarget });
  transport.on('connect', () => socket.emit('connect'));
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  // As net.Socket: an aborted signal destroys the socket (at once when it is already aborted) with an AbortError.
  if (options.signal !== undefined) addAbortSignal(options.signal, socket);
  if (listener !== undefined) socket.once('secureConnect', listener);
  return socket;
}
