/**
 * Caller-supplied certificate revocation lists (RFC 5280 §5), checked against a validated path.
 *
 * Accepted: complete, direct v2 CRLs with a non-critical cRLNumber, a nextUpdate, and no critical extension we do
 * not process. Refused when loaded (InvalidConfig, naming the reason): delta CRLs (deltaCRLIndicator), indirect
 * CRLs (issuingDistributionPoint indirectCRL, or a certificateIssuer entry extension), CRLs partitioned by reason
 * (onlySomeReasons) or for attribute certificates, and malformed ones.
 *
 * Use: for each certificate of the path below the anchor, the CRLs whose issuer Name is the certificate's issuer
 * and whose signature verifies with the key of the next certificate in the path apply (an issuer with keyUsage
 * must assert cRLSign; a CRL whose key identifier names the issuer but whose signature fails is unusable). A listed serial is `Revoked` (revocation is final: a stale CRL still revokes); when every
 * applicable CRL is outside its thisUpdate..nextUpdate window (± 5 minutes of clock skew), or its issuer may not sign CRLs, the result is
 * `RevocationUnknown`. A certificate for whose issuer no CRL was supplied is not checked.
 */
import { configError, TlsError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { equalPublic, hex } from '../codec/bytes.js';
import { readName, signatureSchemeOf, type Certificate, type DistinguishedName } from './certificate.js';
import { DerReader, Tag, bitStringBytes, boolean, checkInteger, children, ctxCons, ctxPrim, decodeOne, derError, integer, oid, smallInt, time, type Tlv } from './der.js';
import { CrlExtOid } from './oids.js';
import { verifySignature, type Failure } from './signature.js';

/** Clock difference tolerated at either end of a CRL's validity window (as for stapled OCSP, ocsp.ts). */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** RFC 5280 §5.3.1 reason codes, by value. */
const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', '(7)', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];

/** One revoked certificate of a CRL. */
export interface RevokedEntry {
  readonly revocationDate: number;
  /** The reasonCode entry extension's name, when present. */
  readonly reason: string | undefined;
}

/** A parsed, supported CRL. */
export interface Crl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  readonly crlNumber: bigint;
  /** Revoked serial numbers (lower-case hex of the INTEGER contents, as Certificate.serialNumber). */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /** The issuingDistributionPoint scope: all certificates, only end-entity ones, or only CA ones. */
  readonly scope: 'all' | 'user' | 'ca';
  readonly signatureAlgorithm: number | undefined;
  readonly signature: Uint8Array;
}

function readExtensions(t: Tlv, each: (id: string, critical: boolean, value: Tlv) => void): void {
  const seen = new Set<string>();
  children(t).list((r) => {
    const e = r.sequence('Extension');
    const id = oid(e.expect(Tag.Oid, 'extnID'));
    const c = e.optional(Tag.Boolean, 'critical');
    const value = e.expect(Tag.OctetString, 'extnValue');
    e.end();
    if (seen.has(id)) throw derError(e.path, `duplicate extension ${id}`);
    seen.add(id);
    each(id, c !== undefined && boolean(c), value);
  });
}

function unsupported(detail: string): TlsError {
  return configError(`CRL not supported: ${detail}`);
}

/**
 * Parse a DER CRL. Throws `InvalidConfig` for a malformed CRL (naming the field) or one of the kinds we refuse
 * (delta, indirect, partitioned by reason).
 */
export function parseCrl(der: Uint8Array): Crl {
  try {
    return decodeCrl(der.slice());
  } catch (e) {
    if (e instanceof TlsError && e.kind === 'BadCertificate') throw configError(`CRL cannot be parsed: ${e.message}`);
    throw e;
  }
}

