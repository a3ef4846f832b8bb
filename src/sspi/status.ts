/**
 * The one place that turns a TlsError into a SECURITY_STATUS (DESIGN C.4 rule 5), following shared/spec/SSPI.md
 * §3.2 (received alerts, Microsoft's documented table) and §3.3 (locally detected errors). Certificate failures are
 * mapped by reason, and on the server side a rejected client certificate is SEC_E_LOGON_DENIED.
 */
import type { TlsError } from '../errors.js';
import {
  CRYPT_E_NO_REVOCATION_CHECK,
  CRYPT_E_REVOKED,
  SEC_E_ALGORITHM_MISMATCH,
  SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  SEC_E_CERT_EXPIRED,
  SEC_E_CERT_UNKNOWN,
  SEC_E_CERT_WRONG_USAGE,
  SEC_E_CONTEXT_EXPIRED,
  SEC_E_DECRYPT_FAILURE,
  SEC_E_DOWNGRADE_DETECTED,
  SEC_E_ILLEGAL_MESSAGE,
  SEC_E_INTERNAL_ERROR,
  SEC_E_LOGON_DENIED,
  SEC_E_MESSAGE_ALTERED,
  SEC_E_NO_AUTHENTICATING_AUTHORITY,
  SEC_E_NO_CREDENTIALS,
  SEC_E_UNFINISHED_CONTEXT_DELETED,
  SEC_E_UNSUPPORTED_FUNCTION,
  SEC_E_UNTRUSTED_ROOT,
  SEC_E_WRONG_PRINCIPAL,
  type SECURITY_STATUS,
} from './constants.js';

/** §3.2: status for a fatal alert received from the peer, by wire value. Anything else: SEC_E_ILLEGAL_MESSAGE. */
export const RECEIVED_ALERT_STATUS: Readonly<Record<number, SECURITY_STATUS>> = {
  10: SEC_E_ILLEGAL_MESSAGE,
  20: SEC_E_MESSAGE_ALTERED,
  21: SEC_E_DECRYPT_FAILURE,
  22: SEC_E_ILLEGAL_MESSAGE,
  30: SEC_E_MESSAGE_ALTERED,
  40: SEC_E_ILLEGAL_MESSAGE,
  42: SEC_E_CERT_UNKNOWN,
  43: SEC_E_CERT_UNKNOWN,
  44: CRYPT_E_REVOKED,
  45: SEC_E_CERT_EXPIRED,
  46: SEC_E_CERT_UNKNOWN,
  47: SEC_E_ILLEGAL_MESSAGE,
  48: SEC_E_UNTRUSTED_ROOT,
  49: SEC_E_LOGON_DENIED,
  50: SEC_E_ILLEGAL_MESSAGE,
  51: SEC_E_DECRYPT_FAILURE,
  60: SEC_E_ILLEGAL_MESSAGE,
  70: SEC_E_UNSUPPORTED_FUNCTION,
  71: SEC_E_ALGORITHM_MISMATCH,
  80: SEC_E_INTERNAL_ERROR,
  90: SEC_E_UNFINISHED_CONTEXT_DELETED,
  100: SEC_E_ILLEGAL_MESSAGE,
  110: SEC_E_ILLEGAL_MESSAGE,
  115: SEC_E_ILLEGAL_MESSAGE,
  // The documentation prints "SEC_E_ILLEGAL_MESSAGE 0x80090367"; 0x80090367 is APPLICATION_PROTOCOL_MISMATCH (§9.2).
  120: SEC_E_APPLICATION_PROTOCOL_MISMATCH,
};

/** Status for a received alert description. */
export function statusForReceivedAlert(code: number): SECURITY_STATUS {
  return RECEIVED_ALERT_STATUS[code] ?? SEC_E_ILLEGAL_MESSAGE;
}

