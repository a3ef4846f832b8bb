/** Events the engine reports from `process()`, its result, and the per-connection observer. Shared vocabulary. */
import type { ConnectionInfo } from './connection-info.js';
import type { TraceEvent } from './options.js';

/**
 * Per-connection receivers of the trace and the NSS key log. Given to one engine, they replace the configuration's
 * `trace` / `keyLog` (which many connections share) for that connection; an absent member means off. `keyLog` is
 * read at each line, so an observer may offer it only while someone listens (a getter): no line is formatted for
 * nobody.
 */
export interface ConnectionObserver {
  readonly trace?: ((e: TraceEvent) => void) | undefined;
  readonly keyLog?: ((line: string) => void) | undefined;
}

/** A NewSessionTicket the client can store and offer later (opaque to callers). */
export interface SessionTicket {
  readonly serverName: string;
  /** Serialised session state (suite, secret, ticket, lifetime, age add, peer chain); pass back as `session`. */
  readonly data: Uint8Array;
  /** Expiry, ms since epoch. */
  readonly expiresAt: number;
}

/** An event reported by `process()`, discriminated by `type`. */
export type EngineEvent =
  | { readonly type: 'HandshakeComplete'; readonly info: ConnectionInfo }
  /** The peer sent close_notify (edge-triggered: reported once). */
  | { readonly type: 'PeerClosed' }
  /** The peer updated its sending keys; `requested` says whether we answered with our own update. */
  | { readonly type: 'KeyUpdated'; readonly requested: boolean }
  /** The client received a ticket. */
  | { readonly type: 'NewTicket'; readonly ticket: SessionTicket }
  /** A post-handshake handshake message arrived (SSPI reports SEC_I_RENEGOTIATE for these). */
  | { readonly type: 'PostHandshake'; readonly message: string }
  /** A warning alert other than close_notify arrived (TLS 1.2 user_canceled, no_renegotiation, ...). */
  | { readonly type: 'WarningAlert'; readonly description: number }
  /**
   * The server asked for a client certificate (client side; in the handshake or after it). `certificateAuthorities`
   * are the DER distinguished names it listed (SSPI ISSUER_LIST_EX); `hasCertificate` says whether we answer with one.
   */
  | {
      readonly type: 'CertificateRequested';
      readonly certificateAuthorities: readonly Uint8Array[];
      readonly signatureSchemes: readonly number[];
      readonly hasCertificate: boolean;
    }
  /** A TLS 1.2 renegotiation (RFC 5746) completed: the new keys are in use; `info` is the new handshake's. */
  | { readonly type: 'Renegotiated'; readonly info: ConnectionInfo }
  /** Post-handshake client authentication finished on the server side. */
  | { readonly type: 'PeerCertificateUpdated'; readonly chain: readonly Uint8Array[] };

/**
 * The result of one `process()` call. Returned arrays are fresh: they never alias the caller's input, and stay
 * valid after the next call.
 */
export interface ProcessResult {
  /** Input bytes used. The rest (`input.length - consumed`) is for the next call (SSPI: SECBUFFER_EXTRA). */
  readonly consumed: number;
  /** Set when the next record is incomplete: bytes still needed to complete it (SSPI: SECBUFFER_MISSING). */
  readonly missing?: number;
  /** Bytes to send to the peer (handshake flight, KeyUpdate, alert, ...). May be empty. */
  readonly output: Uint8Array;
  /** Application data received, in order. */
  readonly plaintext: readonly Uint8Array[];
  readonly events: readonly EngineEvent[];
}
