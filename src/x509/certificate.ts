/**
 * The TBSCertificate fields we use (RFC 5280 §4.1), parsed strictly with our DER reader. Parsing is not on the
 * handshake hot path: results are cached in a bounded map, so a client seeing the same certificates on every
 * handshake parses them once.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { equalPublic, hex } from '../codec/bytes.js';
import { SignatureScheme } from '../wire/registry.js';
import {
  DerReader,
  Tag,
  bitString,
  bitStringBytes,
  boolean,
  checkInteger,
  children,
  ctxCons,
  ctxPrim,
  decodeOne,
  derError,
  displayString,
  integer,
  nullValue,
  oid,
  smallInt,
  time,
  ascii,
  type Tlv,
} from './der.js';
import { AlgOid, AttributeName, ExtOid, UPN_OID } from './oids.js';

/** Public key algorithm of a SubjectPublicKeyInfo; `'unknown'` for anything we cannot verify with. */
export type PublicKeyAlgorithm = 'rsa' | 'rsa-pss' | 'ec-p256' | 'ec-p384' | 'ec-p521' | 'ed25519' | 'ed448' | 'unknown';

/** An X.501 Name: its DER bytes (compared byte for byte when chaining) and an RFC 4514-style display string. */
export interface DistinguishedName {
  /** The DER encoding of the Name (the whole SEQUENCE). */
  readonly der: Uint8Array;
  /** Display form, most specific RDN first: `'CN=foo, O=bar'`. For logs and errors only. */
  readonly text: string;
}

/** The basicConstraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  readonly cA: boolean;
  /** pathLenConstraint, or undefined when absent (no limit). */
  readonly pathLen: number | undefined;
}

/** The keyUsage extension's bits (RFC 5280 §4.2.1.3). */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

/** The subjectAltName names we read (RFC 5280 §4.2.1.6). */
export interface SubjectAltName {
  /** dNSName entries as written (ASCII). */
  readonly dnsNames: readonly string[];
  /** iPAddress entries: 4 bytes (IPv4) or 16 bytes (IPv6). */
  readonly ipAddresses: readonly Uint8Array[];
  /** rfc822Name entries. */
  readonly emails: readonly string[];
  /** uniformResourceIdentifier entries. */
  readonly uris: readonly string[];
  /** Microsoft userPrincipalName otherName entries. */
  readonly upns: readonly string[];
  /** How many directoryName entries there are (not used for matching). */
  readonly directoryNameCount: number;
  /** How many otherName entries (userPrincipalName included), x400Address, ediPartyName, registeredID entries. */
  readonly otherNameCount: number;
  readonly x400AddressCount: number;
  readonly ediPartyNameCount: number;
  readonly registeredIdCount: number;
}

/** One side (permitted or excluded) of a nameConstraints extension. */
export interface GeneralSubtrees {
  /** dNSName bases, lower-cased. */
  readonly dnsNames: readonly string[];
  /** iPAddress bases: address ‖ mask, 8 bytes (IPv4) or 32 bytes (IPv6). */
  readonly ipAddresses: readonly Uint8Array[];
  /** rfc822Name bases (we do not evaluate them; a constrained subordinate with e-mail names fails closed). */
  readonly emails: readonly string[];
  /** uniformResourceIdentifier bases (same fail-closed treatment). */
  readonly uris: readonly string[];
  /** directoryName bases, DER (not evaluated: subject DNs are not used for identity). */
  readonly directoryNames: readonly Uint8Array[];
  /**
   * How many bases of the types we cannot evaluate: otherName, x400Address, ediPartyName, registeredID. A
   * subordinate carrying a name of a type constrained here fails closed.
   */
  readonly otherNameCount: number;
  readonly x400AddressCount: number;
  readonly ediPartyNameCount: number;
  readonly registeredIdCount: number;
}

/** The nameConstraints extension (RFC 5280 §4.2.1.10). */
export interface NameConstraints {
  readonly permitted: GeneralSubtrees | undefined;
  readonly excluded: GeneralSubtrees | undefined;
}

