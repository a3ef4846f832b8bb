/**
 * Chain, CertificateVerify and Finished checks: the only module that mints proof tokens. `Traffic` states need
 * all three, so a state machine cannot reach application data without having checked them.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { badCertificate, decodeError, misbehaved, type BadCertificateReason } from '../errors.js';
import { SignatureScheme } from '../wire/registry.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import type { ChainVerifier, VerifyOptions } from '../x509/chain.js';
import { checkOcspResponse } from '../x509/ocsp.js';
import { Reader } from '../codec/reader.js';

declare const proof: unique symbol;
/** The peer's chain was checked (or checking was explicitly disabled). */
export type CertVerified = { readonly [proof]: 'CertVerified' };
/** The peer proved possession of its key (or authenticated by PSK). */
export type SignatureVerified = { readonly [proof]: 'SignatureVerified' };
/** The peer's Finished was correct. */
export type FinishedVerified = { readonly [proof]: 'FinishedVerified' };

const CERT = {} as CertVerified;
const SIG = {} as SignatureVerified;
const FIN = {} as FinishedVerified;

/** Inputs for {@link verifyPeerChain}: the verifier (null: accept unverified), time in ms, expected name and usage. */
export interface ChainCheck {
  readonly verifier: ChainVerifier | null;
  readonly time: number;
  readonly serverName?: string | undefined;
  readonly usage: 'serverAuth' | 'clientAuth';
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Verify a peer chain; a failure is a TlsError with the validator's reason and its alert. `leaf`: chain[0] already
 * parsed (see {@link parsedLeaf}), so that it is not looked up again.
 */
export function verifyPeerChain(chain: readonly Uint8Array[], c: ChainCheck, leaf?: Certificate): CertVerified {
  if (c.verifier === null) return CERT;
  const name = c.serverName;
  const isIp = name !== undefined && (IPV4.test(name) || name.includes(':'));
  // One literal per case (no spreads of temporary objects per handshake).
  const opts: VerifyOptions =
    name === undefined ? { time: c.time, usage: c.usage } : isIp ? { time: c.time, usage: c.usage, ipAddress: name } : { time: c.time, usage: c.usage, serverName: name };
  const res = c.verifier.verify(leaf === undefined ? chain : chain.length === 1 ? [leaf] : [leaf, ...chain.slice(1)], opts);
  if (!res.ok) {
    const err = badCertificate(res.reason as BadCertificateReason, { detail: res.detail });
    err.peerChain = chain;
    throw err;
  }
  return CERT;
}

/**
 * The chain's leaf parsed, for a chain that will be verified (a verifier is set) and whose CertificateVerify follows:
 * one parse (and one look-up of the parse cache) serves both. Undefined when the chain is not verified or the leaf
 * does not parse: the checks then parse it themselves and fail as they always did.
 */
export function parsedLeaf(chain: readonly Uint8Array[], c: ChainCheck, p: CryptoProvider): Certificate | undefined {
  const der = chain[0];
  if (c.verifier === null || der === undefined) return undefined;
  try {
    return parseCertificate(der, p);
  } catch {
    return undefined;
  }
}

/** What to do with a stapled OCSP response (RFC 6066 §8, RFC 8446 §4.4.2.1). */
export type OcspPolicy = 'ignore' | 'check' | 'require';

/** Decode a CertificateStatus body (status_type ocsp(1), then the DER response). */
export function decodeCertificateStatus(body: Uint8Array): Uint8Array {
  const r = new Reader(body, 'CertificateStatus');
  if (r.u8('status_type') !== 1) throw misbehaved('InvalidCertificateStatus', { detail: 'status_type' });
  const resp = r.vec24('ocsp_response', { min: 1 }).rest().slice();
  r.expectEnd();
  return resp;
}

/**
 * Check a stapled OCSP response against the validated path (issuer = the leaf's parent in it). Revoked →
 * certificate_revoked; unusable → bad_certificate_status_response; `require` without a staple →
 * bad_certificate_status_response.
 */
export function checkStapledOcsp(chain: readonly Uint8Array[], staple: Uint8Array | undefined, policy: OcspPolicy, c: ChainCheck, p: CryptoProvider): void {
  if (policy === 'ignore') return;
  if (staple === undefined) {
    // RFC 6066 §8: a client that requires a status response aborts with bad_certificate_status_response.
    if (policy === 'require') throw badCertificate('RevocationUnknown', { alert: 'bad_certificate_status_response', detail: 'no OCSP response stapled' });
    return;
  }
  let issuerDer = chain[1];
  if (c.verifier !== null) {
    const res = c.verifier.verify(chain, { time: c.time, usage: c.usage });
    if (res.ok) issuerDer = res.chain[1];
  }
  if (issuerDer === undefined) throw misbehaved('InvalidCertificateStatus', { detail: 'no issuer to check the OCSP response against' });
  const res = checkOcspResponse(staple, parseCertificate(chain[0] as Uint8Array, p), parseCertificate(issuerDer, p), c.time, p);
  if (res.ok) return;
  if (res.status === 'revoked') throw badCertificate('Revoked', { detail: res.detail });
  throw misbehaved('InvalidCertificateStatus', { detail: `${res.reason}: ${res.detail}` });
}

/** Server: a client chain from a session this server's ticket keys sealed, trusted as its first handshake found it. */
export function chainFromResumption(): CertVerified {
  return CERT;
}

/**
 * Client: the server chain a resumed session carries, verified again under this connection's policy (anchors, name,
 * time). Nothing in a session's bytes proves the policy its first handshake ran under (it may have been made with
 * `rejectUnauthorized: false`, other anchors or another name, and the application may hand it to any later
 * connection), so its verdict is never carried over: it resumes only if its chain verifies now.
 */
export function resumedServerChain(chain: readonly Uint8Array[], c: ChainCheck): CertVerified {
  return verifyPeerChain(chain, c);
}

/** Authentication by a PSK whose binder was verified. */
export function signatureFromPsk(): SignatureVerified {
  return SIG;
}

/** No certificate was sent and none was required (client side of an optional client-auth server). */
export function noClientCertificate(): CertVerified & SignatureVerified {
  return {} as CertVerified & SignatureVerified;
}

/** The content covered by a TLS 1.3 CertificateVerify (RFC 8446 §4.4.3). */
function cvPrefix(context: string): Uint8Array {
  const out = new Uint8Array(64 + context.length + 1);
  out.fill(0x20, 0, 64);
  for (let i = 0; i < context.length; i++) out[64 + i] = context.charCodeAt(i);
  return out;
}
/** 64 spaces ‖ context string ‖ 0x00, for each side (constants). */
const CV_SERVER = cvPrefix('TLS 1.3, server CertificateVerify');
const CV_CLIENT = cvPrefix('TLS 1.3, client CertificateVerify');

/** The content a TLS 1.3 CertificateVerify signs: 64 spaces ‖ context string ‖ 0x00 ‖ transcript hash (RFC 8446 §4.4.3). */
export function certificateVerifyContent(server: boolean, transcriptHash: Uint8Array): Uint8Array {
  const prefix = server ? CV_SERVER : CV_CLIENT;
  const out = new Uint8Array(prefix.length + transcriptHash.length);
  out.set(prefix, 0);
  out.set(transcriptHash, prefix.length);
  return out;
}

/** Which TLS 1.3 schemes fit a public key algorithm (RFC 8446 §4.2.3). */
export function schemeFitsKey(scheme: number, keyAlgorithm: string, tls12 = false): boolean {
  switch (scheme) {
    // RFC 5246 §7.4.1.4.1 / RFC 8422 §5.1.3: in TLS 1.2 these name (hash, ecdsa) only; the curve is not bound.
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return keyAlgorithm === 'ec-p256' || (tls12 && keyAlgorithm.startsWith('ec-p'));
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return keyAlgorithm === 'ec-p384' || (tls12 && keyAlgorithm.startsWith('ec-p'));
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return keyAlgorithm === 'ec-p521' || (tls12 && keyAlgorithm.startsWith('ec-p'));
    case SignatureScheme.ed25519:
      return keyAlgorithm === 'ed25519';
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
      return keyAlgorithm === 'rsa';
    case SignatureScheme.rsa_pss_pss_sha256:
    case SignatureScheme.rsa_pss_pss_sha384:
    case SignatureScheme.rsa_pss_pss_sha512:
      return keyAlgorithm === 'rsa-pss';
    case SignatureScheme.rsa_pkcs1_sha256:
    case SignatureScheme.rsa_pkcs1_sha384:
    case SignatureScheme.rsa_pkcs1_sha512:
      return tls12 && keyAlgorithm === 'rsa';
    default:
      return false;
  }
}

/**
 * Verify the peer's CertificateVerify: the scheme must be one we offered and fit the leaf's key
 * (illegal_parameter otherwise), and the signature must verify (decrypt_error, RFC 8446 §4.4.3).
 */
export function verifyCertificateVerify13(
  p: CryptoProvider,
  leafDer: Uint8Array | Certificate,
  scheme: number,
  signature: Uint8Array,
  offered: readonly number[],
  fromServer: boolean,
  transcriptHash: Uint8Array,
): SignatureVerified {
  const leaf = leafDer instanceof Uint8Array ? parseCertificate(leafDer, p) : leafDer;
  if (!offered.includes(scheme)) throw misbehaved('SignatureSchemeNotOffered');
  if (!schemeFitsKey(scheme, leaf.publicKeyAlgorithm)) throw misbehaved('SignatureSchemeMismatchesKey');
  const key = p.loadVerifyingKey(leaf.spki);
  if (!key.verify(scheme, certificateVerifyContent(fromServer, transcriptHash), signature)) throw misbehaved('BadSignature');
  return SIG;
}

/** Verify a signature over arbitrary content (TLS 1.2 ServerKeyExchange / CertificateVerify). */
export function verifySignature12(
  p: CryptoProvider,
  leafDer: Uint8Array,
  scheme: number,
  content: Uint8Array,
  signature: Uint8Array,
  offered: readonly number[],
): SignatureVerified {
  const leaf = parseCertificate(leafDer, p);
  if (!offered.includes(scheme)) throw misbehaved('SignatureSchemeNotOffered');
  if (!schemeFitsKey(scheme, leaf.publicKeyAlgorithm, true)) throw misbehaved('SignatureSchemeMismatchesKey');
  const key = p.loadVerifyingKey(leaf.spki);
  if (!key.verify(scheme, content, signature)) throw misbehaved('BadSignature');
  return SIG;
}

/**
 * Verify a Finished in constant time (decrypt_error on mismatch, RFC 8446 §4.4.4 / RFC 5246 §7.4.9).
 * `expected` is computed by the version's key schedule.
 */
export function verifyFinished(p: CryptoProvider, expected: Uint8Array, received: Uint8Array): FinishedVerified {
  // RFC 8446 §4.4.4: verify_data is exactly Hash.length bytes; any other length does not decode (§6.2 decode_error).
  if (received.length !== expected.length) throw decodeError('Finished', `verify_data of ${received.length} bytes`);
  if (!p.equalSecret(expected, received)) throw misbehaved('IncorrectFinished');
  return FIN;
}

/** Verify a value computed elsewhere (TLS 1.2 verify_data) in constant time. */
export function verifyEqualSecret(p: CryptoProvider, expected: Uint8Array, received: Uint8Array): FinishedVerified {
  // RFC 5246 §7.4.9: verify_data is verify_data_length (12) bytes; another length is decode_error.
  if (received.length !== expected.length) throw decodeError('Finished', `verify_data of ${received.length} bytes`);
  if (!p.equalSecret(expected, received)) throw misbehaved('IncorrectFinished');
  return FIN;
}
