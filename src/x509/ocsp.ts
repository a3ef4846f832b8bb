/**
 * Checking a stapled OCSP response (RFC 6960, BasicOCSPResponse) for one certificate. We accept a response
 * signed by the certificate's issuer, or by a delegated responder whose certificate is in the response, is issued
 * (and signed) by that issuer, carries id-kp-OCSPSigning, and is valid at the check time (RFC 6960 §4.2.2.2).
 */
import type { BadCertificateReason } from '../errors.js';
import { TlsError } from '../errors.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { equalPublic, fromHex } from '../codec/bytes.js';
import { hasExtKeyUsage, parseCertificate, readName, signatureSchemeOf, type Certificate } from './certificate.js';
import { DerReader, Tag, bitStringBytes, children, ctxCons, ctxPrim, derError, generalizedTime, nullValue, oid, smallInt } from './der.js';
import { AlgOid, EkuOid, OCSP_BASIC_OID } from './oids.js';
import { DEFAULT_MIN_RSA_BITS, verifySignature } from './signature.js';

/** Clock skew allowed on thisUpdate and nextUpdate. */
export const OCSP_SKEW_MS = 5 * 60 * 1000;
/** How long a response without nextUpdate is considered fresh after its thisUpdate. */
export const OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 7 * 24 * 3600 * 1000;

/** Result of {@link checkOcspResponse}. */
export type OcspResult =
  | { readonly ok: true; readonly status: 'good'; readonly thisUpdate: number; readonly nextUpdate: number | undefined }
  | {
      readonly ok: false;
      readonly reason: BadCertificateReason;
      readonly detail: string;
      /** When the response was authentic and said so: `'revoked'` or `'unknown'`. */
      readonly status?: 'revoked' | 'unknown';
      /** For `'revoked'`: when, ms since the epoch. */
      readonly revocationTime?: number;
    };

const HASHES: Readonly<Record<string, HashAlg>> = {
  [AlgOid.sha1]: 'sha1',
  [AlgOid.sha256]: 'sha256',
  [AlgOid.sha384]: 'sha384',
  [AlgOid.sha512]: 'sha512',
};

const RESPONSE_STATUS = ['successful', 'malformedRequest', 'internalError', 'tryLater', '(unused)', 'sigRequired', 'unauthorized'];

interface SingleResponse {
  readonly hash: HashAlg | undefined;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serial: Uint8Array;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime: number | undefined;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
}

interface Basic {
  readonly tbs: Uint8Array;
  readonly responderByName: Uint8Array | undefined;
  readonly responderByKey: Uint8Array | undefined;
  readonly responses: readonly SingleResponse[];
  readonly signatureAlgorithm: number | undefined;
  readonly signature: Uint8Array;
  readonly certs: readonly Uint8Array[];
}

type Parsed = { readonly basic: Basic } | { readonly unsuccessful: string };

