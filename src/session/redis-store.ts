/**
 * A session store on Redis, through the `redis` client (node-redis, maintained by Redis Ltd.). Keys carry a TTL
 * equal to the session lifetime (SET … EX), the single-use take is GETDEL (atomic on the server, Redis ≥ 6.2),
 * values (hex text) are bounded, and the client never queues commands while disconnected (`disableOfflineQueue`), so an
 * outage fails calls at once instead of piling them up; the resumer adds a timeout on each call.
 *
 * The client library is loaded when the first store is made (a dynamic import), so programs that never use Redis
 * do not load it; until it is loaded and connected, calls fail at once (a miss: a full handshake).
 */
import type { createClient } from 'redis';
import { fromHex, hex } from '../codec/bytes.js';
import type { SessionStore } from './store.js';

export interface RedisSessionStoreOptions {
  /** redis://[user:pass@]host:port[/db] (rediss:// for TLS). */
  readonly url: string;
  /** Prefix of every key (default 'sspi-tls:'). */
  readonly prefix?: string;
  /** Values longer than this are refused on write and ignored on read (default 16384 bytes). */
  readonly maxValueBytes?: number;
  /** Bound on connecting (ms, default 1000). Reconnection is retried in the background. */
  readonly connectTimeoutMs?: number;
  /** Connection errors are reported here (the resumer logs each outage once); default: dropped. */
  readonly onError?: (err: Error) => void;
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000;

type Client = ReturnType<typeof createClient>;

export class RedisSessionStore implements SessionStore {
  #client: Client | undefined;
  readonly #prefix: string;
  readonly #maxValue: number;
  /** Settles once the client library is loaded and the client made (connecting goes on in the background). */
  readonly #started: Promise<void>;
  #closed = false;

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.prefix ?? 'sspi-tls:';
    this.#maxValue = options.maxValueBytes ?? 16384;
    const onError = options.onError;
    const report = (err: unknown): void => onError?.(err instanceof Error ? err : new Error(String(err)));
    this.#started = import('redis').then(
      ({ createClient }) => {
        if (this.#closed) return;
        const client = createClient({
          url: options.url,
          disableOfflineQueue: true,
          socket: {
            connectTimeout: options.connectTimeoutMs ?? 1000,
            reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), MAX_RECONNECT_DELAY_MS),
          },
        });
        // Without a listener an 'error' event would throw; errors also reach the callers of the failed commands.
        client.on('error', report);
        this.#client = client;
        // Connect in the background (it retries while Redis is down): until it is up, calls fail at once (no offline
        // queue) and handshakes are full.
        client.connect().catch(report);
      },
      report,
    );
  }

  /** Resolves once the client library is loaded and the client made (for tests and tools). */
  started(): Promise<void> {
    return this.#started;
  }

  #ready(): Client {
    const c = this.#client;
    if (c === undefined || this.#closed) throw new Error('the Redis client is not started');
    return c;
  }

  /**
   * Resolves true once the client is connected and ready, false if it is not within `timeoutMs` (or the store is
   * closed). For a server that would rather start listening with its store up; it never needs to wait.
   */
  async connected(timeoutMs: number): Promise<boolean> {
    await this.#started;
    const c = this.#client;
    if (c === undefined || this.#closed) return false;
    if (c.isReady) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        c.off('ready', onReady);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      c.on('ready', onReady);
    });
  }

  /** Whether the client is connected and ready now. */
  get ready(): boolean {
    return this.#client?.isReady === true;
  }

  #decode(v: string | null | undefined): Uint8Array | undefined {
    if (typeof v !== 'string' || v.length === 0 || v.length > 2 * this.#maxValue || v.length % 2 !== 0) return undefined;
    try {
      return fromHex(v);
    } catch {
      return undefined;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = await this.#ready().get(this.#prefix + key);
    return this.#decode(v);
  }

  async set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    if (value.length > this.#maxValue) throw new RangeError(`session value of ${value.length} bytes is over the ${this.#maxValue}-byte bound`);
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await this.#ready().set(this.#prefix + key, hex(value), { expiration: { type: 'EX', value: ttl } });
  }

  async take(key: string): Promise<Uint8Array | undefined> {
    const v = await this.#ready().getDel(this.#prefix + key);
    return this.#decode(v);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#started;
    const c = this.#client;
    if (c === undefined) return;
    try {
      // Graceful only when connected: a client still reconnecting is dropped at once.
      if (c.isReady) await c.close();
      else c.destroy();
    } catch {
      c.destroy();
    }
  }
}