/** §3.3: a local certificate-validation failure, by BadCertificate reason (client side: the server's chain). */
const BAD_CERTIFICATE_STATUS: Readonly<Record<string, SECURITY_STATUS>> = {
  Expired: SEC_E_CERT_EXPIRED,
  NotYetValid: SEC_E_CERT_EXPIRED,
  UnknownIssuer: SEC_E_UNTRUSTED_ROOT,
  UntrustedRoot: SEC_E_UNTRUSTED_ROOT,
  WrongName: SEC_E_WRONG_PRINCIPAL,
  Revoked: CRYPT_E_REVOKED,
  WrongUsage: SEC_E_CERT_WRONG_USAGE,
  RevocationUnknown: CRYPT_E_NO_REVOCATION_CHECK,
};

/** §3.3: nothing in common with the peer, by PeerIncompatible reason. Unlisted reasons: SEC_E_ALGORITHM_MISMATCH. */
const INCOMPATIBLE_STATUS: Readonly<Record<string, SECURITY_STATUS>> = {
  NoApplicationProtocol: SEC_E_APPLICATION_PROTOCOL_MISMATCH,
  NoCertificateForServerName: SEC_E_NO_CREDENTIALS,
  NoCertificateAvailable: SEC_E_NO_CREDENTIALS,
  ClientCertificateRequired: SEC_E_LOGON_DENIED,
  UnsupportedCertificateKey: SEC_E_CERT_UNKNOWN,
  InappropriateFallback: SEC_E_DOWNGRADE_DETECTED,
};

/** Status for a locally detected error, by the alert we send (same table as received alerts, §3.3). */
function statusForLocalAlert(alert: number): SECURITY_STATUS {
  return RECEIVED_ALERT_STATUS[alert] ?? SEC_E_ILLEGAL_MESSAGE;
}

/** The part of the reason after `Kind.`. */
function reasonTail(e: TlsError): string {
  const i = e.reason.indexOf('.');
  return i < 0 ? e.reason : e.reason.slice(i + 1);
}

/**
 * SECURITY_STATUS for a TlsError thrown by the engine. `side` is the local side: a server that rejects a client
 * certificate returns SEC_E_LOGON_DENIED (ASC's documented code for that), except when revocation could not be
 * checked (SEC_E_NO_AUTHENTICATING_AUTHORITY).
 */
export function statusForError(e: TlsError, side: 'client' | 'server'): SECURITY_STATUS {
  const tail = reasonTail(e);
  switch (e.kind) {
    case 'AlertReceived':
      return statusForReceivedAlert(e.alertCode);
    case 'BadCertificate': {
      if (tail === 'RevocationUnknown') return side === 'client' ? CRYPT_E_NO_REVOCATION_CHECK : SEC_E_NO_AUTHENTICATING_AUTHORITY;
      if (side === 'server') return SEC_E_LOGON_DENIED;
      return BAD_CERTIFICATE_STATUS[tail] ?? SEC_E_CERT_UNKNOWN;
    }
    case 'PeerIncompatible':
      return INCOMPATIBLE_STATUS[tail] ?? SEC_E_ALGORITHM_MISMATCH;
    case 'BadRecordMac':
      // Every suite is an AEAD: Windows reports SEC_E_DECRYPT_FAILURE for TLS 1.3 AEAD failures (§3.3).
      return SEC_E_DECRYPT_FAILURE;
    case 'PeerMisbehaved':
      if (tail === 'DowngradeDetected') return SEC_E_DOWNGRADE_DETECTED;
      return statusForLocalAlert(e.alertCode);
    case 'InvalidMessage':
    case 'UnexpectedMessage':
    case 'LimitExceeded':
      return statusForLocalAlert(e.alertCode);
    case 'Closed':
      return SEC_E_CONTEXT_EXPIRED;
    case 'InvalidConfig':
    case 'Internal':
      return SEC_E_INTERNAL_ERROR;
    default:
      return SEC_E_INTERNAL_ERROR;
  }
}