function parse(der: Uint8Array): Parsed {
  const top = new DerReader(der, 'OCSPResponse');
  const r = top.sequence('');
  top.end();
  const en = r.expect(Tag.Enumerated, 'responseStatus');
  const status = smallInt(en, 6);
  if (status !== 0) {
    r.optional(ctxCons(0), 'responseBytes');
    r.end();
    return { unsuccessful: RESPONSE_STATUS[status] ?? String(status) };
  }
  const rbWrap = r.expect(ctxCons(0), 'responseBytes');
  r.end();
  const rbOuter = children(rbWrap);
  const rb = rbOuter.sequence('ResponseBytes');
  rbOuter.end();
  const type = oid(rb.expect(Tag.Oid, 'responseType'));
  const body = rb.expect(Tag.OctetString, 'response');
  rb.end();
  if (type !== OCSP_BASIC_OID) throw derError(rb.path, `unsupported responseType ${type}`);

  const bw = new DerReader(body.value, 'BasicOCSPResponse', 1);
  const b = bw.sequence('');
  bw.end();
  const tbsTlv = b.expect(Tag.Sequence, 'tbsResponseData');
  const sigAlg = b.expect(Tag.Sequence, 'signatureAlgorithm');
  const signature = bitStringBytes(b.expect(Tag.BitString, 'signature'));
  const certsWrap = b.optional(ctxCons(0), 'certs');
  b.end();
  const certs: Uint8Array[] = [];
  if (certsWrap !== undefined) {
    const cw = children(certsWrap);
    cw.sequence('certs').list((x) => certs.push(x.expect(Tag.Sequence, 'Certificate').bytes));
    cw.end();
  }

  const t = children(tbsTlv);
  const v = t.optional(ctxCons(0), 'version');
  if (v !== undefined) {
    const vr = children(v);
    if (smallInt(vr.expect(Tag.Integer, 'version')) !== 0) throw derError(v.path, 'unsupported version');
    vr.end();
  }
  let responderByName: Uint8Array | undefined;
  let responderByKey: Uint8Array | undefined;
  const rid = t.any('responderID');
  if (rid.tag === ctxCons(1)) {
    const n = children(rid);
    responderByName = readName(n.expect(Tag.Sequence, 'byName')).der;
    n.end();
  } else if (rid.tag === ctxCons(2)) {
    const k = children(rid);
    responderByKey = k.expect(Tag.OctetString, 'byKey').value;
    k.end();
  } else {
    throw derError(rid.path, 'bad ResponderID');
  }
  generalizedTime(t.expect(Tag.GeneralizedTime, 'producedAt'));
  const responses = t.sequence('responses').list((x) => readSingle(x));
  t.optional(ctxCons(1), 'responseExtensions');
  t.end();
  return {
    basic: {
      tbs: tbsTlv.bytes,
      responderByName,
      responderByKey,
      responses,
      signatureAlgorithm: signatureSchemeOf(sigAlg),
      signature,
      certs,
    },
  };
}

function readSingle(x: DerReader): SingleResponse {
  const s = x.sequence('SingleResponse');
  const id = s.sequence('certID');
  const alg = id.sequence('hashAlgorithm');
  const hash = HASHES[oid(alg.expect(Tag.Oid, 'algorithm'))];
  if (!alg.done) nullValue(alg.any('parameters'));
  alg.end();
  const issuerNameHash = id.expect(Tag.OctetString, 'issuerNameHash').value;
  const issuerKeyHash = id.expect(Tag.OctetString, 'issuerKeyHash').value;
  const serial = id.expect(Tag.Integer, 'serialNumber').value;
  id.end();
  const cs = s.any('certStatus');
  let status: SingleResponse['status'];
  let revocationTime: number | undefined;
  if (cs.tag === ctxPrim(0) && cs.value.length === 0) status = 'good';
  else if (cs.tag === ctxPrim(2) && cs.value.length === 0) status = 'unknown';
  else if (cs.tag === ctxCons(1)) {
    status = 'revoked';
    const ri = children(cs);
    revocationTime = generalizedTime(ri.expect(Tag.GeneralizedTime, 'revocationTime'));
    ri.optional(ctxCons(0), 'revocationReason');
    ri.end();
  } else throw derError(cs.path, 'bad CertStatus');
  const thisUpdate = generalizedTime(s.expect(Tag.GeneralizedTime, 'thisUpdate'));
  let nextUpdate: number | undefined;
  const nu = s.optional(ctxCons(0), 'nextUpdate');
  if (nu !== undefined) {
    const nr = children(nu);
    nextUpdate = generalizedTime(nr.expect(Tag.GeneralizedTime, 'nextUpdate'));
    nr.end();
  }
  s.optional(ctxCons(1), 'singleExtensions');
  s.end();
  return { hash, issuerNameHash, issuerKeyHash, serial, status, revocationTime, thisUpdate, nextUpdate };
}

/** Options of {@link checkOcspResponse} beyond the positional ones. */
export interface OcspOptions {
  /** Smallest RSA modulus accepted for the responder; default 2048. */
  readonly minRsaBits?: number;
}

/**
 * Check a DER OCSPResponse for `leaf`, issued by `issuer`, at `time` (ms since the epoch; default
 * `provider.now()`). Verifies the responder's authority and signature, finds the SingleResponse whose CertID
 * matches (in whatever hash the responder used), checks thisUpdate ≤ time ≤ nextUpdate with 5 minutes' skew, and
 * reports the status. A revoked status is reported as `Revoked` even if the response is stale (revocation is
 * final). Never throws for a bad response.
 */
