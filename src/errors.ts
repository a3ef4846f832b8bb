/**
 * The one error type of sspi-tls. Every failure the engine reports is a {@link TlsError} carrying the TLS alert
 * that goes with it; the SSPI layer maps it to a SECURITY_STATUS (src/sspi/status.ts). This is the only module
 * that constructs TlsError: call sites use the factories below, so each reason has one alert, chosen once.
 */
import { AlertDescription, type AlertName } from './wire/registry.js';

/** What class of failure this is. */
export type TlsErrorKind =
  | 'InvalidMessage'
  | 'UnexpectedMessage'
  | 'PeerMisbehaved'
  | 'PeerIncompatible'
  | 'BadRecordMac'
  | 'BadCertificate'
  | 'LimitExceeded'
  | 'AlertReceived'
  | 'Internal'
  | 'Closed'
  | 'InvalidConfig';

/** Decodable but forbidden by the RFC: reason → alert (RFC 8446 §6.2 and the section cited at each use). */
export const PeerMisbehaved = {
  SelectedUnofferedCipherSuite: 'illegal_parameter',
  SelectedUnofferedGroup: 'illegal_parameter',
  SelectedUnofferedVersion: 'illegal_parameter',
  SelectedUnofferedApplicationProtocol: 'illegal_parameter',
  SelectedInvalidPsk: 'illegal_parameter',
  SessionIdNotEchoed: 'illegal_parameter',
  UnsolicitedExtension: 'unsupported_extension',
  DuplicateExtension: 'illegal_parameter',
  ExtensionNotAllowedHere: 'illegal_parameter',
  PskNotLastExtension: 'illegal_parameter',
  PskBinderInvalid: 'decrypt_error',
  PskModesMissing: 'missing_extension',
  MissingKeyShare: 'missing_extension',
  MissingSupportedGroups: 'missing_extension',
  MissingSignatureAlgorithms: 'missing_extension',
  MissingSupportedVersions: 'missing_extension',
  KeyShareNotInSupportedGroups: 'illegal_parameter',
  DuplicateKeyShare: 'illegal_parameter',
  InvalidKeyShare: 'illegal_parameter',
  HrrWithoutChange: 'illegal_parameter',
  HrrSecondTime: 'unexpected_message',
  HrrKeyShareAlreadyOffered: 'illegal_parameter',
  SecondClientHelloChangedParameters: 'illegal_parameter',
  SecondClientHelloWrongKeyShare: 'illegal_parameter',
  HrrCipherSuiteChanged: 'illegal_parameter',
  LegacyCompressionNotNull: 'illegal_parameter',
  LegacyVersionInvalid: 'protocol_version',
  Tls13LegacyVersionNot12: 'illegal_parameter',
  DowngradeDetected: 'illegal_parameter',
  IncorrectFinished: 'decrypt_error',
  BadSignature: 'decrypt_error',
  SignatureSchemeNotOffered: 'illegal_parameter',
  SignatureSchemeMismatchesKey: 'illegal_parameter',
  EmptyCertificateFromServer: 'decode_error',
  CertificateRequestContextNonEmpty: 'illegal_parameter',
  CertificateRequestContextMismatch: 'illegal_parameter',
  UnsolicitedCertificateRequest: 'unexpected_message',
  InvalidAlpnProtocol: 'illegal_parameter',
  InvalidServerName: 'illegal_parameter',
  InvalidRecordSizeLimit: 'illegal_parameter',
  InvalidKeyUpdate: 'illegal_parameter',
  InvalidContentType: 'unexpected_message',
  EmptyInnerPlaintext: 'unexpected_message',
  ZeroLengthApplicationRecord: 'unexpected_message',
  MessageInterleaved: 'unexpected_message',
  KeyChangeNotOnRecordBoundary: 'unexpected_message',
  IllegalChangeCipherSpec: 'unexpected_message',
  InvalidChangeCipherSpec: 'unexpected_message',
  EarlyDataNotOffered: 'unsupported_extension',
  EndOfEarlyDataUnexpected: 'unexpected_message',
  TicketAgeInvalid: 'illegal_parameter',
  InvalidCookie: 'illegal_parameter',
  CookieUnsolicited: 'unsupported_extension',
  RenegotiationInfoInvalid: 'handshake_failure',
  ExtendedMasterSecretMissing: 'handshake_failure',
  InvalidServerKeyExchange: 'illegal_parameter',
  InvalidPointFormat: 'illegal_parameter',
  UnexpectedAlertLevel: 'illegal_parameter',
  InvalidCertificateStatus: 'bad_certificate_status_response',
  ApplicationDataBeforeHandshake: 'unexpected_message',
  UnknownAlertDescription: 'illegal_parameter',
  DataAfterCloseNotify: 'unexpected_message',
  RenegotiationRefused: 'no_renegotiation',
} as const satisfies Record<string, AlertName>;
/** The reasons in {@link PeerMisbehaved}. */
export type PeerMisbehavedReason = keyof typeof PeerMisbehaved;

