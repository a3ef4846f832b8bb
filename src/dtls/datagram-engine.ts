/**
 * What the front ends (src/node/dtls.ts, src/sspi/dtls.ts) need from a DTLS engine, whatever its version: DTLS 1.2's
 * DtlsEngine implements it, and a DTLS 1.3 engine (src/dtls/v13/) plugs in behind the same surface.
 */
import type { TlsError } from '../errors.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { DropCounts } from './record-layer.js';
import type { EngineEvent } from '../vocabulary/events.js';

/** What one call returns. Arrays are fresh. */
export interface DtlsResult {
  /** Datagrams to send, in order, each at most the MTU. */
  readonly datagrams: Uint8Array[];
  /** Application data received, one entry per record. */
  readonly plaintext: Uint8Array[];
  readonly events: EngineEvent[];
}

export interface DatagramEngine {
  readonly side: 'client' | 'server';
  /** Path MTU (datagram payload bytes); settable. */
  mtu: number;
  readonly failed: TlsError | undefined;
  readonly isEstablished: boolean;
  readonly info: ConnectionInfo | undefined;
  readonly stateName: string;
  /** Largest application data one record (one datagram) holds. */
  readonly maxPlaintext: number;
  readonly drops: DropCounts;
  /** Client: the first flight. Server: nothing. */
  start(now?: number): DtlsResult;
  /** One received datagram. */
  process(datagram: Uint8Array, now?: number): DtlsResult;
  /** When `handleTimeout` must be called (absolute ms), or null. */
  nextTimeout(): number | null;
  handleTimeout(now?: number): DtlsResult;
  /** The last flight again now (SSPI: the caller's timer ran out). */
  retransmit(now?: number): Uint8Array[];
  /** Application data as datagrams, one record each. */
  seal(data: Uint8Array): Uint8Array[];
  /** close_notify datagrams. */
  close(): Uint8Array[];
  /** The fatal alert datagram after a failure, once. */
  takeAlert(): Uint8Array | null;
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array;
}
