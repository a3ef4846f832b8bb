/**
 * `connect(...)`: node:tls-style client. Opens a TCP (or IPC) connection, or uses `options.socket`, and runs our
 * engine over it; 'secureConnect' fires when the handshake completes. Takes node:tls's overloads:
 * `connect(options[, cb])`, `connect(port[, host][, options][, cb])`, `connect(path[, options][, cb])`.
 *
 * Connections whose options are passed per call share one prepared client per configuration (by content: the same
 * PEMs give the same prepared trust anchors and keys), so they cost about what a shared TlsClient costs.
 */
import { getDefaultProvider } from '../crypto/node-provider.js';
import { connect as netConnect, type LookupFunction, type NetConnectOpts } from 'node:net';
import { TlsClient } from '../index.js';
import { routedHooks, TlsDuplex } from './duplex.js';
import { toClientOptions, type NodeClientOptions } from './options.js';

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
  /** Milliseconds of inactivity before 'timeout' (node:tls / net.Socket `timeout`). */
  readonly timeout?: number;
}

type Listener = () => void;

/**
 * Options that belong to one connection, not to the prepared configuration: where to connect (host only through the
 * server name it implies), the socket, the session to resume, and the callbacks node:net takes.
 */
const PER_CONNECTION: ReadonlySet<string> = new Set(['host', 'port', 'path', 'socket', 'session', 'timeout', 'family', 'hints', 'localAddress', 'localPort', 'lookup', 'signal', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'allowHalfOpen', 'onread']);

/** Prepared clients by configuration content (bounded: least recently used dropped first). */
class PreparedClients {
  readonly #map = new Map<string, TlsClient>();
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /**
   * The key of a configuration, or undefined when it holds something we cannot compare by content. Fails closed: every
   * option takes part in the key (an option added later cannot be silently shared between configurations) except
   * the per-connection ones listed in PER_CONNECTION; a function, or an object that is not plain data, means no
   * caching at all. `checkServerIdentity` is run by the adapter per connection: only whether one is given counts.
   */
  static keyOf(o: NodeClientOptions): string | undefined {
    const h = getDefaultProvider().createHash('sha256');
    const text = (t: string): void => h.update(Buffer.from(t, 'utf8'));
    const add = (name: string, v: unknown, depth: number): boolean => {
      if (v === undefined) return true;
      text(`${name}\0`);
      if (typeof v === 'string') text(`s${v.length}:${v}`);
      else if (v instanceof Uint8Array) {
        text(`b${v.length}:`);
        h.update(v);
      } else if (typeof v === 'number' || typeof v === 'boolean' || v === null) text(`${typeof v}:${String(v)}`);
      else if (Array.isArray(v)) {
        text(`a${v.length}`);
        if (depth > 4 || !v.every((x: unknown, i) => add(String(i), x, depth + 1))) return false;
      } else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && depth <= 4) {
        const entries = Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        text(`o${entries.length}`);
        if (!entries.every(([k, x]) => add(k, x, depth + 1))) return false;
      } else return false;
      text('\0');
      return true;
    };
    if (!add('servername', o.servername === '' ? '' : (o.servername ?? o.host ?? 'localhost'), 0)) return undefined;
    add('ownIdentityCheck', typeof o.checkServerIdentity === 'function', 0);
    const entries = Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    for (const [k, v] of entries) {
      if (PER_CONNECTION.has(k) || k === 'servername' || k === 'checkServerIdentity') continue;
      if (!add(k, v, 0)) return undefined;
    }
    return Buffer.from(h.peek()).toString('base64');
  }

  get(o: NodeClientOptions): TlsClient {
    const key = PreparedClients.keyOf(o);
    if (key === undefined) return this.#build(o);
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    const client = this.#build(o);
    this.#map.set(key, client);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as string);
    return client;
  }

  #build(o: NodeClientOptions): TlsClient {
    const client = new TlsClient(toClientOptions(o, routedHooks));
    // node:tls resumes only the session the caller passes; a shared client must not offer another's tickets.
    client.resume = false;
    return client;
  }
}

/**
 * The one process-wide cache of this module: prepared (parsed, immutable) configurations, keyed by their content,
 * at most 64. It holds no connection state; a configuration error is thrown before anything is cached.
 */
const prepared = new PreparedClients(64);

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
  // Configuration errors throw here, before any connection is opened.
  const client = options.client ?? prepared.get({ ...options, host });
  let transport = options.socket;
  if (transport === undefined) {
    const net: Record<string, unknown> = { allowHalfOpen: true };
    if (typeof options.path === 'string' && options.path !== '') net.path = options.path;
    else {
      net.host = host;
      net.port = options.port ?? 443;
    }
    for (const k of ['localAddress', 'localPort', 'family', 'lookup'] as const) if (options[k] !== undefined) net[k] = options[k];
    transport = netConnect(net as unknown as NetConnectOpts);
  }
  const socket = new TlsDuplex(transport, { ...options, host, isServer: false, client });
  transport.on('connect', () => socket.emit('connect'));
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  if (listener !== undefined) socket.once('secureConnect', listener);
  return socket;
}