function decodeCrl(der: Uint8Array): Crl {
  const outer = children(decodeOne(der, Tag.Sequence, 'CertificateList'));
  const tbsTlv = outer.expect(Tag.Sequence, 'tbsCertList');
  const sigAlg = outer.expect(Tag.Sequence, 'signatureAlgorithm');
  const signature = bitStringBytes(outer.expect(Tag.BitString, 'signatureValue'));
  outer.end();
  const t = children(tbsTlv);
  const v = t.optional(Tag.Integer, 'version');
  if (v === undefined || smallInt(v, 1) !== 1) throw unsupported('not a v2 CRL (RFC 5280 §5.1.2.1: v2 is required for cRLNumber)');
  const inner = t.expect(Tag.Sequence, 'signature');
  if (!equalPublic(inner.bytes, sigAlg.bytes)) throw derError('CertificateList.signatureAlgorithm', 'differs from tbsCertList.signature');
  const issuer = readName(t.expect(Tag.Sequence, 'issuer'));
  const thisUpdate = time(t.any('thisUpdate'));
  let nextUpdate: number | undefined;
  let revokedTlv: Tlv | undefined;
  let extTlv: Tlv | undefined;
  while (!t.done) {
    const x = t.any('tbsCertList field');
    if ((x.tag === Tag.UtcTime || x.tag === Tag.GeneralizedTime) && nextUpdate === undefined && revokedTlv === undefined && extTlv === undefined) nextUpdate = time(x);
    else if (x.tag === Tag.Sequence && revokedTlv === undefined && extTlv === undefined) revokedTlv = x;
    else if (x.tag === ctxCons(0) && extTlv === undefined) extTlv = x;
    else throw derError(x.path, 'unexpected field');
  }
  if (nextUpdate === undefined) throw unsupported('no nextUpdate (RFC 5280 §5.1.2.5 requires it)');

  let crlNumber: bigint | undefined;
  let authorityKeyIdentifier: Uint8Array | undefined;
  let scope: Crl['scope'] = 'all';
  if (extTlv !== undefined) {
    const er = children(extTlv);
    readExtensions(er.expect(Tag.Sequence, 'crlExtensions'), (id, critical, value) => {
      const path = `crlExtension(${id})`;
      switch (id) {
        case CrlExtOid.crlNumber: {
          if (critical) throw unsupported('cRLNumber marked critical (RFC 5280 §5.2.3: non-critical)');
          const n = decodeOne(value.value, Tag.Integer, path);
          checkInteger(n);
          crlNumber = integer(n);
          if (crlNumber < 0n || n.value.length > 20) throw derError(path, 'cRLNumber out of range');
          break;
        }
        case CrlExtOid.deltaCrlIndicator:
          throw unsupported('delta CRLs (deltaCRLIndicator) are not supported; supply complete CRLs');
        case CrlExtOid.authorityKeyIdentifier: {
          if (critical) throw unsupported('authorityKeyIdentifier marked critical');
          const s = new DerReader(value.value, path, 1).sequence('AuthorityKeyIdentifier');
          authorityKeyIdentifier = s.optional(ctxPrim(0), 'keyIdentifier')?.value;
          s.optional(ctxCons(1), 'authorityCertIssuer');
          s.optional(ctxPrim(2), 'authorityCertSerialNumber');
          s.end();
          break;
        }
        case CrlExtOid.issuingDistributionPoint:
          scope = readIdp(value.value, path);
          break;
        case CrlExtOid.issuerAltName:
        case CrlExtOid.freshestCrl:
          if (critical) throw unsupported(`critical extension ${id} is not processed`);
          break;
        default:
          if (critical) throw unsupported(`critical extension ${id} is not processed`);
      }
    });
    er.end();
  }
  if (crlNumber === undefined) throw unsupported('no cRLNumber (RFC 5280 §5.2.3: conforming CRL issuers MUST include it)');

  const revoked = new Map<string, RevokedEntry>();
  if (revokedTlv !== undefined) {
    children(revokedTlv).list((r) => {
      const e = r.sequence('revokedCertificate');
      const serial = e.expect(Tag.Integer, 'userCertificate');
      checkInteger(serial);
      const revocationDate = time(e.any('revocationDate'));
      let reason: string | undefined;
      if (!e.done) {
        readExtensions(e.expect(Tag.Sequence, 'crlEntryExtensions'), (id, critical, value) => {
          if (id === CrlExtOid.certificateIssuer) throw unsupported('indirect CRL (certificateIssuer entry extension)');
          if (id === CrlExtOid.reasonCode) {
            const code = decodeOne(value.value, Tag.Enumerated, `entry reasonCode`);
            const n = smallInt({ ...code, tag: Tag.Integer }, 10);
            reason = REASONS[n];
          } else if (critical && id !== CrlExtOid.invalidityDate) {
            throw unsupported(`critical entry extension ${id} is not processed`);
          }
        });
      }
      e.end();
      revoked.set(hex(serial.value), { revocationDate, reason });
    });
  }
  t.end();
  return Object.freeze({
    der,
    tbs: tbsTlv.bytes,
    issuer,
    thisUpdate,
    nextUpdate,
    crlNumber,
    revoked,
    authorityKeyIdentifier,
    scope,
    signatureAlgorithm: signatureSchemeOf(sigAlg),
    signature,
  });
}