export function checkOcspResponse(
  responseDer: Uint8Array,
  leaf: Certificate,
  issuer: Certificate,
  time?: number,
  provider: CryptoProvider = getDefaultProvider(),
  opts: OcspOptions = {},
): OcspResult {
  const now = time ?? provider.now();
  const minRsaBits = opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
  let parsed: Parsed;
  try {
    parsed = parse(responseDer);
  } catch (e) {
    if (e instanceof TlsError) return { ok: false, reason: 'BadEncoding', detail: e.message };
    throw e;
  }
  if ('unsuccessful' in parsed) return { ok: false, reason: 'RevocationUnknown', detail: `OCSP responseStatus ${parsed.unsuccessful}` };
  const basic = parsed.basic;

  // Who signed: the issuer itself, or a delegated responder from `certs`.
  const sha1Key = (c: Certificate): Uint8Array => provider.hash('sha1', c.publicKey);
  const isResponder = (c: Certificate): boolean =>
    (basic.responderByName !== undefined && equalPublic(basic.responderByName, c.subject.der)) ||
    (basic.responderByKey !== undefined && equalPublic(basic.responderByKey, sha1Key(c)));
  let signer: Certificate | undefined;
  let refusal = 'response not signed by the issuer or an authorized responder';
  if (isResponder(issuer)) signer = issuer;
  else {
    for (const der of basic.certs) {
      let c: Certificate;
      try {
        c = parseCertificate(der, provider);
      } catch {
        continue;
      }
      if (!isResponder(c)) continue;
      if (!equalPublic(c.issuer.der, issuer.subject.der)) {
        refusal = 'delegated responder not issued by the certificate issuer';
        continue;
      }
      if (!hasExtKeyUsage(c, EkuOid.ocspSigning)) {
        refusal = 'delegated responder lacks id-kp-OCSPSigning';
        continue;
      }
      if (now < c.notBefore || now > c.notAfter) {
        refusal = 'delegated responder certificate is not valid now';
        continue;
      }
      const f = verifySignature(provider, issuer, c.signatureAlgorithm, c.tbs, c.signature, minRsaBits, 'OCSP responder certificate');
      if (f !== undefined) {
        refusal = f.detail;
        continue;
      }
      signer = c;
      break;
    }
  }
  if (signer === undefined) return { ok: false, reason: 'BadSignature', detail: refusal };
  const sigFail = verifySignature(provider, signer, basic.signatureAlgorithm, basic.tbs, basic.signature, minRsaBits, 'OCSP response');
  if (sigFail !== undefined) return { ok: false, reason: sigFail.reason, detail: sigFail.detail };

  // Find our certificate's entry.
  const serial = fromHex(leaf.serialNumber);
  const single = basic.responses.find((s) => {
    if (s.hash === undefined || !equalPublic(s.serial, serial)) return false;
    return equalPublic(s.issuerNameHash, provider.hash(s.hash, leaf.issuer.der)) && equalPublic(s.issuerKeyHash, provider.hash(s.hash, issuer.publicKey));
  });
  if (single === undefined) return { ok: false, reason: 'RevocationUnknown', detail: 'OCSP response has no entry for this certificate' };

  if (single.status === 'revoked') {
    const at = single.revocationTime ?? 0;
    return { ok: false, reason: 'Revoked', detail: `revoked at ${new Date(at).toISOString()}`, status: 'revoked', revocationTime: at };
  }
  if (single.thisUpdate > now + OCSP_SKEW_MS) return { ok: false, reason: 'RevocationUnknown', detail: 'OCSP response thisUpdate is in the future' };
  const freshUntil = single.nextUpdate ?? single.thisUpdate + OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE_MS;
  if (now > freshUntil + OCSP_SKEW_MS) return { ok: false, reason: 'RevocationUnknown', detail: 'OCSP response is stale' };
  if (single.status === 'unknown') return { ok: false, reason: 'RevocationUnknown', detail: 'responder does not know this certificate', status: 'unknown' };
  return { ok: true, status: 'good', thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
}
