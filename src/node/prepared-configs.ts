/**
 * Prepared configurations by content: what the adapter builds from node:tls options (parsed keys and chains, trust
 * anchors, ticket keys) is expensive, and code written for node:tls passes the same PEMs on every `connect()` or
 * `new TLSSocket(...)`. A PreparedConfigs maps each configuration's content to the TlsClient / TlsServer built from
 * it, so the second connection with the same options costs what a shared one costs.
 *
 * It is an object, never module state: the adapter's entry object (src/node/adapter.ts) owns one and passes it to
 * the connections it makes; a caller may make its own (or none: then nothing is shared).
 *
 * Keys fail closed: every option takes part (an option added later cannot be shared between configurations that
 * differ in it) except those a connection reads for itself (where to connect, the session to resume); a function,
 * or an object that is not plain data (a provider, a session store), means that configuration is not cached at all.
 * Secure contexts are keyed by the options they were made from.
 */
import { getDefaultProvider } from '../crypto/node-provider.js';
import { TlsClient, TlsServer } from '../index.js';
import { routedHooks } from './routed-hooks.js';
import { isSecureContext, toClientOptions, toServerOptions, type NodeClientOptions, type NodeServerOptions, type SniAnswer } from './options.js';

/** Client options a connection reads for itself (not part of the prepared client). */
const CLIENT_PER_CONNECTION: ReadonlySet<string> = new Set([
  'host', 'port', 'path', 'socket', 'session', 'timeout', 'family', 'hints', 'localAddress', 'localPort', 'lookup', 'signal',
  'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'allowHalfOpen', 'onread', 'handshakeTimeout', 'client', 'isServer',
  'preparedConfigs', 'connectTarget', 'servername', 'checkServerIdentity', 'highWaterMark', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout',
]);
/** Server options a connection reads for itself (not part of the prepared server). */
const SERVER_PER_CONNECTION: ReadonlySet<string> = new Set(['isServer', 'server', 'preparedConfigs', 'allowHalfOpen', 'handshakeTimeout', 'highWaterMark']);

/** For an SNI answer's server: the callback itself is not part of what is prepared (the answer replaces key/cert). */
const SNI_SERVER_PER_CONNECTION: ReadonlySet<string> = new Set([...SERVER_PER_CONNECTION, 'SNICallback']);

/** A bounded map, least recently used dropped first. */
class Lru<V> {
  readonly #map = new Map<string, V>();
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, hit);
    }
    return hit;
  }
  set(key: string, v: V): void {
    this.#map.set(key, v);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as string);
  }
  get size(): number {
    return this.#map.size;
  }
}

/**
 * The SHA-256 of a configuration's content, or undefined when something in it cannot be compared by content.
 * `fixed` entries come first (derived values, e.g. the effective server name), then every option not in `skip`.
 */
export function configKey(o: object, skip: ReadonlySet<string>, fixed: readonly (readonly [string, unknown])[] = []): string | undefined {
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
    } else if (depth <= 4 && typeof v === 'object' && isSecureContext(v)) {
      text('ctx');
      if (!add('options', { ...v.options }, depth + 1)) return false;
    } else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && depth <= 4) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      text(`o${entries.length}`);
      if (!entries.every(([k, x]) => add(k, x, depth + 1))) return false;
    } else return false;
    text('\0');
    return true;
  };
  for (const [k, v] of fixed) if (!add(k, v, 0)) return undefined;
  text('\u0001');
  const entries = Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (const [k, v] of entries) {
    if (skip.has(k)) continue;
    if (!add(k, v, 0)) return undefined;
  }
  return Buffer.from(h.peek()).toString('base64');
}

/** Prepared clients and servers by configuration content, and what connections made from them remember. */
export class PreparedConfigs {
  readonly #clients: Lru<TlsClient>;
  readonly #servers: Lru<TlsServer>;
  /**
   * TlsServers for SNICallback answers: by the answer object (node:tls callers return the same context each time),
   * then by the content of the server's other settings.
   */
  readonly #sniServers = new WeakMap<object, Lru<TlsServer>>();

  /** At most `capacity` clients and `capacity` servers are kept. */
  constructor(capacity = 64) {
    this.#clients = new Lru(capacity);
    this.#servers = new Lru(capacity);
  }

  /** Prepared clients and servers currently held. */
  get size(): { readonly clients: number; readonly servers: number } {
    return { clients: this.#clients.size, servers: this.#servers.size };
  }

  /**
   * The key of a client configuration. The effective server name counts (not `host` itself: it only matters through
   * it); `checkServerIdentity` is run by the adapter per connection, so only whether one is given counts.
   */
  static clientKey(o: NodeClientOptions): string | undefined {
    const servername = o.servername === '' ? '' : (o.servername ?? o.host ?? 'localhost');
    return configKey(o, CLIENT_PER_CONNECTION, [
      ['servername', servername],
      ['ownIdentityCheck', typeof o.checkServerIdentity === 'function'],
    ]);
  }

  /** The key of a server configuration. */
  static serverKey(o: NodeServerOptions): string | undefined {
    return configKey(o, SERVER_PER_CONNECTION);
  }

  /** A client for these options: the one prepared earlier from the same content, or a new one (kept). */
  client(o: NodeClientOptions): TlsClient {
    const key = PreparedConfigs.clientKey(o);
    const hit = key === undefined ? undefined : this.#clients.get(key);
    if (hit !== undefined) return hit;
    const client = new TlsClient(toClientOptions(o, routedHooks));
    // node:tls resumes only the session the caller passes; a shared client must not offer another's tickets.
    client.resume = false;
    if (key !== undefined) this.#clients.set(key, client);
    return client;
  }

  /**
   * A server for these options: the one prepared earlier from the same content, or a new one (kept). Connections
   * sharing it share its ticket keys, as connections of one node:tls server do.
   */
  server(o: NodeServerOptions): TlsServer {
    const key = PreparedConfigs.serverKey(o);
    const hit = key === undefined ? undefined : this.#servers.get(key);
    if (hit !== undefined) return hit;
    const server = new TlsServer(toServerOptions(o, routedHooks));
    if (key !== undefined) this.#servers.set(key, server);
    return server;
  }

  /** The server for credentials an SNICallback chose (`o` gives the other settings). */
  sniServer(creds: SniAnswer, o: NodeServerOptions): TlsServer {
    const key = configKey(o, SNI_SERVER_PER_CONNECTION);
    let byKey = this.#sniServers.get(creds);
    const hit = key === undefined ? undefined : byKey?.get(key);
    if (hit !== undefined) return hit;
    // node:tls: the answer's own settings (ca, ciphers… of its secure context) replace the server's.
    const own: Record<string, unknown> = isSecureContext(creds) ? { ...creds.options } : { ...creds };
    delete own['key'];
    delete own['cert'];
    const server = new TlsServer(toServerOptions({ ...o, ...own }, routedHooks, creds));
    if (key !== undefined) {
      if (byKey === undefined) {
        byKey = new Lru(8);
        this.#sniServers.set(creds, byKey);
      }
      byKey.set(key, server);
    }
    return server;
  }
}
