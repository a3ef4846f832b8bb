/**
 * What a handshake handler may do to the connection: side effects go through this context, never globals
 * (DESIGN C.5 rule 5), so the engine controls the order of key changes relative to output.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { Writer } from '../codec/writer.js';
import type { EngineEvent } from '../vocabulary/events.js';

/** Public fields of a traced message; a function is only called when tracing is on. */
export type TraceFields = Readonly<Record<string, string | number | boolean | readonly string[]>>;
/** Trace fields, or a function producing them lazily (only called when tracing is on). */
export type TraceFieldsArg = TraceFields | (() => TraceFields);

/** The side effects a handshake state machine may cause: output, key installs, events, key log and trace. */
export interface HandshakeContext {
  readonly provider: CryptoProvider;
  /**
   * Set by a DTLS 1.3 connection (src/dtls/v13): the TLS 1.3 machines then speak RFC 9147's variant (DTLS version
   * numbers, the ClientHello's legacy_cookie, "dtls13" key schedule labels, no middlebox compatibility, no TLS 1.2
   * fallback). Absent: TLS.
   */
  readonly datagram?: boolean;
  /** Queue a handshake message (raw, framed) under the current write protection. */
  emit(raw: Uint8Array, name: string, fields?: TraceFieldsArg): void;
  /**
   * Queue a handshake message of `type` whose body `body` writes straight into the queued flight (no message array
   * of its own). Returns the framed message (header included) for the transcript: a view valid only until the flight
   * is sealed (the next key change, ChangeCipherSpec or output taken), so hash it at once and keep nothing of it.
   * Optional: a context without it gets `emit(frameHandshake(type, body))` (handshake/emit.ts).
   */
  emitMessage?(type: number, body: (w: Writer) => void, name: string, fields?: TraceFieldsArg): Uint8Array;
  /** Queue a plaintext change_cipher_spec record (middlebox compatibility, RFC 8446 D.4). */
  sendChangeCipherSpec(): void;
  /** TLS 1.3: protect the read / write direction with keys from `secret`. */
  installReadKeys13(suite: SuiteInfo, secret: Uint8Array): void;
  installWriteKeys13(suite: SuiteInfo, secret: Uint8Array): void;
  /** TLS 1.2: install AEAD keys for a direction. */
  installReadKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void;
  installWriteKeys12(suite: SuiteInfo, key: Uint8Array, iv: Uint8Array): void;
  event(e: EngineEvent): void;
  /** NSS key log line: `label clientRandomHex secretHex`. */
  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void;
  /** Trace a received message (sent ones are traced by `emit`). */
  traceReceived(name: string, fields?: TraceFieldsArg): void;
  /** The peer's record_size_limit (RFC 8449), once known. */
  setPeerRecordSizeLimit(limit: number): void;
  /** The OCSP response the server stapled (client). */
  setPeerOcspResponse(response: Uint8Array): void;
  /** Whether this handshake allowed the peer's records to be skipped as declined early data. */
  setSkipEarlyData(on: boolean): void;
  /**
   * The peer's KeyUpdate asked for one of ours. True: the engine sends it later, before anything else of ours
   * (RFC 8446 §4.6.3 asks for it before our next application data), so that several requests received together are
   * answered by one update. Absent or false: the machine sends it now.
   */
  deferKeyUpdateReply?(): boolean;
}
