/**
 * The asynchronous session lookup, done at the hello stage's Accepted point (src/engine/hello-stage.ts) so the
 * engine itself stays synchronous: the ClientHello has been decoded, nothing has been answered, and before the
 * engine continues the resumer asks the store for what this hello could resume and hands the engine a
 * configuration for this one connection that already holds the answers:
 *
 * - a TLS 1.2 session ID: the stored session (sealed under the ticket keys) preloaded into the connection's
 *   session cache; a new full TLS 1.2 handshake's session is written back to the store;
 * - single-use TLS 1.3 tickets: each offered ticket's one use is taken from the store (GETDEL); a ticket the store
 *   does not hold (already used, expired, or never recorded) is marked used for this connection, so the engine
 *   does a full handshake. Tickets issued on this connection are recorded.
 *
 * Every store call is bounded by a timeout. A failure or timeout is logged once per outage and counts as a miss
 * (or as "already used" for single-use tickets: fail closed), so an outage costs full handshakes, never a failed
 * connection or a hang.
 */
import { hex } from '../codec/bytes.js';
import type { Accepted } from '../engine/hello-stage.js';
import { openTicket, sealTicket } from '../handshake/tickets.js';
import type { PreparedServerConfig } from '../vocabulary/config.js';
import type { SessionState } from '../vocabulary/session.js';
import { decodeOfferedPsks, findExtension } from '../wire/extensions.js';
import { ExtensionType, ProtocolVersion } from '../wire/registry.js';
import type { SessionStore } from './store.js';

export interface SessionResumerOptions {
  /** Bound on each store call in ms (default 250). */
  readonly timeoutMs?: number;
  /** Where outage messages go (one line when the store fails, one when it is back). Default: dropped. */
  readonly log?: (line: string) => void;
}

/** Key prefixes in the store. */
const SESSION_ID_PREFIX = 's12:';
const TICKET_PREFIX = 't13:';
/** The value recorded for an issued single-use ticket. */
const ISSUED = new Uint8Array([1]);

/** A connection's TLS 1.2 session cache: the preloaded session, and new sessions passed on to the store. */
class ConnectionSessionCache extends Map<string, SessionState> {
  #preloaded: SessionState | undefined;
  #onNew: ((key: string, state: SessionState) => void) | undefined;
  preload(key: string, state: SessionState): void {
    this.#preloaded = state;
    super.set(key, state);
  }
  listen(onNew: (key: string, state: SessionState) => void): void {
    this.#onNew = onNew;
  }
  override set(key: string, value: SessionState): this {
    if (value !== this.#preloaded) this.#onNew?.(key, value);
    return super.set(key, value);
  }
}

/** Looks sessions up in a store at the Accepted point; one per server, shared by its connections. */
export class SessionResumer {
  readonly store: SessionStore;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  #failing = false;

  constructor(store: SessionStore, options: SessionResumerOptions = {}) {
    this.store = store;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#log = options.log ?? (() => {});
  }

  /** `call` bounded by the timeout; undefined on failure (logged once per outage). */
  async #bounded<T>(what: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      });
      const value = await Promise.race([call(), timeout]);
      if (this.#failing) {
        this.#failing = false;
        this.#log('session store: available again');
      }
      return { ok: true, value };
    } catch (err) {
      if (!this.#failing) {
        this.#failing = true;
        this.#log(`session store: ${what} failed (${err instanceof Error ? err.message : String(err)}); continuing with full handshakes`);
      }
      return { ok: false };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Write without waiting for the answer (bounded and logged like every call). */
  #write(key: string, value: Uint8Array, ttlSeconds: number): void {
    void this.#bounded('write', () => this.store.set(key, value, ttlSeconds));
  }

  /**
   * The configuration for the connection whose ClientHello is `accepted`: `config` itself when there is nothing
   * to look up, else a copy holding this connection's session cache and used-ticket marks.
   */
  async configFor(accepted: Accepted, config: PreparedServerConfig): Promise<PreparedServerConfig> {
    const ch = accepted.clientHello;
    const p = config.provider;
    const lookups: Promise<void>[] = [];
    let cache12: ConnectionSessionCache | undefined;
    let used: Map<string, number> | undefined;

    const tls13 = ch.versions.includes(ProtocolVersion.TLS13) && config.maxVersion >= ProtocolVersion.TLS13;
    const tls12 = ch.versions.includes(ProtocolVersion.TLS12) && config.minVersion <= ProtocolVersion.TLS12;
    // A TLS 1.3 client's legacy_session_id is random (middlebox compatibility): look it up only when TLS 1.2 will be spoken.
    if (tls12 && !tls13) {
      cache12 = new ConnectionSessionCache();
      const id = ch.hello.legacySessionId;
      if (id.length > 0) {
        const key = hex(id);
        const cache = cache12;
        lookups.push(
          this.#bounded('lookup', () => this.store.get(SESSION_ID_PREFIX + key)).then((r) => {
            if (!r.ok || r.value === undefined) return;
            const state = openTicket(p, config.ticketKeys, r.value);
            if (state !== undefined) cache.preload(key, state);
          }),
        );
      }
      cache12.listen((key, state) => this.#write(SESSION_ID_PREFIX + key, sealTicket(p, config.ticketKeys, state), state.lifetimeSeconds));
    }

    if (tls13 && config.usedTickets !== undefined) {
      used = new Map();
      const marks = used;
      const ext = findExtension(ch.hello.extensions, ExtensionType.pre_shared_key);
      let identities: readonly Uint8Array[] = [];
      try {
        if (ext !== undefined) identities = decodeOfferedPsks(ext).identities.map((i) => i.identity);
      } catch {
        // Malformed: the engine rejects it with the right alert; nothing to look up.
      }
      for (const identity of identities) {
        const mark = hex(p.hash('sha256', identity));
        // Only tickets we sealed cost a store call (and can be used up): garbage identities are not resumable
        // anyway, and must not turn one ClientHello into many store calls.
        if (openTicket(p, config.ticketKeys, identity) === undefined) continue;
        lookups.push(
          this.#bounded('take', () => this.store.take(TICKET_PREFIX + mark)).then((r) => {
            // Not held by the store (used, expired, never issued) or no answer: not resumable here.
            if (!r.ok || r.value === undefined) marks.set(mark, Number.MAX_SAFE_INTEGER);
          }),
        );
      }
    }

    if (cache12 === undefined && used === undefined) return config;
    await Promise.all(lookups);
    const out: { -readonly [K in keyof PreparedServerConfig]: PreparedServerConfig[K] } = { ...config };
    if (cache12 !== undefined) out.sessionCache12 = cache12;
    if (used !== undefined) {
      out.usedTickets = used;
      out.onTicketIssued = (ticket, lifetimeSeconds) => this.#write(TICKET_PREFIX + hex(p.hash('sha256', ticket)), ISSUED, lifetimeSeconds);
    }
    return out;
  }
}