/** The extensions we understand, plus the critical ones we do not. */
export interface Extensions {
  readonly basicConstraints: BasicConstraints | undefined;
  readonly keyUsage: KeyUsage | undefined;
  /** extKeyUsage purpose OIDs, e.g. `'1.3.6.1.5.5.7.3.1'` (serverAuth). */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltName: SubjectAltName | undefined;
  readonly nameConstraints: NameConstraints | undefined;
  /** authorityKeyIdentifier's keyIdentifier. */
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /** The whole authorityKeyIdentifier extension, when present: which of its three fields are there. */
  readonly authorityKey: AuthorityKey | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  /** OIDs of every extension, in order. */
  readonly present: readonly string[];
  /** OIDs of the extensions marked critical. */
  readonly critical: readonly string[];
  /** OIDs of critical extensions we do not understand: a certificate with any is rejected when validated. */
  readonly unhandledCritical: readonly string[];
  /**
   * Extensions that are well-formed DER but break their own syntax (e.g. an authorityInfoAccess that is not a
   * SEQUENCE OF AccessDescription), described. Kept rather than thrown so that one odd extension in a trust store
   * does not make the store unusable; a certificate with any is rejected when it is part of a path.
   */
  readonly malformed: readonly string[];
}

/** The authorityKeyIdentifier extension (RFC 5280 §4.2.1.1): which fields it carries. */
export interface AuthorityKey {
  readonly keyIdentifier: Uint8Array | undefined;
  readonly hasAuthorityCertIssuer: boolean;
  readonly hasAuthorityCertSerialNumber: boolean;
  /** The Name of authorityCertIssuer when it is one directoryName (DER), else undefined. */
  readonly authorityCertIssuerName: Uint8Array | undefined;
  /** authorityCertSerialNumber, lower-case hex of its contents octets. */
  readonly authorityCertSerialNumber: string | undefined;
}