/** issuingDistributionPoint (RFC 5280 §5.2.5): the scope it gives, or a refusal for what we do not handle. */
function readIdp(value: Uint8Array, path: string): Crl['scope'] {
  const s = new DerReader(value, path, 1).sequence('IssuingDistributionPoint');
  s.optional(ctxCons(0), 'distributionPoint');
  const user = s.optional(ctxPrim(1), 'onlyContainsUserCerts');
  const ca = s.optional(ctxPrim(2), 'onlyContainsCACerts');
  const some = s.optional(ctxPrim(3), 'onlySomeReasons');
  const indirect = s.optional(ctxPrim(4), 'indirectCRL');
  const attr = s.optional(ctxPrim(5), 'onlyContainsAttributeCerts');
  s.end();
  const flag = (x: Tlv | undefined): boolean => x !== undefined && boolean({ ...x, tag: Tag.Boolean });
  if (flag(indirect)) throw unsupported('indirect CRLs (issuingDistributionPoint indirectCRL) are not supported');
  if (some !== undefined) throw unsupported('CRLs partitioned by reason (onlySomeReasons) are not supported');
  if (flag(attr)) throw unsupported('CRLs of attribute certificates are not supported');
  if (flag(user) && flag(ca)) throw derError(path, 'onlyContainsUserCerts and onlyContainsCACerts both set');
  return flag(user) ? 'user' : flag(ca) ? 'ca' : 'all';
}

/** DER or PEM (`X509 CRL`) inputs into parsed CRLs; throws InvalidConfig for any that cannot be used. */
export function parseCrls(list: readonly (Uint8Array | Crl)[]): Crl[] {
  return list.map((c) => (c instanceof Uint8Array ? parseCrl(c) : c));
}

/** CRL signatures known good, CRL → issuers, by object (cf. chain.ts's signature cache). */
export type CrlSigCache = WeakMap<Crl, WeakSet<Certificate>>;

/**
 * Check `path` (leaf first, anchor last) against `crls` at `time`; undefined when no applicable CRL lists any
 * certificate of it. See the module comment for the rules.
 */
export function checkCrls(
  path: readonly Certificate[],
  crls: readonly Crl[],
  time: number,
  provider: CryptoProvider = getDefaultProvider(),
  minRsaBits = 2048,
  cache?: CrlSigCache,
): Failure | undefined {
  if (crls.length === 0) return undefined;
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i] as Certificate;
    const issuer = path[i + 1] as Certificate;
    const isCa = i > 0;
    let usable = false;
    let unusable: string | undefined;
    for (const crl of crls) {
      if (!equalPublic(crl.issuer.der, cert.issuer.der)) continue;
      if ((crl.scope === 'user' && isCa) || (crl.scope === 'ca' && !isCa)) continue;
      const ski = issuer.extensions.subjectKeyIdentifier;
      if (crl.authorityKeyIdentifier !== undefined && ski !== undefined && !equalPublic(crl.authorityKeyIdentifier, ski)) continue;
      if (!signatureOk(crl, issuer, provider, minRsaBits, cache)) {
        // Same name and key identifier, yet the signature fails: this issuer's CRL, corrupted. Without key
        // identifiers it may be another CA's of the same name: skipped.
        if (crl.authorityKeyIdentifier !== undefined && ski !== undefined) unusable = `the signature of the CRL of '${crl.issuer.text}' does not verify`;
        continue;
      }
      if (issuer.extensions.keyUsage !== undefined && !issuer.extensions.keyUsage.cRLSign) {
        unusable = `'${issuer.subject.text}' signed a CRL but its keyUsage lacks cRLSign`;
        continue;
      }
      const entry = crl.revoked.get(cert.serialNumber);
      if (entry !== undefined) {
        const why = entry.reason === undefined ? '' : ` (${entry.reason})`;
        return { reason: 'Revoked', detail: `serial ${cert.serialNumber} of '${cert.subject.text}' is on the CRL of '${crl.issuer.text}'${why}, revoked ${new Date(entry.revocationDate).toISOString()}` };
      }
      if (time + CLOCK_SKEW_MS < crl.thisUpdate || time > crl.nextUpdate + CLOCK_SKEW_MS) {
        unusable = `the CRL of '${crl.issuer.text}' is valid ${new Date(crl.thisUpdate).toISOString()} .. ${new Date(crl.nextUpdate).toISOString()}`;
        continue;
      }
      usable = true;
    }
    if (!usable && unusable !== undefined) return { reason: 'RevocationUnknown', detail: `'${cert.subject.text}': ${unusable}` };
  }
  return undefined;
}

function signatureOk(crl: Crl, issuer: Certificate, provider: CryptoProvider, minRsaBits: number, cache: CrlSigCache | undefined): boolean {
  if (cache?.get(crl)?.has(issuer) === true) return true;
  const ok = verifySignature(provider, issuer, crl.signatureAlgorithm, crl.tbs, crl.signature, minRsaBits, 'CRL') === undefined;
  if (ok && cache !== undefined) {
    const s = cache.get(crl);
    if (s !== undefined) s.add(issuer);
    else cache.set(crl, new WeakSet([issuer]));
  }
  return ok;
}
