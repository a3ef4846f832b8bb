/**
 * node:tls's error vocabulary on top of ours. node:tls reports a certificate that did not verify with OpenSSL's
 * X509_V_ERR_* name (`authorizationError`, and `err.code` when the connection fails), a wrong host name with
 * 'ERR_TLS_CERT_ALTNAME_INVALID', and a TLS alert with 'ERR_SSL_…'. Our errors keep kind/reason/alert; this module
 * gives them the name code written for node:tls compares against.
 */
import { CredentialError } from '../credentials/errors.js';
import { TlsError } from '../errors.js';
import { isSelfIssued, parseCertificate } from '../x509/certificate.js';
import { altnameError, onlyCnNamesHost } from './altname.js';

/** Our BadCertificate reasons → OpenSSL's verify error names (the ones that do not depend on the chain's shape). */
const FIXED_CODES: Readonly<Record<string, string>> = {
  Expired: 'CERT_HAS_EXPIRED',
  NotYetValid: 'CERT_NOT_YET_VALID',
  BadSignature: 'CERT_SIGNATURE_FAILURE',
  WrongName: 'ERR_TLS_CERT_ALTNAME_INVALID',
  NotCa: 'INVALID_CA',
  WrongUsage: 'INVALID_PURPOSE',
  UnsupportedCriticalExtension: 'UNHANDLED_CRITICAL_EXTENSION',
  NameConstraintViolation: 'PERMITTED_VIOLATION',
  Revoked: 'CERT_REVOKED',
  RevocationUnknown: 'UNABLE_TO_GET_CRL',
  BadEncoding: 'CERT_REJECTED',
  UnsupportedKey: 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  Rejected: 'CERT_REJECTED',
};

/** Whether a DER certificate names itself as its issuer (false when it does not parse). */
function selfIssued(der: Uint8Array): boolean {
  try {
    return isSelfIssued(parseCertificate(der));
  } catch {
    return false;
  }
}

/**
 * The code OpenSSL gives a chain that reached no trust anchor, from the chain's shape as node:tls users see it:
 * a lone self-signed certificate is DEPTH_ZERO_SELF_SIGNED_CERT, a self-signed certificate above the leaf is
 * SELF_SIGNED_CERT_IN_CHAIN, a lone leaf of an unknown issuer is UNABLE_TO_VERIFY_LEAF_SIGNATURE, a longer chain
 * of an unknown issuer UNABLE_TO_GET_ISSUER_CERT_LOCALLY. `chain` undefined (not known, the handshake failed
 * before we kept it): the single-certificate answer.
 */
function untrustedCode(chain: readonly Uint8Array[] | undefined): string {
  const top = chain?.[chain.length - 1];
  if (chain === undefined || top === undefined) return 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
  if (selfIssued(top)) return chain.length === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN';
  return chain.length === 1 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

/**
 * node:tls's code for a BadCertificate reason (`'UnknownIssuer'`, as in `BadCertificate.UnknownIssuer`) and the
 * detail our verifier gave.
 */
export function verifyCode(reason: string, detail: string, chain: readonly Uint8Array[] | undefined): string {
  const fixed = FIXED_CODES[reason];
  if (fixed !== undefined) return fixed;
  if (reason === 'PathTooLong') return detail.includes('pathLenConstraint') ? 'PATH_LENGTH_EXCEEDED' : 'CERT_CHAIN_TOO_LONG';
  if (reason === 'UntrustedRoot') {
    // Our verifier says so only for a self-issued certificate that is not an anchor.
    if (chain === undefined) return 'DEPTH_ZERO_SELF_SIGNED_CERT';
    return untrustedCode(chain);
  }
  return untrustedCode(chain);
}

/**
 * `authorizationError` as node:tls sets it, from the engine's ConnectionInfo.authorizationError
 * (`'Reason: detail'`, or a sentence for the cases without a chain).
 */
export function authorizationCode(engineError: string, chain: readonly Uint8Array[]): string {
  // node:tls (TLSWrap::VerifyError): a missing peer certificate reports UNABLE_TO_GET_ISSUER_CERT.
  if (chain.length === 0) return 'UNABLE_TO_GET_ISSUER_CERT';
  const colon = engineError.indexOf(':');
  const reason = colon > 0 ? engineError.slice(0, colon) : '';
  if (!/^[A-Za-z]+$/.test(reason)) return untrustedCode(chain); // no trust anchors configured
  return verifyCode(reason, engineError.slice(colon + 1), chain);
}

/** node:tls's messages for the codes above (OpenSSL's X509_verify_cert_error_string). */
const MESSAGES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  CERT_REVOKED: 'certificate revoked',
};