/** A parsed X.509 v1–v3 certificate. All byte fields are views into `der`, which is our own copy. */
export interface Certificate {
  /** The whole certificate, DER. */
  readonly der: Uint8Array;
  /** The TBSCertificate bytes (what the issuer signed). */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** Serial number, lower-case hex of its DER contents octets (two's complement: a first digit ≥ 8 is negative). */
  readonly serialNumber: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Start of the validity period, ms since the epoch. */
  readonly notBefore: number;
  /** End of the validity period (inclusive), ms since the epoch. */
  readonly notAfter: number;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  /** The subjectPublicKey BIT STRING contents (what OCSP's issuerKeyHash hashes). */
  readonly publicKey: Uint8Array;
  readonly publicKeyAlgorithm: PublicKeyAlgorithm;
  /** RSA modulus size in bits; the curve size for EC; 0 otherwise. */
  readonly publicKeyBits: number;
  /** The TLS SignatureScheme the issuer signed with, or undefined if unsupported (SHA-1, odd PSS parameters, …). */
  readonly signatureAlgorithm: number | undefined;
  /** The signature algorithm's OID. */
  readonly signatureAlgorithmOid: string;
  /** The signature value. */
  readonly signature: Uint8Array;
  readonly extensions: Extensions;
  /** SHA-256 of `der`, lower-case hex. */
  readonly fingerprint256: string;
}

const CACHE_MAX = 512;
/** Parsed certificates by a cheap hash of their DER (a hit is confirmed byte for byte): a repeat costs no SHA-256. */
const cache = new Map<number, Certificate>();

/**
 * A cache key, never trusted alone: FNV-1a (32 bits) of the length and the last 32 bytes, which are signature
 * bytes and so differ between certificates in practice.
 */
function contentHash(b: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ b.length, 0x01000193);
  for (let i = Math.max(0, b.length - 32); i < b.length; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h;
}

/**
 * Parse a DER certificate. Throws `TlsError` `BadCertificate.BadEncoding` on anything malformed. Results are cached
 * (bounded, 512 entries), and the returned object is frozen and shared: do not mutate it.
 */
export function parseCertificate(der: Uint8Array, provider: CryptoProvider = getDefaultProvider()): Certificate {
  const key = contentHash(der);
  let cert = cache.get(key);
  if (cert !== undefined && equalPublic(cert.der, der)) {
    cache.delete(key); // LRU: move to the end
  } else {
    cert = decodeCertificate(der.slice(), hex(provider.hash('sha256', der)));
    cache.delete(key); // a different certificate with the same key is replaced
    if (cache.size >= CACHE_MAX) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }
  cache.set(key, cert);
  return cert;
}

function decodeCertificate(der: Uint8Array, fingerprint256: string): Certificate {
  const outer = decodeOne(der, Tag.Sequence, 'Certificate');
  const c = children(outer);
  const tbsTlv = c.expect(Tag.Sequence, 'tbsCertificate');
  const sigAlg = c.expect(Tag.Sequence, 'signatureAlgorithm');
  const signature = bitStringBytes(c.expect(Tag.BitString, 'signatureValue'));
  c.end();

  const t = children(tbsTlv);
  let version = 1;
  const v = t.optional(ctxCons(0), 'version');
  if (v !== undefined) {
    const vr = children(v);
    version = smallInt(vr.expect(Tag.Integer, 'version'), 2) + 1;
    vr.end();
    if (version === 1) throw derError(v.path, 'explicit DEFAULT v1 is not DER');
  }
  const serialTlv = t.expect(Tag.Integer, 'serialNumber');
  checkInteger(serialTlv);
  if (serialTlv.value.length > 21) throw derError(serialTlv.path, 'serial number longer than 20 octets');
  const innerSigAlg = t.expect(Tag.Sequence, 'signature');
  if (!equalPublic(innerSigAlg.bytes, sigAlg.bytes)) throw derError('Certificate.signatureAlgorithm', 'differs from tbsCertificate.signature');
  const issuer = readName(t.expect(Tag.Sequence, 'issuer'));
  const validity = children(t.expect(Tag.Sequence, 'validity'));
  const notBefore = time(validity.any('notBefore'));
  const notAfter = time(validity.any('notAfter'));
  validity.end();
  const subject = readName(t.expect(Tag.Sequence, 'subject'));
  const spkiTlv = t.expect(Tag.Sequence, 'subjectPublicKeyInfo');
  const key = readSpki(spkiTlv);
  if (t.optional(ctxPrim(1), 'issuerUniqueID') !== undefined && version < 2) throw derError(t.path, 'issuerUniqueID in v1');
  if (t.optional(ctxPrim(2), 'subjectUniqueID') !== undefined && version < 2) throw derError(t.path, 'subjectUniqueID in v1');
  let extensions: Extensions = NO_EXTENSIONS;
  const ext = t.optional(ctxCons(3), 'extensions');
  if (ext !== undefined) {
    if (version !== 3) throw derError(ext.path, 'extensions in a certificate that is not v3');
    const er = children(ext);
    extensions = readExtensions(er.expect(Tag.Sequence, 'Extensions'));
    er.end();
  }
  t.end();

  return Object.freeze({
    der,
    tbs: tbsTlv.bytes,
    version,
    serialNumber: hex(serialTlv.value),
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: spkiTlv.bytes,
    publicKey: key.publicKey,
    publicKeyAlgorithm: key.algorithm,
    publicKeyBits: key.bits,
    signatureAlgorithm: signatureSchemeOf(sigAlg),
    signatureAlgorithmOid: oid(children(sigAlg).expect(Tag.Oid, 'algorithm')),
    signature,
    extensions,
    fingerprint256,
  });
}

const NO_EXTENSIONS: Extensions = Object.freeze({
  basicConstraints: undefined,
  keyUsage: undefined,
  extKeyUsage: undefined,
  subjectAltName: undefined,
  nameConstraints: undefined,
  authorityKeyIdentifier: undefined,
  authorityKey: undefined,
  subjectKeyIdentifier: undefined,
  present: [],
  critical: [],
  unhandledCritical: [],
  malformed: [],
});

/** Read a Name (SEQUENCE OF RelativeDistinguishedName) into its DER and display text. */
export function readName(t: Tlv): DistinguishedName {
  const rdns: string[] = [];
  children(t).list((r) => {
    const set = r.sequence('rdn', Tag.Set);
    const parts = set.list((s) => {
      const atv = s.sequence('attribute');
      const type = oid(atv.expect(Tag.Oid, 'type'));
      const value = atv.any('value');
      atv.end();
      return `${AttributeName[type] ?? type}=${escapeDn(displayString(value))}`;
    });
    if (parts.length === 0) throw derError(set.path, 'empty RDN');
    rdns.push(parts.join('+'));
  });
  return { der: t.bytes, text: rdns.reverse().join(', ') };
}

function escapeDn(s: string): string {
  return s.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

interface SpkiInfo {
  readonly algorithm: PublicKeyAlgorithm;
  readonly bits: number;
  readonly publicKey: Uint8Array;
}

function readSpki(t: Tlv): SpkiInfo {
  const r = children(t);
  const alg = r.sequence('algorithm');
  const algOid = oid(alg.expect(Tag.Oid, 'algorithm'));
  const params = alg.done ? undefined : alg.any('parameters');
  alg.end();
  const publicKey = bitStringBytes(r.expect(Tag.BitString, 'subjectPublicKey'));
  r.end();
  switch (algOid) {
    case AlgOid.rsaEncryption: {
      if (params === undefined) throw derError(t.path, 'rsaEncryption parameters must be NULL');
      nullValue(params);
      return { algorithm: 'rsa', bits: rsaModulusBits(publicKey, t.path), publicKey };
    }
    case AlgOid.rsassaPss:
      return { algorithm: 'rsa-pss', bits: rsaModulusBits(publicKey, t.path), publicKey };
    case AlgOid.ecPublicKey: {
      if (params === undefined || params.tag !== Tag.Oid) throw derError(t.path, 'EC key without a named curve');
      const curve = oid(params);
      if (curve === AlgOid.p256) return { algorithm: 'ec-p256', bits: 256, publicKey };
      if (curve === AlgOid.p384) return { algorithm: 'ec-p384', bits: 384, publicKey };
      if (curve === AlgOid.p521) return { algorithm: 'ec-p521', bits: 521, publicKey };
      return { algorithm: 'unknown', bits: 0, publicKey };
    }
    case AlgOid.ed25519:
    case AlgOid.ed448:
      if (params !== undefined) throw derError(t.path, 'EdDSA key parameters must be absent');
      return { algorithm: algOid === AlgOid.ed25519 ? 'ed25519' : 'ed448', bits: 0, publicKey };
    default:
      return { algorithm: 'unknown', bits: 0, publicKey };
  }
}

function rsaModulusBits(publicKey: Uint8Array, path: string): number {
  const r = new DerReader(publicKey, `${path}.RSAPublicKey`, 1).sequence('RSAPublicKey');
  const n = integer(r.expect(Tag.Integer, 'modulus'));
  const e = integer(r.expect(Tag.Integer, 'publicExponent'));
  r.end();
  if (n <= 0n || e <= 0n) throw derError(path, 'bad RSA key');
  return n.toString(2).length;
}

const HASH_OIDS: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  [AlgOid.sha256]: 'sha256',
  [AlgOid.sha384]: 'sha384',
  [AlgOid.sha512]: 'sha512',
};
const PSS_SCHEME = { sha256: SignatureScheme.rsa_pss_rsae_sha256, sha384: SignatureScheme.rsa_pss_rsae_sha384, sha512: SignatureScheme.rsa_pss_rsae_sha512 } as const;
const HASH_LEN = { sha256: 32, sha384: 48, sha512: 64 } as const;

/**
 * Map an X.509 signature AlgorithmIdentifier to the TLS SignatureScheme whose verification is the same
 * computation, or undefined when we do not support it (SHA-1, non-standard RSASSA-PSS parameters, unknown OIDs).
 * RSASSA-PSS maps to the `rsa_pss_rsae_*` code; the chain code adjusts it for `rsa-pss` keys.
 */
export function signatureSchemeOf(algId: Tlv): number | undefined {
  const r = children(algId);
  const o = oid(r.expect(Tag.Oid, 'algorithm'));
  const params = r.done ? undefined : r.any('parameters');
  r.end();
  const noParamsOrNull = params === undefined || (params.tag === Tag.Null && params.value.length === 0);
  switch (o) {
    case AlgOid.sha256WithRsa:
      return noParamsOrNull ? SignatureScheme.rsa_pkcs1_sha256 : undefined;
    case AlgOid.sha384WithRsa:
      return noParamsOrNull ? SignatureScheme.rsa_pkcs1_sha384 : undefined;
    case AlgOid.sha512WithRsa:
      return noParamsOrNull ? SignatureScheme.rsa_pkcs1_sha512 : undefined;
    case AlgOid.ecdsaSha256:
      return params === undefined ? SignatureScheme.ecdsa_secp256r1_sha256 : undefined;
    case AlgOid.ecdsaSha384:
      return params === undefined ? SignatureScheme.ecdsa_secp384r1_sha384 : undefined;
    case AlgOid.ecdsaSha512:
      return params === undefined ? SignatureScheme.ecdsa_secp521r1_sha512 : undefined;
    case AlgOid.ed25519:
      return params === undefined ? SignatureScheme.ed25519 : undefined;
    case AlgOid.ed448:
      return params === undefined ? SignatureScheme.ed448 : undefined;
    case AlgOid.rsassaPss:
      return params !== undefined && params.tag === Tag.Sequence ? pssScheme(params) : undefined;
    default:
      return undefined;
  }
}

/** RFC 4055 RSASSA-PSS-params: only hash = MGF1 hash ∈ SHA-2, salt = hash length, trailer 1. */
function pssScheme(params: Tlv): number | undefined {
  const r = children(params);
  const h = r.optional(ctxCons(0), 'hashAlgorithm');
  const m = r.optional(ctxCons(1), 'maskGenAlgorithm');
  const s = r.optional(ctxCons(2), 'saltLength');
  const tr = r.optional(ctxCons(3), 'trailerField');
  r.end();
  if (h === undefined || m === undefined || s === undefined) return undefined; // SHA-1 defaults
  const hash = hashOfAlgId(children(h).expect(Tag.Sequence, 'hashAlgorithm'));
  if (hash === undefined) return undefined;
  const mr = children(m);
  const mgf = mr.sequence('maskGenAlgorithm');
  mr.end();
  if (oid(mgf.expect(Tag.Oid, 'algorithm')) !== AlgOid.mgf1) return undefined;
  const mgfHash = hashOfAlgId(mgf.expect(Tag.Sequence, 'parameters'));
  mgf.end();
  if (mgfHash !== hash) return undefined;
  const sr = children(s);
  const salt = smallInt(sr.expect(Tag.Integer, 'saltLength'), 1024);
  sr.end();
  if (salt !== HASH_LEN[hash]) return undefined;
  if (tr !== undefined) {
    const trr = children(tr);
    if (smallInt(trr.expect(Tag.Integer, 'trailerField')) !== 1) return undefined;
    trr.end();
  }
  return PSS_SCHEME[hash];
}

function hashOfAlgId(t: Tlv): 'sha256' | 'sha384' | 'sha512' | undefined {
  const r = children(t);
  const o = oid(r.expect(Tag.Oid, 'algorithm'));
  if (!r.done) nullValue(r.any('parameters'));
  r.end();
  return HASH_OIDS[o];
}

const UNDERSTOOD: ReadonlySet<string> = new Set<string>([
  ExtOid.subjectKeyIdentifier,
  ExtOid.keyUsage,
  ExtOid.subjectAltName,
  ExtOid.basicConstraints,
  ExtOid.nameConstraints,
  ExtOid.authorityKeyIdentifier,
  ExtOid.extKeyUsage,
  // With no policy required by the caller (initial-policy-set = anyPolicy, RFC 5280 §6.1.1) and no policy
  // constraints accepted (chain.ts), a critical certificatePolicies narrows nothing for TLS.
  // authorityInfoAccess, CRL distribution points, policyConstraints, policyMappings, inhibitAnyPolicy are not
  // processed, so marked critical they are rejected (and RFC 5280 says AIA and CRLDP SHOULD NOT be critical).
  ExtOid.certificatePolicies,
]);

function readExtensions(t: Tlv): Extensions {
  const seen = new Set<string>();
  const unhandledCritical: string[] = [];
  let basicConstraints: BasicConstraints | undefined;
  let keyUsage: KeyUsage | undefined;
  let extKeyUsage: string[] | undefined;
  let subjectAltName: SubjectAltName | undefined;
  let nameConstraints: NameConstraints | undefined;
  let authorityKeyIdentifier: Uint8Array | undefined;
  let authorityKey: AuthorityKey | undefined;
  let subjectKeyIdentifier: Uint8Array | undefined;
  const present: string[] = [];
  const criticalOids: string[] = [];
  const malformed: string[] = [];
  children(t).list((r) => {
    const e = r.sequence('Extension');
    const id = oid(e.expect(Tag.Oid, 'extnID'));
    const crit = e.optional(Tag.Boolean, 'critical');
    const critical = crit !== undefined && boolean(crit);
    const value = e.expect(Tag.OctetString, 'extnValue');
    e.end();
    if (seen.has(id)) throw derError(e.path, `duplicate extension ${id}`);
    seen.add(id);
    present.push(id);
    if (critical) criticalOids.push(id);
    if (critical && !UNDERSTOOD.has(id)) unhandledCritical.push(id);
    const path = `Extension(${id})`;
    switch (id) {
      case ExtOid.basicConstraints: {
        const b = new DerReader(value.value, path, 1).sequence('BasicConstraints');
        const ca = b.optional(Tag.Boolean, 'cA');
        const pl = b.optional(Tag.Integer, 'pathLenConstraint');
        b.end();
        basicConstraints = { cA: ca !== undefined && boolean(ca), pathLen: pl === undefined ? undefined : smallInt(pl, 255) };
        break;
      }
      case ExtOid.keyUsage:
        keyUsage = readKeyUsage(decodeOne(value.value, Tag.BitString, path));
        break;
      case ExtOid.extKeyUsage: {
        const s = new DerReader(value.value, path, 1).sequence('ExtKeyUsageSyntax');
        extKeyUsage = s.list((x) => oid(x.expect(Tag.Oid, 'KeyPurposeId')));
        if (extKeyUsage.length === 0) throw derError(path, 'empty extKeyUsage');
        break;
      }
      case ExtOid.subjectAltName:
        subjectAltName = readSan(decodeOne(value.value, Tag.Sequence, path));
        break;
      case ExtOid.nameConstraints: {
        const s = new DerReader(value.value, path, 1).sequence('NameConstraints');
        const p = s.optional(ctxCons(0), 'permittedSubtrees');
        const x = s.optional(ctxCons(1), 'excludedSubtrees');
        s.end();
        if (p === undefined && x === undefined) throw derError(path, 'empty nameConstraints');
        nameConstraints = { permitted: p && readSubtrees(p), excluded: x && readSubtrees(x) };
        break;
      }
      case ExtOid.authorityKeyIdentifier: {
        const s = new DerReader(value.value, path, 1).sequence('AuthorityKeyIdentifier');
        authorityKeyIdentifier = s.optional(ctxPrim(0), 'keyIdentifier')?.value;
        const aci = s.optional(ctxCons(1), 'authorityCertIssuer');
        const serial = s.optional(ctxPrim(2), 'authorityCertSerialNumber');
        if (serial !== undefined) checkInteger(serial);
        s.end();
        // RFC 5280 §4.2.1.1: authorityCertIssuer and authorityCertSerialNumber go together.
        if ((aci === undefined) !== (serial === undefined)) throw derError(path, 'authorityCertIssuer without authorityCertSerialNumber or the reverse');
        authorityKey = {
          keyIdentifier: authorityKeyIdentifier,
          hasAuthorityCertIssuer: aci !== undefined,
          hasAuthorityCertSerialNumber: serial !== undefined,
          authorityCertIssuerName: aci === undefined ? undefined : singleDirectoryName(aci),
          authorityCertSerialNumber: serial === undefined ? undefined : hex(serial.value),
        };
        break;
      }
      case ExtOid.authorityInfoAccess: {
        const bad = accessDescriptionsProblem(value.value, path);
        if (bad !== undefined) malformed.push(bad);
        break;
      }
      case ExtOid.subjectKeyIdentifier:
        subjectKeyIdentifier = decodeOne(value.value, Tag.OctetString, path).value;
        break;
      default:
        break;
    }
  });
  return Object.freeze({
    basicConstraints,
    keyUsage,
    extKeyUsage,
    subjectAltName,
    nameConstraints,
    authorityKeyIdentifier,
    authorityKey,
    subjectKeyIdentifier,
    present,
    critical: criticalOids,
    unhandledCritical,
    malformed,
  });
}

/** The Name (DER) of GeneralNames holding exactly one directoryName, else undefined. */
function singleDirectoryName(names: Tlv): Uint8Array | undefined {
  const r = children(names);
  const first = r.any('GeneralName');
  if (!r.done || first.tag !== ctxCons(4)) return undefined;
  const n = children(first);
  const name = n.expect(Tag.Sequence, 'directoryName');
  n.end();
  return name.bytes;
}

/** RFC 5280 §4.2.2.1: AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription. */
function accessDescriptionsProblem(value: Uint8Array, path: string): string | undefined {
  try {
    const s = new DerReader(value, path, 1).sequence('AuthorityInfoAccessSyntax');
    const n = s.list((x) => {
      const ad = x.sequence('AccessDescription');
      oid(ad.expect(Tag.Oid, 'accessMethod'));
      const loc = ad.any('accessLocation');
      ad.end();
      if ((loc.tag & 0xc0) !== 0x80 || (loc.tag & 0x1f) > 8) throw derError(loc.path, 'not a GeneralName');
      return loc;
    });
    if (n.length === 0) return `${path}: empty authorityInfoAccess`;
    return undefined;
  } catch (e) {
    return `malformed authorityInfoAccess (${e instanceof Error ? e.message : String(e)})`;
  }
}

function readKeyUsage(t: Tlv): KeyUsage {
  const { bytes } = bitString(t);
  const bit = (n: number): boolean => (((bytes[n >> 3] ?? 0) >> (7 - (n & 7))) & 1) === 1;
  return {
    digitalSignature: bit(0),
    nonRepudiation: bit(1),
    keyEncipherment: bit(2),
    dataEncipherment: bit(3),
    keyAgreement: bit(4),
    keyCertSign: bit(5),
    cRLSign: bit(6),
    encipherOnly: bit(7),
    decipherOnly: bit(8),
  };
}

function readSan(t: Tlv): SubjectAltName {
  const dnsNames: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  const upns: string[] = [];
  let directoryNameCount = 0;
  let otherNameCount = 0;
  let x400AddressCount = 0;
  let ediPartyNameCount = 0;
  let registeredIdCount = 0;
  children(t).list((r) => {
    const g = r.any('GeneralName');
    switch (g.tag) {
      case ctxPrim(2):
        dnsNames.push(ascii(g));
        break;
      case ctxPrim(7):
        if (g.value.length !== 4 && g.value.length !== 16) throw derError(g.path, 'iPAddress must be 4 or 16 bytes');
        ipAddresses.push(g.value);
        break;
      case ctxPrim(1):
        emails.push(ascii(g));
        break;
      case ctxPrim(6):
        uris.push(ascii(g));
        break;
      case ctxCons(4):
        directoryNameCount++;
        break;
      case ctxCons(3):
        x400AddressCount++;
        break;
      case ctxCons(5):
        ediPartyNameCount++;
        break;
      case ctxPrim(8):
        registeredIdCount++;
        break;
      case ctxCons(0): {
        otherNameCount++;
        const o = children(g);
        const typeId = oid(o.expect(Tag.Oid, 'type-id'));
        const val = o.expect(ctxCons(0), 'value');
        o.end();
        if (typeId === UPN_OID) {
          const u = children(val);
          upns.push(displayString(u.any('userPrincipalName'))); // UTF8String in practice; any string type read
          u.end();
        }
        break;
      }
      default:
        throw derError(g.path, 'not a GeneralName');
    }
  });
  if (t.value.length === 0) throw derError(t.path, 'empty subjectAltName');
  return { dnsNames, ipAddresses, emails, uris, upns, directoryNameCount, otherNameCount, x400AddressCount, ediPartyNameCount, registeredIdCount };
}

function readSubtrees(t: Tlv): GeneralSubtrees {
  const dnsNames: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  const directoryNames: Uint8Array[] = [];
  let otherNameCount = 0;
  let x400AddressCount = 0;
  let ediPartyNameCount = 0;
  let registeredIdCount = 0;
  const r = children(t);
  if (r.done) throw derError(t.path, 'empty GeneralSubtrees');
  r.list((x) => {
    const s = x.sequence('GeneralSubtree');
    const base = s.any('base');
    const min = s.optional(ctxPrim(0), 'minimum');
    const max = s.optional(ctxPrim(1), 'maximum');
    s.end();
    // RFC 5280 §4.2.1.10: minimum MUST be zero (so absent in DER) and maximum MUST be absent.
    if (min !== undefined || max !== undefined) throw derError(s.path, 'minimum/maximum are not allowed');
    switch (base.tag) {
      case ctxPrim(2):
        dnsNames.push(ascii(base).toLowerCase());
        break;
      case ctxPrim(7):
        if (base.value.length !== 8 && base.value.length !== 32) throw derError(base.path, 'iPAddress constraint must be 8 or 32 bytes');
        if (!isPrefixMask(base.value.subarray(base.value.length / 2))) throw derError(base.path, 'iPAddress constraint mask is not a prefix');
        ipAddresses.push(base.value);
        break;
      case ctxPrim(1):
        emails.push(ascii(base));
        break;
      case ctxPrim(6):
        uris.push(ascii(base));
        break;
      case ctxCons(4):
        directoryNames.push(base.value);
        break;
      case ctxCons(0):
        otherNameCount++;
        break;
      case ctxCons(3):
        x400AddressCount++;
        break;
      case ctxCons(5):
        ediPartyNameCount++;
        break;
      case ctxPrim(8):
        registeredIdCount++;
        break;
      default:
        throw derError(base.path, 'not a GeneralName');
    }
  });
  return { dnsNames, ipAddresses, emails, uris, directoryNames, otherNameCount, x400AddressCount, ediPartyNameCount, registeredIdCount };
}

function isPrefixMask(mask: Uint8Array): boolean {
  let zeros = false;
  for (const b of mask) {
    for (let i = 7; i >= 0; i--) {
      const one = ((b >> i) & 1) === 1;
      if (one && zeros) return false;
      if (!one) zeros = true;
    }
  }
  return true;
}

/** Whether `cert` lists `purpose` (an OID from oids.ts EkuOid) in its extKeyUsage. */
export function hasExtKeyUsage(cert: Certificate, purpose: string): boolean {
  return cert.extensions.extKeyUsage?.includes(purpose) ?? false;
}

/** Whether subject and issuer Names are byte-identical (a self-issued certificate, RFC 5280 §3.2). */
export function isSelfIssued(cert: Certificate): boolean {
  return equalPublic(cert.subject.der, cert.issuer.der);
}

