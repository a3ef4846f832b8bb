/**
 * Ticket-key sources several servers share, so that a ticket issued by one is accepted by the others
 * (docs/design/shared-sessions.md has the security reasoning):
 *
 * - `staticTicketKeys`: an operator-managed list, as Windows' SECPKG_ATTR_SESSION_TICKET_KEYS: at most 16 keys,
 *   tickets issued under the first and accepted under any. It never rotates on its own; the operator replaces it.
 * - `RotatingTicketKeys`: keys derived from one shared secret and the clock. Time is cut into periods; the key of
 *   period e is HKDF(secret, "period e"), so every server holding the secret computes the same current and previous
 *   keys without talking to the others. Only the keys of the periods still accepted are kept in memory.
 */
import { TicketKeys } from '../engine/config.js';
import { configError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { hkdfExpand, hkdfExtract } from '../tls13/key-schedule.js';
import type { TicketKeyStore } from '../vocabulary/config.js';

/** One ticket key: a 16-byte name (sent in each ticket) and a 32-byte AES-256-GCM key. */
export interface TicketKey {
  readonly id: Uint8Array;
  readonly key: Uint8Array;
}

/** SECPKG_ATTR_SESSION_TICKET_KEYS allows at most this many keys. */
export const MAX_STATIC_TICKET_KEYS = 16;

/** A static key list: issue under the first, accept under any (at most 16, 16-byte ids, 32-byte keys). */
export function staticTicketKeys(provider: CryptoProvider, keys: readonly TicketKey[]): TicketKeyStore {
  if (keys.length > MAX_STATIC_TICKET_KEYS) throw configError(`at most ${MAX_STATIC_TICKET_KEYS} ticket keys`);
  const store = new TicketKeys(provider, 0);
  store.replace(keys);
  return store;
}

/** Shortest shared secret accepted (256 bits). */
export const MIN_TICKET_SECRET = 32;

export interface RotatingTicketKeysOptions {
  /** Length of one period in seconds (default 7200, the default ticket lifetime). Keep it ≥ the ticket lifetime. */
  readonly periodSeconds?: number;
  /**
   * Accept the next period's key this many seconds before its period starts, for servers whose clocks run a
   * little ahead (default 30).
   */
  readonly clockSkewSeconds?: number;
}

const SALT = new TextEncoder().encode('sspi-tls ticket keys v1');
const LABEL = new TextEncoder().encode('sspi-tls ticket key period ');

/**
 * Ticket keys derived from a shared secret and the clock. The current period's key issues tickets; the previous
 * period's key (and, near a boundary, the next one's) still opens them, so a ticket stays usable for at least one
 * whole period. `rotate()` does nothing (the clock rotates) and `replace()` is refused: give a static list instead.
 */
export class RotatingTicketKeys implements TicketKeyStore {
  readonly lifetimeMs: number;
  readonly #provider: CryptoProvider;
  /** HKDF-Extract of the secret: the secret itself is not kept. */
  readonly #prk: Uint8Array;
  readonly #skewMs: number;
  /** Keys of the periods currently accepted, by period number. Older ones are zeroed and dropped. */
  readonly #keys = new Map<number, TicketKey>();

  constructor(provider: CryptoProvider, secret: Uint8Array, options: RotatingTicketKeysOptions = {}) {
    if (secret.length < MIN_TICKET_SECRET) throw configError(`the ticket secret must be at least ${MIN_TICKET_SECRET} bytes`);
    const period = options.periodSeconds ?? 7200;
    if (!Number.isInteger(period) || period < 1) throw configError('the ticket-key period must be a whole number of seconds ≥ 1');
    this.#provider = provider;
    this.lifetimeMs = period * 1000;
    this.#skewMs = Math.max(0, options.clockSkewSeconds ?? 30) * 1000;
    this.#prk = hkdfExtract(provider, 'sha256', SALT, secret);
  }

  /** The period number of time `ms`. */
  period(ms: number = this.#provider.now()): number {
    return Math.floor(ms / this.lifetimeMs);
  }

  /** The key of period `e` (derived on first use, kept while accepted). */
  keyOf(e: number): TicketKey {
    let k = this.#keys.get(e);
    if (k === undefined) {
      const info = new Uint8Array(LABEL.length + 8);
      info.set(LABEL, 0);
      new DataView(info.buffer).setBigUint64(LABEL.length, BigInt(e));
      const okm = hkdfExpand(this.#provider, 'sha256', this.#prk, info, 48, 32);
      k = { id: okm.slice(0, 16), key: okm.slice(16, 48) };
      okm.fill(0);
      this.#keys.set(e, k);
    }
    return k;
  }

  /** Periods whose keys open tickets now: previous, current, and the next one close to its start. */
  #accepted(now: number): number[] {
    const e = this.period(now);
    const out = [e, e - 1];
    if ((e + 1) * this.lifetimeMs - now <= this.#skewMs) out.push(e + 1);
    // Key erasure: a key no longer accepted is zeroed and forgotten.
    for (const [n, k] of this.#keys) {
      if (!out.includes(n)) {
        k.key.fill(0);
        this.#keys.delete(n);
      }
    }
    return out;
  }

  current(): TicketKey {
    const now = this.#provider.now();
    this.#accepted(now);
    return this.keyOf(this.period(now));
  }

  find(id: Uint8Array): Uint8Array | undefined {
    if (id.length !== 16) return undefined;
    for (const e of this.#accepted(this.#provider.now())) {
      const k = this.keyOf(e);
      if (this.#provider.equalSecret(k.id, id)) return k.key;
    }
    return undefined;
  }

  /** The clock rotates these keys; nothing to do. */
  rotate(): void {}

  replace(): void {
    throw configError('a rotating ticket-key schedule cannot be replaced: use a static key list');
  }
}

/**
 * The shared secret from a file's contents: hex text (64 or more hex digits, whitespace ignored) or at least 32
 * raw bytes.
 */
export function parseTicketSecret(contents: Uint8Array): Uint8Array {
  const text = new TextDecoder('latin1').decode(contents).replace(/\s+/g, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text) && text.length >= 2 * MIN_TICKET_SECRET) {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  if (contents.length < MIN_TICKET_SECRET) throw configError(`the ticket secret must be at least ${MIN_TICKET_SECRET} bytes (or ${2 * MIN_TICKET_SECRET} hex digits)`);
  return contents.slice();
}
