import { misbehaved, type TlsError } from '../errors.js';

/** An invalid key share from the peer: illegal_parameter (RFC 8446 §4.2.8, draft-ietf-tls-ecdhe-mlkem §4). */
export function illegalShare(detail: string, cause?: unknown): TlsError {
  return misbehaved('InvalidKeyShare', { detail, cause });
}
