/**
 * node:tls's external session cache events on our Server: 'newSession' (sessionId, sessionData, done) when a TLS 1.2
 * session is created, 'resumeSession' (sessionId, callback(err, sessionData | null)) when a ClientHello offers a
 * session ID. They are a SessionStore (src/session/store.ts) whose TLS 1.2 keys go to the program's listeners; the
 * resumer asks it at the Accepted point, like any store, with the same timeout and outage handling. The session
 * data handed out is sealed under the server's ticket keys (opaque bytes, as in node:tls).
 *
 * Single-use TLS 1.3 ticket records have no node:tls event; they stay in a bounded in-process store.
 */
import type { EventEmitter } from 'node:events';
import { fromHex } from '../codec/bytes.js';
import { MemorySessionStore, type SessionStore } from '../session/store.js';

/** The resumer's key prefix for TLS 1.2 session IDs (src/session/resumer.ts). */
const SESSION_ID_PREFIX = 's12:';

export class SessionEventStore implements SessionStore {
  readonly #server: EventEmitter;
  readonly #local = new MemorySessionStore();

  constructor(server: EventEmitter) {
    this.#server = server;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    if (!key.startsWith(SESSION_ID_PREFIX)) return this.#local.get(key);
    if (this.#server.listenerCount('resumeSession') === 0) return Promise.resolve(undefined);
    const id = Buffer.from(fromHex(key.slice(SESSION_ID_PREFIX.length)));
    return new Promise((resolve, reject) => {
      this.#server.emit('resumeSession', id, (err: Error | null, data?: Buffer | Uint8Array | null) => {
        if (err !== null && err !== undefined) reject(err);
        else resolve(data === null || data === undefined ? undefined : new Uint8Array(data));
      });
    });
  }

  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    if (!key.startsWith(SESSION_ID_PREFIX)) return this.#local.set(key, value, ttlSeconds);
    if (this.#server.listenerCount('newSession') === 0) return Promise.resolve();
    const id = Buffer.from(fromHex(key.slice(SESSION_ID_PREFIX.length)));
    return new Promise((resolve) => {
      this.#server.emit('newSession', id, Buffer.from(value), () => resolve());
    });
  }

  take(key: string): Promise<Uint8Array | undefined> {
    return this.#local.take(key);
  }
}
