/**
 * The record deframer: the one place that reads a TLS record header (RFC 8446 §5.1, RFC 5246 §6.2.1). Input bytes
 * → the next complete record, or how many bytes it still needs; never throws for "need more". The engine, the SSPI
 * layer (SECBUFFER_MISSING, SEC_E_INVALID_TOKEN) and the hello stage all frame records through it.
 */
import { limitExceeded, misbehaved } from '../errors.js';
import { ContentType } from '../wire/registry.js';

/** Bytes in a record header: type, legacy_record_version, length. */
export const RECORD_HEADER_LENGTH = 5;

/** The next record at an offset: where it ends, or the bytes still missing. */
export type Frame =
  | {
      readonly complete: true;
      readonly type: number;
      /** legacy_record_version's major byte (3 for every TLS version). */
      readonly major: number;
      /** Body length, from the header. */
      readonly length: number;
      /** Offset just after the record. */
      readonly end: number;
    }
  | { readonly complete: false; /** Bytes needed to complete the header, or the record once the header is known. */ readonly missing: number };

/** Frame the record starting at `offset` of `input`. */
export function nextRecord(input: Uint8Array, offset: number): Frame {
  const have = input.length - offset;
  if (have < RECORD_HEADER_LENGTH) return { complete: false, missing: RECORD_HEADER_LENGTH - have };
  const length = ((input[offset + 3] as number) << 8) | (input[offset + 4] as number);
  if (have < RECORD_HEADER_LENGTH + length) return { complete: false, missing: RECORD_HEADER_LENGTH + length - have };
  return { complete: true, type: input[offset] as number, major: input[offset + 1] as number, length, end: offset + RECORD_HEADER_LENGTH + length };
}

/**
 * `nextRecord` without the Frame object, for the per-record loop: the offset just after the complete record at
 * `offset`, or minus the bytes still missing (never 0: a record has at least its 5-byte header).
 */
export function recordEnd(input: Uint8Array, offset: number): number {
  const have = input.length - offset;
  if (have < RECORD_HEADER_LENGTH) return have - RECORD_HEADER_LENGTH;
  const end = RECORD_HEADER_LENGTH + (((input[offset + 3] as number) << 8) | (input[offset + 4] as number));
  return have < end ? have - end : offset + end;
}

/** The body length a complete header at `offset` announces, or undefined while fewer than 5 bytes are there. */
export function announcedLength(input: Uint8Array, offset: number): number | undefined {
  if (input.length - offset < RECORD_HEADER_LENGTH) return undefined;
  return ((input[offset + 3] as number) << 8) | (input[offset + 4] as number);
}

/**
 * Whether the bytes present at `offset` (possibly fewer than a header) can start a TLS record: a known content type
 * and major version 3. SSPI answers SEC_E_INVALID_TOKEN to input that cannot, before any record is complete.
 */
export function canStartRecord(input: Uint8Array, offset: number): boolean {
  const have = input.length - offset;
  if (have > 0 && !isContentType(input[offset] as number)) return false;
  if (have > 1 && input[offset + 1] !== 3) return false;
  return true;
}

function isContentType(t: number): boolean {
  return t >= ContentType.ChangeCipherSpec && t <= ContentType.ApplicationData;
}

/**
 * The checks that need only the header: a known content type (unexpected_message), major version 3
 * (protocol_version), and a length within `limit` (record_overflow; the limit depends on the read protection).
 */
export function checkRecordHeader(type: number, major: number, length: number, limit: number): void {
  if (!isContentType(type)) throw misbehaved('InvalidContentType', { detail: `record type ${type}` });
  if (major !== 3) throw misbehaved('InvalidContentType', { alert: 'protocol_version', detail: 'record version' });
  if (length > limit) throw limitExceeded('RecordOverflow', { detail: `record of ${length} bytes` });
}
