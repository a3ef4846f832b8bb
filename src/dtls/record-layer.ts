/**
 * The seam between the DTLS engine and a protocol version's record format. The engine (src/dtls/engine.ts) works on
 * whole records of one datagram at a time and never reads a header itself: a version provides a DatagramRecordLayer
 * (DTLS 1.2: src/dtls/record-layer12.ts; DTLS 1.3: src/dtls/v13/) and installs per-epoch protection through it.
 */
import type { SuiteInfo } from '../crypto/suites.js';

/** A record that was framed, authenticated under its epoch and passed the replay check. */
export interface ReceivedRecord {
  readonly type: number;
  readonly epoch: number;
  readonly seq: number;
  /** The plaintext fragment (a fresh array). */
  readonly fragment: Uint8Array;
}

/** Why records of a datagram were dropped, counted (RFC 6347 §4.1.2.7: silently discarded; reported for tests and traces). */
export interface DropCounts {
  /** Did not frame, or an unknown/old epoch with no keys. */
  malformed: number;
  /** Failed authentication. */
  badMac: number;
  /** Already seen, or older than the replay window. */
  replayed: number;
  /** A future epoch whose keys are not installed yet: held (bounded) until they are. */
  future: number;
}

/** One epoch's protection for a direction: the AEAD and key material of an epoch. */
export interface EpochKeys {
  readonly suite: SuiteInfo;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** The record layer of one DTLS version. */
export interface DatagramRecordLayer {
  /** Epoch new records are written in. */
  readonly writeEpoch: number;
  /** Epoch of the newest read keys. */
  readonly readEpoch: number;
  /** Bytes a record adds to a fragment in `epoch` (header, explicit nonce, tag). */
  overhead(epoch: number): number;
  /** Seal one record in `epoch` (the current write epoch unless a flight is retransmitted in an older one). */
  seal(type: number, fragment: Uint8Array, epoch?: number): Uint8Array;
  /**
   * Frame, open and replay-check the records of one datagram. Records that fail any check are dropped and counted;
   * records of the next epoch, whose keys are not yet installed, are held (bounded) and returned by `installRead`.
   */
  receive(datagram: Uint8Array, drops: DropCounts): ReceivedRecord[];
  /** Start a new write epoch with `keys` (DTLS 1.2: after sending ChangeCipherSpec). */
  installWrite(keys: EpochKeys): void;
  /** Start a new read epoch with `keys`; returns the records of that epoch that arrived early, now opened. */
  installRead(keys: EpochKeys, drops: DropCounts): ReceivedRecord[];
}
