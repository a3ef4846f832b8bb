/**
 * What a resumed session was authorized as. node:tls (OpenSSL) keeps the verify result inside the session, so a
 * resumption reports what the full handshake found; our engine reports a resumption as authorized. With
 * `rejectUnauthorized: false` that would call a session first made with an unverified server "authorized", so the
 * adapter remembers each session it hands out (by content, bounded) with its handshake's result, and a resumption
 * it has no record of, under `rejectUnauthorized: false`, is not authorized (fail closed).
 */
import { getDefaultProvider } from '../crypto/node-provider.js';

/** `authorized` / `authorizationError` as the full handshake found them. */
export interface SessionAuthorization {
  readonly authorized: boolean;
  readonly authorizationError: string | null;
}

/** Why a resumption we cannot vouch for is not authorized (no OpenSSL name exists for it). */
export const UNKNOWN_RESUMED_SESSION = 'RESUMED_SESSION_NOT_VERIFIED';

/** Results by session content; least recently remembered dropped first. */
export class SessionAuthorizations {
  readonly #map = new Map<string, SessionAuthorization>();
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  static #key(data: Uint8Array): string {
    return Buffer.from(getDefaultProvider().hash('sha256', data)).toString('base64');
  }
  /** Remember the result for a session handed to the caller. */
  remember(data: Uint8Array, auth: SessionAuthorization): void {
    const k = SessionAuthorizations.#key(data);
    this.#map.delete(k);
    this.#map.set(k, auth);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as string);
  }
  /** The result remembered for a session, if any. */
  lookup(data: Uint8Array): SessionAuthorization | undefined {
    return this.#map.get(SessionAuthorizations.#key(data));
  }
}

