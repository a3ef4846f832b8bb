/**
 * Record number encryption (RFC 9147 §4.2.3): the sequence number bytes of a unified header are XORed with the
 * leading bytes of a mask computed from the first 16 bytes of the record's ciphertext under the sender's sn_key.
 * The same XOR removes it.
 */
import type { AeadAlg, CryptoProvider } from '../../crypto/provider.js';

/** The sample is the first 16 bytes of the ciphertext; shorter records are rejected as undeprotectable. */
export const SAMPLE_LENGTH = 16;

/** One direction and epoch's record number key. */
export interface RecordNumberKey {
  readonly alg: AeadAlg;
  readonly key: Uint8Array;
}

/**
 * XOR the sequence number bytes of `header` (at `seqOffset`, `seqLength` bytes) with the mask for `encrypted`, in
 * place. Returns false (nothing changed) when `encrypted` is shorter than 16 bytes.
 */
export function xorRecordNumber(
  p: CryptoProvider,
  k: RecordNumberKey,
  header: Uint8Array,
  seqOffset: number,
  seqLength: 1 | 2,
  encrypted: Uint8Array,
): boolean {
  if (encrypted.length < SAMPLE_LENGTH) return false;
  const mask = p.recordNumberMask(k.alg, k.key, encrypted.subarray(0, SAMPLE_LENGTH));
  for (let i = 0; i < seqLength; i++) header[seqOffset + i] = (header[seqOffset + i] as number) ^ (mask[i] as number);
  return true;
}