/** OpenSSL's sentence for a verify code (node:tls uses it as the error message). */
export function verifyMessage(code: string): string {
  return MESSAGES[code] ?? code.toLowerCase().replace(/_/g, ' ');
}

/** The alerts SSLv3 defined (OpenSSL names them SSLV3_ALERT_*); TLS 1.3's own are TLSV13_ALERT_*, the rest TLSV1_. */
const SSLV3_ALERTS: ReadonlySet<string> = new Set([
  'close_notify', 'unexpected_message', 'bad_record_mac', 'decompression_failure', 'handshake_failure', 'no_certificate',
  'bad_certificate', 'unsupported_certificate', 'certificate_revoked', 'certificate_expired', 'certificate_unknown',
  'illegal_parameter',
]);

function alertFamily(alert: string): string {
  if (SSLV3_ALERTS.has(alert)) return 'SSLV3';
  return alert === 'missing_extension' || alert === 'certificate_required' ? 'TLSV13' : 'TLSV1';
}

/**
 * The `code` node:tls would give this error: a verify code for a certificate we rejected, 'ERR_SSL_…' for a
 * fatal alert received (OpenSSL's spelling, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA') or our own refusal (the reason),
 * 'ERR_TLS_INVALID_CONFIG' for a configuration error.
 */
