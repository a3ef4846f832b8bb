/**
 * Skipping the early data a server declined (RFC 8446 §4.2.10), with a budget that every skipped record is
 * charged against, empty ones included, so that skipping stays linear in the peer's bytes and ends.
 *
 *  - After a HelloRetryRequest (no read keys yet): every record of outer type application_data is skipped.
 *  - After a ServerHello that declined 0-RTT (handshake read keys installed): records that fail to decrypt are
 *    skipped; the first record that decrypts ends the skipping, so any later failure is bad_record_mac (§5.2).
 */
import { misbehaved } from '../errors.js';
import { MAX_EARLY_DATA_SKIPPED, SKIPPED_RECORD_CHARGE } from '../limits.js';
import { ContentType } from '../wire/registry.js';
import type { DirectionState, PlainRecord } from './protection.js';

/** The skip state of one connection's read direction. */
export class EarlyDataSkipper {
  #on = false;
  #charged = 0;

  /** Whether records may currently be skipped. */
  get active(): boolean {
    return this.#on;
  }

  /** Bytes charged so far (each skipped record costs its length plus SKIPPED_RECORD_CHARGE). */
  get charged(): number {
    return this.#charged;
  }

  set(on: boolean): void {
    this.#on = on;
  }

  /**
   * Open a record through `read`, or return null when it is declined early data to skip. Once the budget is
   * spent: unexpected_message before any read key, else the record is opened normally (bad_record_mac).
   */
  open(read: DirectionState, header: Uint8Array, type: number, body: Uint8Array): PlainRecord | null {
    if (!this.#on || type !== ContentType.ApplicationData) return read.open(header, type, body);
    if (!this.#charge(body.length)) {
      // Over the budget: after a HelloRetryRequest it is application data before the handshake; after a
      // ServerHello the record is opened normally and fails as bad_record_mac.
      if (read.mode === 'none') throw misbehaved('ApplicationDataBeforeHandshake', { detail: 'declined early data over the budget' });
      return read.open(header, type, body);
    }
    if (read.mode === 'none') return null;
    const plain = read.tryOpen13(header, type, body);
    if (plain === null) return null;
    // It decrypted under the handshake key: the client has moved on, and nothing more is skipped.
    this.#charged -= body.length + SKIPPED_RECORD_CHARGE;
    this.#on = false;
    return plain;
  }

  /** Charge one record; false (and no charge) when the budget would be exceeded. */
  #charge(length: number): boolean {
    const cost = length + SKIPPED_RECORD_CHARGE;
    if (this.#charged + cost > MAX_EARLY_DATA_SKIPPED) {
      this.#on = false;
      return false;
    }
    this.#charged += cost;
    return true;
  }
}