/** Nothing in common with the peer: reason → alert. */
export const PeerIncompatible = {
  NoCommonVersion: 'protocol_version',
  NoCommonCipherSuite: 'handshake_failure',
  NoCommonGroup: 'handshake_failure',
  NoCommonSignatureScheme: 'handshake_failure',
  NoApplicationProtocol: 'no_application_protocol',
  NoCertificateForServerName: 'unrecognized_name',
  NoCertificateAvailable: 'handshake_failure',
  Tls13NotOffered: 'protocol_version',
  ClientCertificateRequired: 'certificate_required',
  PskKeyExchangeModeUnsupported: 'handshake_failure',
  RsaKeyTooSmall: 'insufficient_security',
  UnsupportedCertificateKey: 'unsupported_certificate',
  ObsoleteVersion: 'protocol_version',
  InappropriateFallback: 'inappropriate_fallback',
} as const satisfies Record<string, AlertName>;
/** The reasons in {@link PeerIncompatible}. */
export type PeerIncompatibleReason = keyof typeof PeerIncompatible;

/** Certificate validation failures: reason → alert (RFC 8446 §6.2). */
export const BadCertificate = {
  Expired: 'certificate_expired',
  NotYetValid: 'certificate_expired',
  UnknownIssuer: 'unknown_ca',
  UntrustedRoot: 'unknown_ca',
  BadSignature: 'bad_certificate',
  WrongName: 'bad_certificate',
  NotCa: 'bad_certificate',
  PathTooLong: 'bad_certificate',
  WrongUsage: 'unsupported_certificate',
  UnsupportedCriticalExtension: 'unsupported_certificate',
  NameConstraintViolation: 'bad_certificate',
  Revoked: 'certificate_revoked',
  BadEncoding: 'bad_certificate',
  UnsupportedKey: 'unsupported_certificate',
  Rejected: 'bad_certificate',
  RevocationUnknown: 'certificate_unknown',
} as const satisfies Record<string, AlertName>;
/** The reasons in {@link BadCertificate}. */
export type BadCertificateReason = keyof typeof BadCertificate;

/** Our limits on peer-controlled input (src/limits.ts): reason → alert. */
export const LimitExceeded = {
  RecordOverflow: 'record_overflow',
  HandshakeMessageTooLarge: 'unexpected_message',
  TooManyExtensions: 'decode_error',
  ChainTooLong: 'bad_certificate',
  TooManyEmptyRecords: 'unexpected_message',
  TooManyWarningAlerts: 'unexpected_message',
  TooManyKeyUpdates: 'unexpected_message',
  TooManyPostHandshakeMessages: 'unexpected_message',
  TooManyChangeCipherSpecs: 'unexpected_message',
  /** Renegotiations past the connection's `maxRenegotiations` (we only refuse to start one; the peer's is refused with a warning). */
  TooManyRenegotiations: 'no_renegotiation',
  BufferedBytes: 'internal_error',
  SequenceExhausted: 'internal_error',
  /** DTLS: a flight went unanswered through every retransmission (RFC 6347 §4.2.4); no alert is sent. */
  HandshakeTimeout: 'internal_error',
} as const satisfies Record<string, AlertName>;
/** The reasons in {@link LimitExceeded}. */
export type LimitExceededReason = keyof typeof LimitExceeded;

/** Options a factory may take. */
export interface TlsErrorOptions {
  /** Override the table's alert; allowed only where the RFC names another alert (cite it at the call). */
  readonly alert?: AlertName;
  /** Public detail for the message; never secrets. */
  readonly detail?: string;
  readonly cause?: unknown;
}