export function nodeCodeOf(err: TlsError, chain?: readonly Uint8Array[]): string {
  if (err.kind === 'BadCertificate') {
    const reason = err.reason.slice(err.reason.indexOf('.') + 1);
    return verifyCode(reason, err.message, chain);
  }
  if (err.kind === 'InvalidConfig') return 'ERR_TLS_INVALID_CONFIG';
  if (err.kind === 'AlertReceived') return `ERR_SSL_${alertFamily(err.alert)}_ALERT_${err.alert.toUpperCase()}`;
  if (err.kind === 'PeerIncompatible' && err.reason.endsWith('NoCommonVersion')) return 'ERR_SSL_UNSUPPORTED_PROTOCOL';
  if (err.kind === 'PeerIncompatible' && err.reason.endsWith('NoCommonCipherSuite')) return 'ERR_SSL_NO_SHARED_CIPHER';
  if (err.kind === 'PeerIncompatible' && err.reason.endsWith('NoApplicationProtocol')) return 'ERR_SSL_NO_APPLICATION_PROTOCOL';
  if (err.kind === 'BadRecordMac') return 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC';
  if (err.kind === 'LimitExceeded' && err.reason.endsWith('RecordOverflow')) return 'ERR_SSL_RECORD_OVERFLOW';
  if (err.kind === 'InvalidMessage' && err.reason.includes('Record')) return 'ERR_SSL_WRONG_VERSION_NUMBER';
  // A first record that is not TLS at all (an HTTP request or reply): OpenSSL reports its version field.
  if (err.reason.endsWith('InvalidContentType') && /record type \d+/.test(err.message)) return 'ERR_SSL_WRONG_VERSION_NUMBER';
  return `ERR_SSL_${err.reason.slice(err.reason.indexOf('.') + 1).replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/**
 * Give a TlsError node:tls's `code` (kept: kind, reason, alert). A certificate that did not verify also gets
 * node:tls's message (OpenSSL's sentence, 'unable to verify the first certificate'), which code written for
 * node:tls compares against; our own message moves to `detail`. Returns the same object.
 */
export function withNodeCode<E extends Error>(err: E, chain?: readonly Uint8Array[]): E & { code?: string; detail?: string } {
  if (err instanceof TlsError && (err as { code?: unknown }).code === undefined) {
    // The chain the verifier judged travels on the error when the handshake failed on it.
    const judged = chain ?? err.peerChain;
    const code = nodeCodeOf(err, judged);
    Object.defineProperty(err, 'code', { value: code, enumerable: true, configurable: true, writable: true });
    // OpenSSL's library name for its SSL errors (node:tls sets `library` beside `code`).
    if (code.startsWith('ERR_SSL_')) Object.defineProperty(err, 'library', { value: 'SSL routines', enumerable: true, configurable: true, writable: true });
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
      // The phrase node:tls users look for ("SSL routines::wrong version number"), after our own message.
      Object.defineProperty(err, 'message', { value: `${err.message} (the peer does not speak TLS: SSL routines::wrong version number)`, enumerable: false, configurable: true, writable: true });
    }
    const sentence = err.kind === 'BadCertificate' ? MESSAGES[code] : undefined;
    if (sentence !== undefined) asNodeMessage(err, sentence);
    const wrongName = code === 'ERR_TLS_CERT_ALTNAME_INVALID' && judged !== undefined && judged.length > 0 ? /is not valid for (?:name|IP address) (\S+)$/.exec(err.message) : null;
    if (wrongName !== null && wrongName[1] !== undefined && onlyCnNamesHost(wrongName[1], judged as readonly Uint8Array[])) {
      // node:tls would have taken the CN; our message says why we do not (and keeps the certificate's name).
      Object.defineProperty(err, 'message', { value: `${err.message} (the name is only in the subject CN, which is not used: RFC 9525 §6.3)`, enumerable: false, configurable: true, writable: true });
    } else if (wrongName !== null && wrongName[1] !== undefined) {
      // node:tls's checkServerIdentity sentence ('Host: x. is not cert's CN: y'), with its `host` and `cert`.
      const named = altnameError(wrongName[1], judged as readonly Uint8Array[]);
      asNodeMessage(err, named.message);
      Object.defineProperty(err, 'host', { value: named.host, enumerable: true, configurable: true, writable: true });
      if (named.cert !== undefined) Object.defineProperty(err, 'cert', { value: named.cert, enumerable: false, configurable: true, writable: true });
    }
  }
  return err;
}

/**
 * Give `err` node:tls's message (and its name, 'Error': node:tls's errors are plain Errors, and code written for it
 * compares `String(err)`); our own message moves to `detail`. The object stays a TlsError (kind, reason, alert).
 */
function asNodeMessage(err: TlsError, message: string): void {
  Object.defineProperty(err, 'detail', { value: err.message, enumerable: true, configurable: true, writable: true });
  Object.defineProperty(err, 'message', { value: message, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(err, 'name', { value: 'Error', enumerable: false, configurable: true, writable: true });
}

/** node:tls's error (OpenSSL's message, Node's code) for a key or PFX that could not be loaded, by our reason. */
const CREDENTIAL_ERRORS: Readonly<Record<'key' | 'pfx', Partial<Record<string, { message: string; code?: string; library?: string }>>>> = {
  // OpenSSL 3's provider reports a wrong or missing passphrase of an encrypted key this way.
  key: { BadPassword: { message: 'error:1C800064:Provider routines::bad decrypt', code: 'ERR_OSSL_BAD_DECRYPT', library: 'Provider routines' } },
  pfx: {
    // PKCS12_parse: the MAC does not verify under the password (no code: Node throws ERR_reason_error_string).
    BadPassword: { message: 'mac verify failure' },
    NoKey: { message: 'Unable to load private key from PFX data', code: 'ERR_CRYPTO_OPERATION_FAILED' },
  },
};

/**
 * A credential that could not be loaded (a TlsError InvalidConfig whose cause is our CredentialError) with the
 * message and code node:tls gives the same failure ('bad decrypt' for an encrypted key's wrong or missing
 * passphrase, 'mac verify failure' for a PFX's). Anything else is returned unchanged.
 */
export function withNodeCredentialError(e: unknown, source: 'key' | 'pfx'): unknown {
  if (!(e instanceof TlsError) || !(e.cause instanceof CredentialError)) return e;
  const node = CREDENTIAL_ERRORS[source][e.cause.code];
  if (node === undefined) return e;
  asNodeMessage(e, node.message);
  // node:tls's `reason` ('bad decrypt') is not set: ours ('InvalidConfig') stays, with `cause` naming the credential's.
  for (const k of ['code', 'library'] as const) {
    const v = node[k];
    if (v !== undefined) Object.defineProperty(e, k, { value: v, enumerable: true, configurable: true, writable: true });
  }
  return e;
}
