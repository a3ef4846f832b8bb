/**
 * A session store: what tickets cannot carry, kept where several servers can reach it. TLS 1.2 session IDs
 * (the state behind an ID lives on the server) and single-use TLS 1.3 tickets (a ticket is recorded when issued
 * and taken, atomically, on its one use). Values are opaque bytes: the resumer seals them under the ticket keys
 * before they leave the process, so the store never sees a master secret in the clear.
 *
 * Every call is asynchronous and may fail or hang; `SessionResumer` (src/session/resumer.ts) bounds each one and
 * turns failures into full handshakes.
 */

export interface SessionStore {
  /** The value under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Store `value` under `key` for `ttlSeconds`. */
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
  /** Atomically read and delete `key`: of several concurrent takes, one gets the value. */
  take(key: string): Promise<Uint8Array | undefined>;
  /** Release connections and timers. */
  close?(): Promise<void>;
}

export interface MemorySessionStoreOptions {
  /** Entries kept at most; the least recently used go first (default 20000). */
  readonly maxEntries?: number;
  /** Values longer than this are refused (default 16384 bytes). */
  readonly maxValueBytes?: number;
  /** Clock in ms (default Date.now). */
  readonly now?: () => number;
}

/** A bounded in-process store (one process; the default behaviour of a single server). */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, { value: Uint8Array; expires: number }>();
  readonly #max: number;
  readonly #maxValue: number;
  readonly #now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 20000);
    this.#maxValue = options.maxValueBytes ?? 16384;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): { value: Uint8Array; expires: number } | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    const e = this.#live(key);
    if (e !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, e);
    }
    return Promise.resolve(e?.value.slice());
  }

  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    if (value.length > this.#maxValue) return Promise.reject(new RangeError(`session value of ${value.length} bytes is over the ${this.#maxValue}-byte bound`));
    this.#entries.delete(key);
    this.#entries.set(key, { value: value.slice(), expires: this.#now() + ttlSeconds * 1000 });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return Promise.resolve();
  }

  take(key: string): Promise<Uint8Array | undefined> {
    const e = this.#live(key);
    this.#entries.delete(key);
    return Promise.resolve(e?.value);
  }
}
