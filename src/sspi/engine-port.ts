/**
 * The slice of the engine contract (docs/design/engine-api.md) the SSPI layer uses, and the two factories.
 * Keeping it as an interface here documents exactly what sspi/ depends on. A server context's engine starts at the
 * hello stage (src/engine/hello-stage.ts): the ClientHello is decoded once, and the context's configuration is
 * chosen at the Accepted point.
 */
import type { CertifiedKeyInput, ClientOptions } from '../vocabulary/options.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../engine/config.js';
import { createClientEngine, type ProcessOptions, type RenegotiationRequest, type TlsEngine } from '../engine/connection.js';
import { HelloStage, type ClientHelloSummary } from '../engine/hello-stage.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import { EMPTY } from '../codec/bytes.js';
import { asTlsError, internalError, type TlsError } from '../errors.js';
import { MAX_PLAINTEXT } from '../limits.js';
import { nextRecord, RECORD_HEADER_LENGTH } from '../record/deframer.js';
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
  process(input: Uint8Array, opts?: ProcessOptions): ProcessResult;
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

/** Chooses a server context's configuration from its decoded ClientHello (the Accepted point). */
export type ChooseServerConfig = (hello: ClientHelloSummary) => PreparedServerConfig;

/**
 * A server engine whose configuration `choose` picks at the Accepted point, from the ClientHello decoded once by the
 * hello stage. Whole records only go to the stage, so SSPI's byte accounting (EXTRA / MISSING) stays exact.
 */
export function newServerEngine(choose: ChooseServerConfig): SspiEngine {
  return new AcceptingServerEngine(choose);
}

/** Until the ClientHello is complete: the hello stage; from then on, the engine made at the Accepted point. */
class AcceptingServerEngine implements SspiEngine {
  readonly #choose: ChooseServerConfig;
  #stage: HelloStage | undefined = new HelloStage();
  #engine: TlsEngine | undefined;
  #failed: TlsError | undefined;

  constructor(choose: ChooseServerConfig) {
    this.#choose = choose;
  }

  /** The engine, once the ClientHello was accepted; before that, nothing but the handshake may be asked for. */
  get #accepted(): TlsEngine {
    if (this.#engine === undefined) throw internalError('the ClientHello has not arrived yet');
    return this.#engine;
  }

  start(): Uint8Array {
    throw internalError('a server engine does not start');
  }

  process(input: Uint8Array, opts: ProcessOptions = {}): ProcessResult {
    const engine = this.#engine;
    if (engine !== undefined) return engine.process(input, opts);
    if (this.#failed !== undefined) throw this.#failed;
    try {
      return this.#hello(input, opts);
    } catch (e) {
      this.#failed = asTlsError(e);
      throw this.#failed;
    }
  }

  /** Feed whole records to the hello stage; at the Accepted point, choose the configuration and go on in the engine. */
  #hello(input: Uint8Array, opts: ProcessOptions): ProcessResult {
    const maxRecords = opts.maxRecords ?? Number.MAX_SAFE_INTEGER;
    const stage = this.#stage;
    if (stage === undefined) throw internalError('hello stage gone');
    let at = 0;
    let records = 0;
    while (at < input.length && records < maxRecords) {
      const frame = nextRecord(input, at);
      if (!frame.complete) {
        // A header is refused as soon as it is complete, before its body has arrived (as the engine does).
        if (input.length - at >= RECORD_HEADER_LENGTH) stage.checkHeader(input, at);
        return { consumed: at, missing: frame.missing, output: EMPTY, plaintext: [], events: [] };
      }
      const accepted = stage.push(input.subarray(at, frame.end));
      at = frame.end;
      records++;
      if (accepted !== undefined) {
        this.#stage = undefined;
        const engine = accepted.engine(this.#choose(accepted.clientHello), STANDARD_DEPENDENCIES);
        this.#engine = engine;
        // The first call handles the ClientHello decoded at the Accepted point, then the records after it.
        const r = engine.process(input.subarray(at), { ...opts, maxRecords: maxRecords - records });
        return { ...r, consumed: at + r.consumed };
      }
    }
    return { consumed: at, output: EMPTY, plaintext: [], events: [] };
  }

  takeAlert(): Uint8Array | null {
    return this.#engine !== undefined ? this.#engine.takeAlert() : (this.#stage?.takeAlert() ?? null);
  }

  sealRecordParts(plaintext: Uint8Array): RecordParts {
    return this.#accepted.sealRecordParts(plaintext);
  }

  streamSizes(): EngineStreamSizes {
    // Before any keys: plaintext records (what a fresh engine reports).
    return this.#engine !== undefined ? this.#engine.streamSizes() : { header: 5, trailer: 16, maximumMessage: MAX_PLAINTEXT, buffers: 4, blockSize: 1 };
  }

  close(): Uint8Array {
    return this.#accepted.close();
  }

  sendAlert(description: number, fatal: boolean): Uint8Array {
    return this.#accepted.sendAlert(description, fatal);
  }

  requestClientCertificate(): Uint8Array {
    return this.#accepted.requestClientCertificate();
  }

  requestRenegotiation(request: RenegotiationRequest): Uint8Array {
    return this.#accepted.requestRenegotiation(request);
  }

  get renegotiating(): boolean {
    return this.#engine?.renegotiating ?? false;
  }

  get version(): number | undefined {
    return this.#engine?.version;
  }

  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    return this.#accepted.exportKeyingMaterial(label, context, length);
  }

  get isEstablished(): boolean {
    return this.#engine?.isEstablished ?? false;
  }

  get failed(): TlsError | undefined {
    return this.#engine !== undefined ? this.#engine.failed : this.#failed;
  }

  get info(): ConnectionInfo | undefined {
    return this.#engine?.info;
  }

  get tlsUnique(): Uint8Array | undefined {
    return this.#engine?.tlsUnique;
  }

  get localCertificates(): readonly Uint8Array[] {
    return this.#engine?.localCertificates ?? [];
  }

  get awaitingClientCertificate(): boolean {
    return false;
  }

  supplyClientCertificate(): { readonly output: Uint8Array; readonly events: readonly EngineEvent[] } {
    throw internalError('a server does not supply a client certificate');
  }
}

/** A client engine (from the credential's prepared configuration: nothing is parsed per context). */
export function newClientEngine(o: ClientOptions | PreparedClientConfig): SspiEngine {
  return createClientEngine(o, STANDARD_DEPENDENCIES);
}
