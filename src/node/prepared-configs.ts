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
  /** The most recently used key (already last in the map's order: a hit on it reorders nothing). */
  #newest: string | undefined;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (hit !== undefined && key !== this.#newest) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      this.#newest = key;
    }
    return hit;
  }
  set(key: string, v: V): void {
    // A key set again keeps its place in the map's order: it is the newest only if it is new.
    if (!this.#map.has(key)) this.#newest = key;
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

/** A value {@link KeyMemo} compares by `===`: a primitive (a string compares whole), never an object that may change. */
function isPrimitive(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && typeof v !== 'function');
}

/** `v` as the memo keeps it: a primitive as is, an array of primitives copied; undefined when it cannot be kept. */
function memoValue(v: unknown): { readonly v: unknown } | undefined {
  if (isPrimitive(v)) return { v };
  if (Array.isArray(v) && v.every(isPrimitive)) return { v: Object.freeze([...(v as unknown[])]) };
  return undefined;
}

/** Whether `now` has the content of the kept `kept` (see memoValue). */
function sameValue(kept: unknown, now: unknown): boolean {
  if (kept === now) return true;
  if (!Array.isArray(kept) || !Array.isArray(now) || kept.length !== now.length) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== now[i]) return false;
  return true;
}

/** One configKey input the memo remembers: the fixed values, then the options' names and values in their order. */
interface KeptInput {
  readonly fixed: readonly unknown[];
  readonly names: readonly string[];
  readonly values: readonly unknown[];
  readonly key: string;
}

/**
 * The last few {@link configKey} results by their exact input, so that the same options passed again (node:tls
 * code passes the same PEM strings on every connect) cost a comparison, not a SHA-256 of every PEM. A hit needs
 * the same option names in the same order (the per-connection ones aside) with equal values: primitives compared
 * by `===` (strings by content) or arrays of them, element by element. That is the same content, so the same key.
 * Options holding anything else (a Uint8Array or an object, which may have changed in place since) are hashed
 * every time.
 */
class KeyMemo {
  readonly #kept: KeptInput[] = [];
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  key(o: object, skip: ReadonlySet<string>, fixed: readonly (readonly [string, unknown])[] = []): string | undefined {
    const rec = o as Record<string, unknown>;
    const names = Object.keys(rec);
    for (const kept of this.#kept) if (KeyMemo.#matches(kept, rec, names, skip, fixed)) return kept.key;
    const key = configKey(o, skip, fixed);
    if (key === undefined || this.#capacity === 0) return key;
    const keptFixed: unknown[] = [];
    for (const [, v] of fixed) {
      const m = memoValue(v);
      if (m === undefined) return key;
      keptFixed.push(m.v);
    }
    const keptNames: string[] = [];
    const keptValues: unknown[] = [];
    for (const name of names) {
      if (skip.has(name)) continue;
      const m = memoValue(rec[name]);
      if (m === undefined) return key;
      keptNames.push(name);
      keptValues.push(m.v);
    }
    this.#kept.unshift({ fixed: keptFixed, names: keptNames, values: keptValues, key });
    if (this.#kept.length > this.#capacity) this.#kept.pop();
    return key;
  }

  static #matches(kept: KeptInput, o: Record<string, unknown>, names: readonly string[], skip: ReadonlySet<string>, fixed: readonly (readonly [string, unknown])[]): boolean {
    if (kept.fixed.length !== fixed.length) return false;
    for (let i = 0; i < fixed.length; i++) if (!sameValue(kept.fixed[i], (fixed[i] as readonly [string, unknown])[1])) return false;
    let j = 0;
    for (const name of names) {
      if (skip.has(name)) continue;
      if (kept.names[j] !== name || !sameValue(kept.values[j], o[name])) return false;
      j++;
    }
    return j === kept.names.length;
  }
}

/**
 * What a client key takes besides the options: the effective server name (not `host` itself: it only matters
 * through it) and whether the caller checks the identity itself.
 */
function clientFixed(o: NodeClientOptions): readonly (readonly [string, unknown])[] {
  const servername = o.servername === '' ? '' : (o.servername ?? o.host ?? 'localhost');
  return [
    ['servername', servername],
    ['ownIdentityCheck', typeof o.checkServerIdentity === 'function'],
  ];
}

/** Configurations remembered by the memos in front of the content keys (per kind). */
const KEY_MEMO_SIZE = 4;

/** Prepared clients and servers by configuration content, and what connections made from them remember. */
export class PreparedConfigs {
  readonly #clients: Lru<TlsClient>;
  readonly #servers: Lru<TlsServer>;
  /** The content keys of the last few client / server options seen, by their exact values (see KeyMemo). */
  readonly #clientKeys: KeyMemo;
  readonly #serverKeys: KeyMemo;
  /**
   * TlsServers for SNICallback answers: by the answer object (node:tls callers return the same context each time),
   * then by the content of the server's other settings.
   */
  readonly #sniServers = new WeakMap<object, Lru<TlsServer>>();

  /** At most `capacity` clients and `capacity` servers are kept. */
  constructor(capacity = 64) {
    this.#clients = new Lru(capacity);
    this.#servers = new Lru(capacity);
    // Nothing to share (capacity 0: a connection's private set): nothing to remember either.
    this.#clientKeys = new KeyMemo(capacity === 0 ? 0 : KEY_MEMO_SIZE);
    this.#serverKeys = new KeyMemo(capacity === 0 ? 0 : KEY_MEMO_SIZE);
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
    return configKey(o, CLIENT_PER_CONNECTION, clientFixed(o));
  }

  /** The key of a server configuration. */
  static serverKey(o: NodeServerOptions): string | undefined {
    return configKey(o, SERVER_PER_CONNECTION);
  }

  /** A client for these options: the one prepared earlier from the same content, or a new one (kept). */
  client(o: NodeClientOptions): TlsClient {
    const key = this.#clientKeys.key(o, CLIENT_PER_CONNECTION, clientFixed(o));
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
    const key = this.#serverKeys.key(o, SERVER_PER_CONNECTION);
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
