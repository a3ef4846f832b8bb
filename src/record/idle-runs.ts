/**
 * Limits on records that make no progress: empty records, warning alerts and KeyUpdates are each counted as a
 * run of consecutive records without progress (application data or another handshake message), not over the
 * connection's lifetime, so a long connection that sends one now and then is never refused (cf. BoringSSL's
 * kMaxEmptyRecords / kMaxWarningAlerts / kMaxKeyUpdates, which reset the same way).
 */
import { limitExceeded } from '../errors.js';
import { MAX_EMPTY_RECORDS, MAX_KEY_UPDATES, MAX_WARNING_ALERTS } from '../limits.js';

/** Counters of the current run of records without progress. */
export class IdleRuns {
  #empty = 0;
  #warnings = 0;
  #keyUpdates = 0;

  /** Application data or a handshake message other than KeyUpdate arrived: every run ends. */
  progress(): void {
    this.#empty = 0;
    this.#warnings = 0;
    this.#keyUpdates = 0;
  }

  /** A record with no content (application data of length 0). */
  emptyRecord(): void {
    if (++this.#empty > MAX_EMPTY_RECORDS) throw limitExceeded('TooManyEmptyRecords');
  }

  /** A warning alert that the connection survives (TLS 1.2 warnings, TLS 1.3 user_canceled). */
  warningAlert(): void {
    if (++this.#warnings > MAX_WARNING_ALERTS) throw limitExceeded('TooManyWarningAlerts');
  }

  /** A KeyUpdate (it changes keys but carries no data). */
  keyUpdate(): void {
    if (++this.#keyUpdates > MAX_KEY_UPDATES) throw limitExceeded('TooManyKeyUpdates');
  }
}