/**
 * A TLS failure. `reason` is stable (`'PeerMisbehaved.SelectedUnofferedGroup'`) and `alert` names the TLS alert
 * that was (or would be) sent, or the one received when `kind === 'AlertReceived'`.
 */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  /** The class of failure. */
  readonly kind: TlsErrorKind;
  /** Stable reason, `Kind.Reason`. */
  readonly reason: string;
  /** The alert's name (`'decode_error'`). */
  readonly alert: AlertName;
  /** The alert's wire value. */
  readonly alertCode: number;
  /** Whether we put a fatal alert on the wire for it (set by the engine). */
  alertSent = false;
  /**
   * For a `BadCertificate` failure: the certificate chain that was judged, leaf first, DER (so a caller can say
   * which certificate and why, as node:tls's `err.cert` does). Undefined for every other failure.
   */
  peerChain: readonly Uint8Array[] | undefined = undefined;

  /** @internal Use the factories of this module. */
  constructor(kind: TlsErrorKind, reason: string, alert: AlertName, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.kind = kind;
    this.reason = reason;
    this.alert = alert;
    this.alertCode = AlertDescription[alert];
  }
}

function make(kind: TlsErrorKind, reason: string, alert: AlertName, opts?: TlsErrorOptions): TlsError {
  const detail = opts?.detail !== undefined ? `: ${opts.detail}` : '';
  return new TlsError(kind, `${kind}.${reason}`, opts?.alert ?? alert, `tls: ${alert} (${kind}.${reason})${detail}`, opts?.cause);
}

/** The message could not be decoded (decode_error unless the RFC says otherwise). */
export function decodeError(field: string, detail: string, alert: AlertName = 'decode_error'): TlsError {
  return new TlsError('InvalidMessage', `InvalidMessage.${field}`, alert, `tls: ${alert} at ${field}: ${detail}`);
}

/** A message of the wrong type for the state. */
export function unexpected(got: string, expected: readonly string[]): TlsError {
  return new TlsError(
    'UnexpectedMessage',
    `UnexpectedMessage.${got}`,
    'unexpected_message',
    `tls: unexpected_message: got ${got}, expected ${expected.join(' or ')}`,
  );
}

/** The peer did something the RFC forbids. */
export function misbehaved(reason: PeerMisbehavedReason, opts?: TlsErrorOptions): TlsError {
  return make('PeerMisbehaved', reason, PeerMisbehaved[reason], opts);
}

/** Nothing in common with the peer. */
export function incompatible(reason: PeerIncompatibleReason, opts?: TlsErrorOptions): TlsError {
  return make('PeerIncompatible', reason, PeerIncompatible[reason], opts);
}

/** A certificate failed validation. */
export function badCertificate(reason: BadCertificateReason, opts?: TlsErrorOptions): TlsError {
  return make('BadCertificate', reason, BadCertificate[reason], opts);
}

/** A limit of src/limits.ts was exceeded. */
export function limitExceeded(reason: LimitExceededReason, opts?: TlsErrorOptions): TlsError {
  return make('LimitExceeded', reason, LimitExceeded[reason], opts);
}

/** An AEAD record failed to open. */
export function badRecordMac(): TlsError {
  return new TlsError('BadRecordMac', 'BadRecordMac', 'bad_record_mac', 'tls: bad_record_mac: record failed authentication');
}

/** The peer sent us a fatal alert (we send nothing back). */
export function alertReceived(alert: AlertName | undefined, code: number): TlsError {
  const name = alert ?? 'illegal_parameter';
  const e = new TlsError('AlertReceived', `AlertReceived.${alert ?? code}`, name, `tls: received fatal alert ${alert ?? code}`);
  (e as { alertCode: number }).alertCode = code;
  return e;
}

/** Our bug or misuse of the API. */
export function internalError(detail: string, cause?: unknown): TlsError {
  return new TlsError('Internal', 'Internal', 'internal_error', `tls: internal_error: ${detail}`, cause);
}

/** The connection is closed (or failed) and cannot be used. */
export function closedError(detail = 'connection is closed'): TlsError {
  return new TlsError('Closed', 'Closed', 'close_notify', `tls: ${detail}`);
}

/** A configuration the caller supplied is not usable (`cause`: the underlying error, e.g. a CredentialError). */
export function configError(detail: string, cause?: unknown): TlsError {
  return new TlsError('InvalidConfig', 'InvalidConfig', 'internal_error', `tls: invalid configuration: ${detail}`, cause);
}

/** Wrap anything thrown inside the engine that is not a TlsError (a bug) as internal_error. */
export function asTlsError(e: unknown): TlsError {
  return e instanceof TlsError ? e : internalError(e instanceof Error ? e.message : String(e), e);
}

/** Alert name for a wire value, or undefined if unknown. */
export function alertName(code: number): AlertName | undefined {
  for (const [k, v] of Object.entries(AlertDescription)) if (v === code) return k as AlertName;
  return undefined;
}
