/**
 * Record sequence number reconstruction (RFC 9147 §4.2.2): the full sequence number is the one, among those whose low
 * 8 or 16 bits match the wire, numerically closest to one plus the highest successfully deprotected in the epoch.
 */

/** Largest sequence number we reconstruct: 2^48 - 1 (we never send more; plaintext records carry 48 bits). */
export const MAX_SEQUENCE = 2 ** 48 - 1;

/**
 * The full sequence number for `low` (the `bits` low-order bits as on the wire, after record number decryption),
 * given `expected` = one plus the highest sequence number deprotected in this epoch (0 when none yet).
 */
export function reconstructSequence(expected: number, low: number, bits: 8 | 16): number {
  const window = bits === 8 ? 0x100 : 0x10000;
  const half = window / 2;
  const candidate = expected - (expected % window) + low;
  // Of candidate - window, candidate and candidate + window, the one closest to `expected` (a tie goes lower).
  if (candidate + half < expected && candidate + window <= MAX_SEQUENCE) return candidate + window;
  if (candidate >= expected + half && candidate >= window) return candidate - window;
  return candidate;
}
