/**
 * The one contract every version's state machine implements for the engine: the TLS 1.3 client and server
 * (src/tls13/machine.ts) and the TLS 1.2 ones (src/tls12/common.ts `Machine12`). The engine holds one
 * `HandshakeMachine` and never asks which version is behind it; a new version is a new implementation. Written
 * against the shared vocabulary, so neither the engine nor a version's folder needs the other's types.
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

/**
 * What a change_cipher_spec record means now: `keyChange` (TLS 1.2: the record is checked and handed to
 * `changeCipherSpec()`), `compatibility` (TLS 1.3 during the handshake, after the first ClientHello: a one-byte
 * middlebox-compatibility record, checked and dropped, RFC 8446 §5 and D.4), `unexpected` (unexpected_message).
 */
export type ChangeCipherSpecRole = 'keyChange' | 'compatibility' | 'unexpected';

/**
 * A handshake state machine. Every transition returns the next machine (a machine never changes in place); side
 * effects go through the HandshakeContext it was built with. A request the machine's version or side cannot serve
 * throws an internal error and changes nothing.
 */
export interface HandshakeMachine {
  /** The negotiated protocol version (0x0304 / 0x0303), once this machine knows it. */
  readonly version: number | undefined;
  readonly stateName: string;
  readonly isTraffic: boolean;
  /** A renegotiation handshake runs under the previous handshake's keys (application data still flows). */
  readonly renegotiating: boolean;
  /** What was negotiated, once in traffic (during a renegotiation: the previous handshake's). */
  readonly info: ConnectionInfo | undefined;
  /** A handshake message (whole, joined by the record layer). */
  handle(m: HandshakeMessage): HandshakeMachine;
  readonly changeCipherSpecRole: ChangeCipherSpecRole;
  /** A change_cipher_spec record whose role is `keyChange` arrived. */
  changeCipherSpec(): HandshakeMachine;
  /** Client: a CertificateRequest is waiting for `supplyClientCertificate` (deferred client authentication). */
  readonly awaitingClientCertificate: boolean;
  supplyClientCertificate(certificate: CertifiedKey | null): HandshakeMachine;
  /** Whether `requestRenegotiation` can run now (a TLS 1.2 server in traffic). */
  readonly canRenegotiate: boolean;
  /** Server in traffic: send HelloRequest (RFC 5246 §7.4.1.1) and accept the client's ClientHello that follows. */
  requestRenegotiation(request: RenegotiationRequest): HandshakeMachine;
  /** Server in traffic: a post-handshake CertificateRequest (RFC 8446 §4.6.2). */
  requestClientCertificate(): HandshakeMachine;
  /** In traffic: send a KeyUpdate (RFC 8446 §4.6.3) and install the next write keys. */
  updateKeys(requestPeer: boolean): HandshakeMachine;
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array;
  /** RFC 5929 §3.1 tls-unique (first Finished verify_data) once in Traffic, else undefined (always for TLS 1.3). */
  readonly tlsUnique: Uint8Array | undefined;
  /** Our own certificate chain sent in the handshake. */
  readonly localChain: readonly Uint8Array[];
}

/** The TLS 1.2 machines' name for the contract (src/dtls still uses it). */
export type Tls12Machine = HandshakeMachine;
