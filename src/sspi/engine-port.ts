/**
 * The slice of the engine contract (docs/design/engine-api.md) the SSPI layer uses, and the two factories.
 * Keeping it as an interface here documents exactly what sspi/ depends on.
 */
import type { CertifiedKeyInput, ClientOptions, ServerOptions } from '../vocabulary/options.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../engine/config.js';
import { createClientEngine, createServerEngine, type RenegotiationRequest } from '../engine/connection.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import type { TlsError } from '../errors.js';
import type { EngineEvent, ProcessResult } from '../engine/events.js';
import type { RecordParts } from '../record/protection.js';

/** Record sizes of the negotiated suite. */
export interface EngineStreamSizes {
  readonly header: number;
  readonly trailer: number;
  readonly maximumMessage: number;
  readonly buffers: number;
  readonly blockSize: number;
}

/** What sspi/ needs from an engine. */
export interface SspiEngine {
  start(): Uint8Array;
  process(input: Uint8Array, opts?: { maxRecords?: number }): ProcessResult;
  takeAlert(): Uint8Array | null;
  /** One record as header / body (same length as the plaintext) / trailer, the cipher's output uncopied. */
  sealRecordParts(plaintext: Uint8Array): RecordParts;
  streamSizes(): EngineStreamSizes;
  close(): Uint8Array;
  sendAlert(description: number, fatal: boolean): Uint8Array;
  requestClientCertificate(): Uint8Array;
  /** Server, TLS 1.2: HelloRequest and a new handshake asking for a client certificate (RFC 5746). */
  requestRenegotiation(request: RenegotiationRequest): Uint8Array;
  /** A TLS 1.2 renegotiation is running. */
  readonly renegotiating: boolean;
  /** The negotiated version (0x0304 / 0x0303), once known. */
  readonly version: number | undefined;
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array;
  readonly isEstablished: boolean;
  readonly failed: TlsError | undefined;
  readonly info: ConnectionInfo | undefined;
  /** RFC 5929 tls-unique (first Finished verify_data), TLS 1.2 only. */
  readonly tlsUnique: Uint8Array | undefined;
  /** Our own chain in this connection (TLS 1.3; [] when unknown). */
  readonly localCertificates: readonly Uint8Array[];
  /** Client: the engine waits at a CertificateRequest for `supplyClientCertificate` (SEC_I_INCOMPLETE_CREDENTIALS). */
  readonly awaitingClientCertificate: boolean;
  supplyClientCertificate(certificate: CertifiedKeyInput | null): { readonly output: Uint8Array; readonly events: readonly EngineEvent[] };
}

/** A server engine (from the credential's prepared configuration: nothing is parsed per context). */
export function newServerEngine(o: ServerOptions | PreparedServerConfig): SspiEngine {
  return createServerEngine(o, STANDARD_DEPENDENCIES);
}

/** A client engine (from the credential's prepared configuration: nothing is parsed per context). */
export function newClientEngine(o: ClientOptions | PreparedClientConfig): SspiEngine {
  return createClientEngine(o, STANDARD_DEPENDENCIES);
}
