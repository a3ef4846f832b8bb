/**
 * `Dtls13Connection` behind the front ends' DatagramEngine surface (src/dtls/datagram-engine.ts), so the node
 * adapter and the CLI run DTLS 1.3 as they run DtlsEngine: `process` / `handleTimeout` return the datagrams,
 * application data and events of the call; a failure is thrown after its alert is kept for `takeAlert`.
 */
import { internalError, type TlsError } from '../../errors.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../../vocabulary/config.js';
import type { ConnectionInfo } from '../../vocabulary/connection-info.js';
import type { DatagramEngine, DtlsResult } from '../datagram-engine.js';
import type { DropCounts } from '../record-layer.js';
import { Dtls13Connection } from './connection.js';
import { authorizationOf } from '../../engine/authorize.js';

export class Dtls13Engine implements DatagramEngine {
  readonly #c: Dtls13Connection;
  readonly #mtu: number;
  readonly #config: PreparedClientConfig | PreparedServerConfig;
  #info: ConnectionInfo | undefined;
  /** Datagrams of a failed call: the alert, handed out by `takeAlert`. */
  #alert: Uint8Array | null = null;
  #thrown = false;
  /** DTLS 1.3 drops silently inside the connection (§4.5.2); it keeps no per-reason counts. */
  readonly drops: DropCounts = { malformed: 0, badMac: 0, replayed: 0, future: 0 };

  /** `mtu`: the one the connection was built with (it cannot change afterwards); `config`: the connection's. */
  constructor(connection: Dtls13Connection, mtu: number, config: PreparedClientConfig | PreparedServerConfig) {
    this.#c = connection;
    this.#mtu = mtu;
    this.#config = config;
  }

  get connection(): Dtls13Connection {
    return this.#c;
  }

  get side(): 'client' | 'server' {
    return this.#c.side;
  }

  get mtu(): number {
    return this.#mtu;
  }

  /** The path MTU of a DTLS 1.3 connection is fixed when it is made. */
  set mtu(value: number) {
    if (value !== this.#mtu) throw internalError('DTLS 1.3: the MTU is set when the connection is made');
  }

  get failed(): TlsError | undefined {
    return this.#c.failed;
  }

  get isEstablished(): boolean {
    return this.#c.isEstablished;
  }

  /** The connection's info with node:tls's authorized / authorizationError (the policy of DtlsEngine and the TLS engine). */
  get info(): ConnectionInfo | undefined {
    const info = this.#c.info;
    if (info === undefined) return undefined;
    if (this.#info === undefined) this.#info = authorize(info, this.#config);
    return this.#info;
  }

  get stateName(): string {
    return this.#c.stateName;
  }

  get maxPlaintext(): number {
    return this.#c.maxPayload;
  }

  /** The client's ClientHello was made with the connection: the first call hands it out. */
  start(): DtlsResult {
    return this.#result();
  }

  process(datagram: Uint8Array): DtlsResult {
    this.#c.receive(datagram);
    return this.#result();
  }

  nextTimeout(): number | null {
    return this.#c.nextTimeout();
  }

  handleTimeout(): DtlsResult {
    this.#c.handleTimeout();
    return this.#result();
  }

  retransmit(): Uint8Array[] {
    throw internalError('DTLS 1.3: retransmission runs on its own timer (handleTimeout)');
  }

  seal(data: Uint8Array): Uint8Array[] {
    const max = this.#c.maxPayload;
    for (let off = 0; off < data.length; off += max) this.#c.send(data.subarray(off, Math.min(data.length, off + max)));
    return this.#c.takeDatagrams();
  }

  close(): Uint8Array[] {
    this.#c.close();
    return this.#c.takeDatagrams();
  }

  takeAlert(): Uint8Array | null {
    const a = this.#alert;
    this.#alert = null;
    return a;
  }

  exportKeyingMaterial(): Uint8Array {
    throw internalError('DTLS 1.3: no exporter yet');
  }

  /** What the call produced; a failure (once) is thrown with its alert kept for `takeAlert`. */
  #result(): DtlsResult {
    const datagrams = this.#c.takeDatagrams();
    const plaintext = this.#c.takeApplicationData();
    const events = this.#c.takeEvents();
    const failed = this.#c.failed;
    if (failed !== undefined) {
      if (!this.#thrown) {
        this.#thrown = true;
        this.#alert = datagrams.length > 0 ? (datagrams[datagrams.length - 1] as Uint8Array) : null;
      }
      throw failed;
    }
    return { datagrams, plaintext, events };
  }
}

/** authorized: the chain was checked by the handshake's verifier, or by the report-only verifier and passed. */
function authorize(info: ConnectionInfo, cfg: PreparedClientConfig | PreparedServerConfig): ConnectionInfo {
  const { authorized, authorizationError } = authorizationOf(info, cfg, cfg.verifier !== null, cfg.provider.now());
  return { ...info, authorized, ...(authorizationError !== undefined ? { authorizationError } : {}) };
}
