/**
 * Received alerts (RFC 8446 §6, RFC 5246 §7.2): what one alert record means for the connection. Pure: the engine
 * owns the counters and the state; this decides close / warning / fatal and checks the record's form.
 */
import { alertName, alertReceived, misbehaved } from '../errors.js';
import { AlertDescription, AlertLevel } from '../wire/registry.js';

/** What a received alert record asks of the connection (fatal alerts throw instead). */
export type ReceivedAlert =
  /** close_notify: the peer will send nothing more. */
  | { readonly kind: 'close' }
  /** A warning the connection survives (TLS 1.2 warnings, TLS 1.3 user_canceled). */
  | { readonly kind: 'warning'; readonly description: number };

/**
 * Read one alert record's plaintext. Throws unexpected_message for an empty record, decode_error for one that is
 * not exactly two bytes,
 * illegal_parameter for an unknown level, and AlertReceived for a fatal alert (in TLS 1.3 every alert but
 * close_notify and user_canceled is fatal whatever its level, RFC 8446 §6.1).
 */
export function readAlert(fragment: Uint8Array, tls13: boolean): ReceivedAlert {
  // An empty alert record holds no alert message at all (RFC 8446 §5.1: a record of type alert contains exactly one
  // message, never a fragment): unexpected_message, as OpenSSL answers and tlsfuzzer expects.
  if (fragment.length === 0) throw misbehaved('InvalidContentType', { detail: 'empty alert record' });
  if (fragment.length !== 2) throw misbehaved('InvalidContentType', { alert: 'decode_error', detail: 'alert length' });
  const level = fragment[0] as number;
  const description = fragment[1] as number;
  if (level !== AlertLevel.Warning && level !== AlertLevel.Fatal) throw misbehaved('UnexpectedAlertLevel');
  if (description === AlertDescription.close_notify) return { kind: 'close' };
  if (level === AlertLevel.Warning && (description === AlertDescription.user_canceled || !tls13)) return { kind: 'warning', description };
  throw alertReceived(alertName(description), description);
}

/** The plaintext of an alert record. */
export function alertFragment(level: number, description: number): Uint8Array {
  return new Uint8Array([level, description]);
}
