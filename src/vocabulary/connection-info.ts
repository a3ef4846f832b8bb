/** What a handshake negotiated, as the engine reports it and every front end shows it. Shared vocabulary. */
import type { TlsVersionName } from './options.js';

/** What was negotiated, available once the handshake completes. */
export interface ConnectionInfo {
  /** 'TLSv1.3' or 'TLSv1.2'. */
  readonly version: TlsVersionName;
  readonly cipherSuite: number;
  /** IANA name, e.g. 'TLS_AES_128_GCM_SHA256'. */
  readonly cipherName: string;
  /** Key exchange group (IANA value) and name; undefined for a psk_ke resumption. */
  readonly group: number | undefined;
  readonly groupName: string | undefined;
  /** Signature scheme the server (our peer or us) signed with. */
  readonly signatureScheme: number | undefined;
  /** The negotiated ALPN id, as the bytes on the wire; null when none was. */
  readonly alpn: Uint8Array | null;
  /** The same id as node:tls reports it: one character per byte (latin1), so distinct ids stay distinct. */
  readonly alpnProtocol: string | null;
  /** Server name the client sent (SNI). */
  readonly serverName: string | null;
  /** The peer's chain as received, leaf first (DER). */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether the session was resumed from a ticket. */
  readonly resumed: boolean;
  /** Whether a HelloRetryRequest was part of the handshake. */
  readonly helloRetry: boolean;
  /** The OCSP response the server stapled, if any (client side). */
  readonly ocspResponse?: Uint8Array | undefined;
  /**
   * Whether the peer's chain validated (node:tls `authorized`): also computed when `rejectUnauthorized` is false,
   * in which case a failure is reported in `authorizationError` instead of failing the handshake.
   */
  readonly authorized?: boolean;
  readonly authorizationError?: string | undefined;
}
