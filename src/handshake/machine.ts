/**
 * The contract a version's state machine implements for the engine (today the TLS 1.2 machines of src/tls12; the
 * engine drives its TLS 1.3 machines directly). Written against the shared vocabulary, so neither the engine nor
 * src/tls12 needs the other's types.
 */
import type { CertifiedKey } from '../vocabulary/config.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { HandshakeMessage } from '../wire/handshake.js';

/** What a server asks for when it starts a renegotiation (RFC 5746): client authentication in the new handshake. */
export interface RenegotiationRequest {
  readonly clientAuth: 'none' | 'optional' | 'required';
  /** Verify the client's chain against the configuration's trust anchors (node:tls `rejectUnauthorized`). */
  readonly enforce: boolean;
}

/** The contract the TLS 1.2 state machines implement (src/tls12). */
export interface Tls12Machine {
  readonly stateName: string;
  readonly isTraffic: boolean;
  /** A renegotiation handshake runs under the previous handshake's keys (application data still flows). */
  readonly renegotiating: boolean;
  /** Server in Traffic: send HelloRequest (RFC 5246 §7.4.1.1) and accept the client's ClientHello that follows. */
  requestRenegotiation(request: RenegotiationRequest): Tls12Machine;
  readonly info: ConnectionInfo | undefined;
  handle(m: HandshakeMessage): Tls12Machine;
  /** A change_cipher_spec record arrived. */
  changeCipherSpec(): Tls12Machine;
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array;
  /** RFC 5929 §3.1 tls-unique (first Finished verify_data) once in Traffic, else undefined. */
  readonly tlsUnique: Uint8Array | undefined;
  /** Our own certificate chain sent in the handshake. */
  readonly localChain: readonly Uint8Array[];
  /** Client: a CertificateRequest is waiting for `supplyClientCertificate` (deferred client authentication). */
  readonly awaitingClientCertificate: boolean;
  supplyClientCertificate(certificate: CertifiedKey | null): Tls12Machine;
}
