/**
 * Path building and validation policy (RFC 5280 §6 as profiled by rustls-webpki and the CA/B Forum).
 *
 * Path building goes from the leaf up: at each step a trust anchor whose subject equals the current issuer Name is
 * tried first, then each presented intermediate with that subject (AKI/SKI matches first), depth first with
 * backtracking. Unordered and surplus intermediates are fine. The search is bounded by `maxDepth` and by a budget
 * of signature checks, so a hostile pile of intermediates cannot make it exponential.
 *
 * One and only one of these happens: a path leaf → … → anchor passes every check and `{ ok: true }` is returned;
 * or the most specific failure seen on any attempted path is returned (a concrete defect such as BadSignature or
 * Expired outranks PathTooLong, which outranks UntrustedRoot, which outranks UnknownIssuer).
 */
import { configError, type BadCertificateReason } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { equalPublic } from '../codec/bytes.js';
import { TlsError } from '../errors.js';
import { isSelfIssued, parseCertificate, type Certificate } from './certificate.js';
import { EkuOid, ExtOid } from './oids.js';
import { isValidPresentedDnsName, matchIpAddress, matchServerName, parseIpAddress } from './hostname.js';
import { checkNameConstraints, MAX_NAME_CONSTRAINT_COMPARISONS, type ComparisonBudget } from './name-constraints.js';
import { checkCrls, parseCrls, type Crl, type CrlSigCache } from './crl.js';
import { checkKey, DEFAULT_MIN_RSA_BITS, verifySignature, type Failure } from './signature.js';

/** What the end-entity certificate is for: a TLS server (checked by clients) or a TLS client (checked by servers). */
export type CertificateUsage = 'serverAuth' | 'clientAuth';

/** Result of a chain validation: the path leaf → anchor as DER, or the most specific reason it failed. */
export type ChainResult =
  | { readonly ok: true; readonly chain: Uint8Array[] }
  | { readonly ok: false; readonly reason: BadCertificateReason; readonly detail: string };

/** Default limit on intermediates between the leaf and the trust anchor (neither counted); pyca's default. */
export const DEFAULT_MAX_INTERMEDIATES = 8;
/** Upper bound on `maxIntermediates` whatever the caller asks (bounds the search's recursion depth). */
export const MAX_INTERMEDIATES_LIMIT = 32;
/** Signature checks one validation may spend while backtracking (rustls-webpki uses 100). */
export const MAX_SIGNATURE_CHECKS = 100;
/**
 * Most certificates one validation looks at (leaf included): a bound on parsing work only, far above what the TLS
 * layer lets a peer send (MAX_CHAIN_LENGTH); the search itself is bounded by the budgets below and above.
 */
export const MAX_PRESENTED_CERTIFICATES = 256;
/** Candidate issuers one validation may examine while backtracking (each costs a name comparison and checks). */
export const MAX_PATH_BUILDING_STEPS = 4096;

/** Per-validation options shared by {@link verifyChain} and {@link ChainVerifier.verify}. */
export interface VerifyOptions {
  /** Validation time, ms since the epoch; default `provider.now()`. Compared at the second, as X.509 encodes it. */
  readonly time?: number;
  /** DNS name (or IP literal) the leaf must be valid for; omit to skip the identity check (e.g. client certificates). */
  readonly serverName?: string;
  /** IP address (text or 4/16 bytes) the leaf must carry as an iPAddress SAN. */
  readonly ipAddress?: string | Uint8Array;
  /** Required extended key usage of the leaf (and of intermediates that carry extKeyUsage). */
  readonly usage: CertificateUsage;
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions extends VerifyOptions {
  /** The end-entity certificate, DER (or already parsed). */
  readonly leaf: Uint8Array | Certificate;
  /** Other presented certificates, any order, surplus allowed (at most MAX_PRESENTED_CERTIFICATES with the leaf). */
  readonly intermediates?: readonly (Uint8Array | Certificate)[];
  /** Trusted roots, DER (or parsed). See docs/design/x509-policy.md for what of an anchor is checked. */
  readonly trustAnchors: readonly (Uint8Array | Certificate)[];
  /**
   * Most intermediate certificates between the leaf and the trust anchor, neither of them counted (0: the leaf
   * must be issued by an anchor). Default 8, at most MAX_INTERMEDIATES_LIMIT.
   */
  readonly maxIntermediates?: number;
  /** Smallest RSA modulus accepted anywhere in the path; default 2048. */
  readonly minRsaBits?: number;
  /**
   * Certificate revocation lists (DER, or parsed by parseCrl) checked against the validated path (crl.ts);
   * throws InvalidConfig for one that cannot be used (malformed, delta, indirect).
   */
  readonly crls?: readonly (Uint8Array | Crl)[];
  readonly provider?: CryptoProvider;
}

interface Ctx {
  readonly provider: CryptoProvider;
  /** Validation time floored to the second. */
  readonly time: number;
  readonly usage: CertificateUsage;
  readonly maxIntermediates: number;
  readonly minRsaBits: number;
  readonly anchors: readonly Certificate[];
  readonly pool: readonly Certificate[];
  readonly sigCache: SigCache | undefined;
  readonly leafCache: LeafCache | undefined;
  budget: number;
  steps: number;
  readonly nameBudget: ComparisonBudget;
  best: Failure | undefined;
}

const RANK: Readonly<Record<BadCertificateReason, number>> = {
  UnknownIssuer: 0,
  UntrustedRoot: 1,
  PathTooLong: 2,
  Expired: 3,
  NotYetValid: 3,
  BadSignature: 3,
  WrongName: 3,
  NotCa: 3,
  WrongUsage: 3,
  UnsupportedCriticalExtension: 3,
  NameConstraintViolation: 3,
  Revoked: 3,
  BadEncoding: 3,
  UnsupportedKey: 3,
  Rejected: 3,
  RevocationUnknown: 3,
};

function note(ctx: Ctx, f: Failure): void {
  if (ctx.best === undefined || RANK[f.reason] > RANK[ctx.best.reason]) ctx.best = f;
}

function fail(f: Failure): ChainResult {
  return { ok: false, reason: f.reason, detail: f.detail };
}

function who(c: Certificate): string {
  return c.subject.text === '' ? `certificate ${c.fingerprint256.slice(0, 16)}` : `'${c.subject.text}'`;
}

function parseOrThrow(x: Uint8Array | Certificate, provider: CryptoProvider): Certificate {
  return x instanceof Uint8Array ? parseCertificate(x, provider) : x;
}

function bad(c: Certificate, detail: string): Failure {
  return { reason: 'BadEncoding', detail: `${who(c)}: ${detail}` };
}

function isCritical(c: Certificate, oid: string): boolean {
  return c.extensions.critical.includes(oid);
}

function hasEmptySubject(c: Certificate): boolean {
  return c.subject.der.length <= 2; // an empty SEQUENCE
}

/** Validity at `ctx.time`, both ends inclusive. */
function checkValidity(c: Certificate, ctx: Ctx): Failure | undefined {
  if (ctx.time < c.notBefore) return { reason: 'NotYetValid', detail: `${who(c)}: not valid before ${new Date(c.notBefore).toISOString()}` };
  if (ctx.time > c.notAfter) return { reason: 'Expired', detail: `${who(c)}: expired ${new Date(c.notAfter).toISOString()}` };
  return undefined;
}

/**
 * Validity at `time` (both ends inclusive), critical extensions, syntax, key: every certificate, anchors included.
 * `pinned`: a leaf that is itself a trust anchor (see checkProfile).
 */
function checkBasics(c: Certificate, ctx: Ctx, pinned = false): Failure | undefined {
  const crit = c.extensions.unhandledCritical;
  if (crit.length > 0) return { reason: 'UnsupportedCriticalExtension', detail: `${who(c)}: critical extension ${crit.join(', ')} is not processed` };
  if (c.extensions.malformed.length > 0) return bad(c, c.extensions.malformed.join('; '));
  const t = checkValidity(c, ctx);
  if (t !== undefined) return t;
  const k = checkKey(c, ctx.minRsaBits, who(c));
  if (k !== undefined) return k;
  if ((c.publicKeyAlgorithm === 'rsa' || c.publicKeyAlgorithm === 'rsa-pss') && c.publicKeyBits % 8 !== 0) {
    return { reason: 'UnsupportedKey', detail: `${who(c)}: RSA modulus of ${c.publicKeyBits} bits is not a whole number of octets` };
  }
  return checkProfile(c, pinned);
}

/**
 * RFC 5280 rules on how extensions fit together, for every certificate in a path. A pinned leaf acts as an end
 * entity only, so its cA bit is not held against its keyUsage: `openssl req -x509 -addext
 * keyUsage=digitalSignature` makes cA=TRUE certificates without keyCertSign, and they are pinned as they are.
 */
function checkProfile(c: Certificate, pinned: boolean): Failure | undefined {
  const e = c.extensions;
  if (isCritical(c, ExtOid.authorityKeyIdentifier)) return bad(c, 'authorityKeyIdentifier must not be critical (RFC 5280 §4.2.1.1)');
  if (isCritical(c, ExtOid.subjectKeyIdentifier)) return bad(c, 'subjectKeyIdentifier must not be critical (RFC 5280 §4.2.1.2)');
  if (e.present.includes(ExtOid.policyConstraints)) return bad(c, 'policyConstraints are not processed (and must be critical, RFC 5280 §4.2.1.11)');
  const cA = e.basicConstraints?.cA === true;
  if (e.keyUsage?.keyCertSign === true && !cA) return { reason: 'WrongUsage', detail: `${who(c)}: keyUsage keyCertSign without basicConstraints cA (RFC 5280 §4.2.1.9)` };
  if (cA && !pinned && e.keyUsage !== undefined && !e.keyUsage.keyCertSign) return { reason: 'WrongUsage', detail: `${who(c)}: a CA whose keyUsage lacks keyCertSign (RFC 5280 §4.2.1.3)` };
  if (e.nameConstraints !== undefined && !cA) return bad(c, 'nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10)');
  if (hasEmptySubject(c)) {
    if (e.subjectAltName === undefined) return bad(c, 'empty subject and no subjectAltName (RFC 5280 §4.1.2.6)');
    if (!isCritical(c, ExtOid.subjectAltName)) return bad(c, 'empty subject with a non-critical subjectAltName (RFC 5280 §4.2.1.6)');
  }
  return undefined;
}

/** RFC 5280 §4.1.2.2: a positive serial number (zero and negative ones are refused for certificates a CA issued). */
function checkSerial(c: Certificate): Failure | undefined {
  if (c.serialNumber === '00') return bad(c, 'serial number is zero (RFC 5280 §4.1.2.2)');
  if (parseInt(c.serialNumber.slice(0, 1), 16) >= 8) return bad(c, 'serial number is negative (RFC 5280 §4.1.2.2)');
  return undefined;
}

/**
 * The end-entity certificate. `pinned`: the leaf is itself a trust anchor (a path of one). For `serverAuth`
 * the CA/B Forum subscriber profile applies on top of RFC 5280; for `clientAuth`, RFC 5280 only.
 */
function checkLeaf(c: Certificate, ctx: Ctx, pinned: boolean): Failure | undefined {
  const basics = checkBasics(c, ctx, pinned) ?? checkSerial(c);
  if (basics !== undefined) return basics;
  const eku = c.extensions.extKeyUsage;
  // RFC 5280 §4.2.1.12: no extKeyUsage means any purpose (OpenSSL, Windows, Go, pyca and webpki agree; `openssl
  // req -x509` makes such certificates). When present it must name the usage: anyExtendedKeyUsage alone does not
  // count for TLS (the CA/B Forum forbids it in subscriber certificates; webpki and pyca refuse it too).
  if (eku !== undefined && !eku.includes(EkuOid[ctx.usage])) return { reason: 'WrongUsage', detail: `${who(c)}: extKeyUsage lacks ${ctx.usage}` };
  const ku = c.extensions.keyUsage;
  if (ku !== undefined && !ku.digitalSignature) return { reason: 'WrongUsage', detail: `${who(c)}: keyUsage lacks digitalSignature` };
  if (ctx.usage !== 'serverAuth') return undefined;
  if (c.version !== 3) return bad(c, `a v${c.version} TLS server certificate (CA/B Forum 7.1.1: v3)`);
  if (!pinned && c.extensions.basicConstraints?.cA === true) {
    return { reason: 'WrongUsage', detail: `${who(c)}: a CA certificate (cA=TRUE) as a TLS server certificate (CA/B Forum 7.1.2.7.8)` };
  }
  // A leaf without authorityKeyIdentifier is accepted (its keyIdentifier is used when present): RFC 5280 §6 does
  // not require it, OpenSSL, Go, rustls-webpki and Windows accept such leaves, and ordinary private certificates
  // (`openssl x509 -req` before OpenSSL 3, Node's own test fixtures) have none. Intermediates still need one.
  if (isCritical(c, ExtOid.extKeyUsage)) return bad(c, 'critical extKeyUsage in a TLS server certificate (CA/B Forum 7.1.2.7.10)');
  if (eku?.includes(EkuOid.any) === true) return { reason: 'WrongUsage', detail: `${who(c)}: anyExtendedKeyUsage in a TLS server certificate (CA/B Forum 7.1.2.7.10)` };
  if (!hasEmptySubject(c) && isCritical(c, ExtOid.subjectAltName)) return bad(c, 'critical subjectAltName with a non-empty subject (CA/B Forum 7.1.2.7.12)');
  const malformed = c.extensions.subjectAltName?.dnsNames.find((d) => !isValidPresentedDnsName(d));
  if (malformed !== undefined) return bad(c, `malformed dNSName '${malformed}' (RFC 5280 §4.2.1.6)`);
  return undefined;
}

/**
 * Leaves that passed {@link checkLeaf}, with the usage and pinning they passed for (`serverAuth`, `clientAuth`,
 * `serverAuth pinned`, …). Everything checkLeaf looks at but the time is the frozen certificate (parseCertificate
 * returns one object per DER while cached) and the verifier's fixed settings, so a repeat needs only the validity
 * check. Weak, like SigCache: no bound needed.
 */
type LeafCache = WeakMap<Certificate, Set<string>>;

/** Most names remembered per leaf by {@link matchServerNameCached}. */
const MAX_NAMES_PER_LEAF = 16;

/**
 * matchServerName, remembering the names a leaf matched (in `cache` under the key '=' + name, beside the usages of
 * LeafCache): a pure function of the frozen certificate and the name. Only matches are kept, at most
 * MAX_NAMES_PER_LEAF per leaf.
 */
function matchServerNameCached(leaf: Certificate, name: string, cache: LeafCache | undefined): boolean {
  const seen = cache?.get(leaf);
  const key = `=${name}`;
  if (seen?.has(key) === true) return true;
  if (!matchServerName(leaf, name)) return false;
  if (cache !== undefined) {
    if (seen === undefined) cache.set(leaf, new Set([key]));
    else if (seen.size < MAX_NAMES_PER_LEAF) seen.add(key);
  }
  return true;
}

function checkLeafCached(c: Certificate, ctx: Ctx, pinned: boolean): Failure | undefined {
  const cache = ctx.leafCache;
  if (cache === undefined) return checkLeaf(c, ctx, pinned);
  const key = pinned ? `${ctx.usage} pinned` : ctx.usage;
  const passed = cache.get(c);
  if (passed?.has(key) === true) return checkValidity(c, ctx);
  const f = checkLeaf(c, ctx, pinned);
  if (f === undefined) {
    if (passed !== undefined) passed.add(key);
    else cache.set(c, new Set([key]));
  }
  return f;
}

/**
 * The path a leaf's last validation built, by leaf (weakly, like SigCache), with what it was built from: the usage
 * and the other presented certificates (by object, in order). It is kept only when the search met no failure at all
 * (every first candidate passed), so the search is a function of those inputs, the verifier's fixed settings
 * (anchors, limits, minimum RSA size) and, through the validity checks alone, the time: within the window where
 * every certificate above the leaf is valid, the same search takes the same path. A repeat validation at such a
 * time reuses the path; the leaf's own checks, the CRLs and the name are checked every time, as before.
 */
type PathCache = WeakMap<Certificate, PathMemo>;

interface PathMemo {
  readonly usage: CertificateUsage;
  readonly pool: readonly Certificate[];
  readonly path: readonly Certificate[];
  /** The latest notBefore and the earliest notAfter of the path's certificates above the leaf. */
  readonly notBefore: number;
  readonly notAfter: number;
}

function samePool(a: readonly Certificate[], b: readonly Certificate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The remembered path of `leaf`, if it was built from the same inputs and every certificate above it is valid now. */
function rememberedPath(cache: PathCache | undefined, leaf: Certificate, ctx: Ctx): readonly Certificate[] | undefined {
  const m = cache?.get(leaf);
  if (m === undefined || m.usage !== ctx.usage || !samePool(m.pool, ctx.pool)) return undefined;
  return ctx.time >= m.notBefore && ctx.time <= m.notAfter ? m.path : undefined;
}

function rememberPath(cache: PathCache, leaf: Certificate, ctx: Ctx, path: readonly Certificate[]): void {
  let notBefore = -Infinity;
  let notAfter = Infinity;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Certificate;
    if (c.notBefore > notBefore) notBefore = c.notBefore;
    if (c.notAfter < notAfter) notAfter = c.notAfter;
  }
  cache.set(leaf, { usage: ctx.usage, pool: ctx.pool, path, notBefore, notAfter });
}

/** Issuer-independent checks of a presented intermediate below which `path` has been built. */
function checkIntermediate(c: Certificate, path: readonly Certificate[], ctx: Ctx): Failure | undefined {
  const basics = checkBasics(c, ctx) ?? checkSerial(c);
  if (basics !== undefined) return basics;
  const ca = checkCaProfile(c);
  if (ca !== undefined) return ca;
  if (!isSelfIssued(c) && c.extensions.authorityKey === undefined) return bad(c, 'no authorityKeyIdentifier (RFC 5280 §4.2.1.1)');
  if (c.extensions.subjectKeyIdentifier === undefined) return bad(c, 'a CA without subjectKeyIdentifier (RFC 5280 §4.2.1.2)');
  const eku = c.extensions.extKeyUsage;
  if (eku !== undefined && !eku.includes(EkuOid[ctx.usage])) return { reason: 'WrongUsage', detail: `${who(c)}: extKeyUsage lacks ${ctx.usage}` };
  return checkPathLen(c, path);
}

/**
 * What every CA certificate must be (RFC 5280 §4.2.1.9, §4.1.2.6). `anchor`: basicConstraints may be non-critical
 * (Chunghwa's ePKI Root Certification Authority in Node's store has it so).
 */
function checkCaProfile(c: Certificate, anchor = false): Failure | undefined {
  const bc = c.extensions.basicConstraints;
  if (bc === undefined || !bc.cA) return { reason: 'NotCa', detail: `${who(c)}: not a CA (basicConstraints cA is not set)` };
  if (!anchor && !isCritical(c, ExtOid.basicConstraints)) return bad(c, 'basicConstraints of a CA must be critical (RFC 5280 §4.2.1.9)');
  if (hasEmptySubject(c)) return bad(c, 'a CA with an empty subject (RFC 5280 §4.1.2.6)');
  return undefined;
}

/**
 * A trust anchor at the top of a path (not a pinned leaf): the strict reading (pyca), which every root of Node's
 * store passes: valid at `time`, a CA (basicConstraints cA), keyCertSign if keyUsage is present, no
 * unprocessed critical extension, an acceptable key, no extKeyUsage (CA/B 7.1.2.1.2), and an authorityKeyIdentifier,
 * when present, that is only a keyIdentifier, equal to its own subjectKeyIdentifier when self-signed (CA/B
 * 7.1.2.1.3). A subjectKeyIdentifier is not required: one root in Node's store has none.
 */
function checkAnchor(a: Certificate, ctx: Ctx): Failure | undefined {
  const basics = checkBasics(a, ctx) ?? checkCaProfile(a, true);
  if (basics !== undefined) return basics;
  if (a.extensions.extKeyUsage !== undefined) return { reason: 'WrongUsage', detail: `${who(a)}: a trust anchor with extKeyUsage (CA/B Forum 7.1.2.1.2)` };
  const aki = a.extensions.authorityKey;
  // Not required even of a cross-signed anchor: limbo's cve-2024-0567 (valid) trusts one without it.
  if (aki === undefined) return undefined;
  if (aki.keyIdentifier === undefined) return bad(a, 'authorityKeyIdentifier without keyIdentifier');
  // CA/B 7.1.2.1.3 wants the keyIdentifier alone; real roots (QuoVadis Root CA 2) also name their own issuer and
  // serial there, which is harmless. Naming any other certificate is not.
  if (aki.hasAuthorityCertIssuer || aki.hasAuthorityCertSerialNumber) {
    const self = isSelfIssued(a) && aki.authorityCertIssuerName !== undefined && equalPublic(aki.authorityCertIssuerName, a.issuer.der) && aki.authorityCertSerialNumber === a.serialNumber;
    if (!self) return bad(a, 'authorityKeyIdentifier names an issuer certificate other than the anchor itself (CA/B Forum 7.1.2.1.3)');
  }
  const ski = a.extensions.subjectKeyIdentifier;
  if (isSelfIssued(a) && ski !== undefined && !equalPublic(ski, aki.keyIdentifier)) return bad(a, 'self-signed, but authorityKeyIdentifier differs from subjectKeyIdentifier');
  return undefined;
}

/** RFC 5280 §4.2.1.9: pathLenConstraint counts the non-self-issued intermediates below `ca` (leaf excluded). */
function checkPathLen(ca: Certificate, path: readonly Certificate[]): Failure | undefined {
  const limit = ca.extensions.basicConstraints?.pathLen;
  if (limit === undefined) return undefined;
  let below = 0;
  for (let i = 1; i < path.length; i++) if (!isSelfIssued(path[i] as Certificate)) below++;
  if (below > limit) return { reason: 'PathTooLong', detail: `${who(ca)}: pathLenConstraint ${limit} exceeded by ${below} intermediates` };
  return undefined;
}

/** Name constraints of every CA in the completed path over the certificates below it, within the comparison budget. */
function checkAllNameConstraints(path: readonly Certificate[], budget: ComparisonBudget): Failure | undefined {
  for (let i = 1; i < path.length; i++) {
    const nc = (path[i] as Certificate).extensions.nameConstraints;
    if (nc === undefined) continue;
    for (let j = 0; j < i; j++) {
      const sub = path[j] as Certificate;
      if (j > 0 && isSelfIssued(sub)) continue; // RFC 5280 §6.1.3 (b): self-issued intermediates are exempt
      const v = checkNameConstraints(nc, sub, budget);
      if (v !== undefined) return { reason: 'NameConstraintViolation', detail: `${who(sub)} under ${who(path[i] as Certificate)}: ${v}` };
    }
  }
  return undefined;
}

/**
 * Signatures known good, issuer → subjects, by object: parseCertificate returns the same frozen object for the
 * same bytes while it caches them (a re-parsed certificate is simply verified again). Weak: no bound needed.
 */
type SigCache = WeakMap<Certificate, WeakSet<Certificate>>;

function sigOk(child: Certificate, issuer: Certificate, ctx: Ctx): Failure | undefined {
  const verified = ctx.sigCache?.get(issuer);
  if (verified?.has(child) === true) return undefined;
  if (ctx.budget <= 0) return { reason: 'UnknownIssuer', detail: 'path building gave up: signature-check budget exhausted' };
  ctx.budget--;
  const f = verifySignature(ctx.provider, issuer, child.signatureAlgorithm, child.tbs, child.signature, ctx.minRsaBits, `${who(child)} signed by ${who(issuer)}`);
  if (f === undefined && ctx.sigCache !== undefined) {
    if (verified !== undefined) verified.add(child);
    else ctx.sigCache.set(issuer, new WeakSet([child]));
  }
  return f;
}

function sameKeyAndName(a: Certificate, b: Certificate): boolean {
  return equalPublic(a.subject.der, b.subject.der) && equalPublic(a.spki, b.spki);
}

/**
 * Candidates whose subject is `c`'s issuer, those whose SKI equals `c`'s AKI keyIdentifier first (RFC 5280
 * §4.2.1.1 keeps the identifier for path construction). A mismatch only orders: CAs have re-issued certificates
 * with other key-identifier methods, and the signature decides.
 */
function issuersOf(c: Certificate, from: readonly Certificate[]): Certificate[] {
  const byName = from.filter((x) => equalPublic(x.subject.der, c.issuer.der));
  const aki = c.extensions.authorityKeyIdentifier;
  if (aki === undefined || byName.length < 2) return byName;
  const hit = (x: Certificate): number => (x.extensions.subjectKeyIdentifier !== undefined && equalPublic(x.extensions.subjectKeyIdentifier, aki) ? 0 : 1);
  return byName.sort((a, b) => hit(a) - hit(b));
}

function stepBudgetLeft(ctx: Ctx): boolean {
  if (ctx.steps <= 0) {
    note(ctx, { reason: 'UnknownIssuer', detail: `path building gave up: ${MAX_PATH_BUILDING_STEPS} candidate issuers examined` });
    return false;
  }
  ctx.steps--;
  return true;
}

/** Depth-first search from `path`'s last certificate to a trust anchor. */
function extend(path: Certificate[], ctx: Ctx): Certificate[] | undefined {
  const cur = path[path.length - 1] as Certificate;
  let candidates = 0;
  for (const anchor of issuersOf(cur, ctx.anchors)) {
    if (!stepBudgetLeft(ctx)) return undefined;
    candidates++;
    const f = sigOk(cur, anchor, ctx) ?? checkAnchor(anchor, ctx) ?? checkPathLen(anchor, path) ?? checkAllNameConstraints([...path, anchor], ctx.nameBudget);
    if (f !== undefined) {
      note(ctx, f);
      continue;
    }
    return [...path, anchor];
  }
  for (const ca of issuersOf(cur, ctx.pool)) {
    if (path.some((p) => p === ca || sameKeyAndName(p, ca))) continue; // no loops
    if (!stepBudgetLeft(ctx)) return undefined;
    candidates++;
    if (path.length > ctx.maxIntermediates) {
      note(ctx, { reason: 'PathTooLong', detail: `path would need more than ${ctx.maxIntermediates} intermediates` });
      continue;
    }
    const f = checkIntermediate(ca, path, ctx) ?? sigOk(cur, ca, ctx);
    if (f !== undefined) {
      note(ctx, f);
      continue;
    }
    path.push(ca);
    const done = extend(path, ctx);
    if (done !== undefined) return done;
    path.pop();
    if (ctx.steps <= 0) return undefined;
  }
  if (candidates === 0) {
    note(
      ctx,
      isSelfIssued(cur)
        ? { reason: 'UntrustedRoot', detail: `${who(cur)} is self-issued and not a trust anchor` }
        : { reason: 'UnknownIssuer', detail: `no issuer found for ${who(cur)} (issuer '${cur.issuer.text}')` },
    );
  }
  return undefined;
}

function run(
  leafIn: Uint8Array | Certificate,
  intermediatesIn: readonly (Uint8Array | Certificate)[],
  anchors: readonly Certificate[],
  opts: VerifyOptions,
  provider: CryptoProvider,
  maxIntermediates: number,
  minRsaBits: number,
  sigCache: SigCache | undefined,
  crls: readonly Crl[],
  crlCache: CrlSigCache | undefined,
  leafCache?: LeafCache,
  pathCache?: PathCache,
): ChainResult {
  if (1 + intermediatesIn.length > MAX_PRESENTED_CERTIFICATES) {
    return { ok: false, reason: 'PathTooLong', detail: `${1 + intermediatesIn.length} certificates presented; at most ${MAX_PRESENTED_CERTIFICATES} are considered` };
  }
  let leaf: Certificate;
  try {
    leaf = parseOrThrow(leafIn, provider);
  } catch (e) {
    return fromThrown(e);
  }
  const pool: Certificate[] = [];
  for (const x of intermediatesIn) {
    let c: Certificate;
    try {
      c = parseOrThrow(x, provider);
    } catch {
      continue; // an unusable extra certificate cannot help build a path; ignore it
    }
    if (c.fingerprint256 !== leaf.fingerprint256 && !pool.some((p) => p.fingerprint256 === c.fingerprint256)) pool.push(c);
  }
  const ctx: Ctx = {
    provider,
    // X.509 times have whole seconds: compare at that granularity (floor), so a validation at 12:00:00.5 is
    // within a notAfter of 12:00:00 and before a notBefore of 12:00:01.
    time: Math.floor((opts.time ?? provider.now()) / 1000) * 1000,
    usage: opts.usage,
    maxIntermediates: Math.min(Math.max(Math.floor(maxIntermediates), 0), MAX_INTERMEDIATES_LIMIT),
    minRsaBits,
    anchors,
    pool,
    sigCache,
    leafCache,
    budget: MAX_SIGNATURE_CHECKS,
    steps: MAX_PATH_BUILDING_STEPS,
    nameBudget: { remaining: MAX_NAME_CONSTRAINT_COMPARISONS },
    best: undefined,
  };
  // A leaf that is itself a configured anchor (a pinned certificate, e.g. self-signed) is trusted as is: a path of
  // one, with the leaf checks only (so a pinned `openssl req -x509` certificate, cA=TRUE, serves).
  const pinned = anchors.some((a) => sameKeyAndName(a, leaf));
  const leafFailure = checkLeafCached(leaf, ctx, pinned);
  if (leafFailure !== undefined) return fail(leafFailure);

  let path: readonly Certificate[] | undefined = pinned ? [leaf] : rememberedPath(pathCache, leaf, ctx);
  if (path === undefined) {
    path = extend([leaf], ctx);
    if (path !== undefined && ctx.best === undefined && pathCache !== undefined) rememberPath(pathCache, leaf, ctx, path);
  }
  if (path === undefined) {
    // A search cut short says nothing about the paths it did not try: report that, not a defect of one it did.
    if (ctx.budget <= 0) return fail({ reason: 'UnknownIssuer', detail: `path building gave up: ${MAX_SIGNATURE_CHECKS} signature checks spent` });
    if (ctx.steps <= 0) return fail({ reason: 'UnknownIssuer', detail: `path building gave up: ${MAX_PATH_BUILDING_STEPS} candidate issuers examined` });
    return fail(ctx.best ?? { reason: 'UnknownIssuer', detail: 'no path to a trust anchor' });
  }
  const revoked = checkCrls(path, crls, ctx.time, provider, minRsaBits, crlCache);
  if (revoked !== undefined) return fail(revoked);

  if (opts.serverName !== undefined) {
    if (!matchServerNameCached(leaf, opts.serverName, leafCache)) {
      const isIp = parseIpAddress(opts.serverName) !== undefined;
      return { ok: false, reason: 'WrongName', detail: `${who(leaf)} is not valid for ${isIp ? 'IP address' : 'name'} ${opts.serverName}` };
    }
  }
  if (opts.ipAddress !== undefined && !matchIpAddress(leaf, opts.ipAddress)) {
    const text = typeof opts.ipAddress === 'string' ? opts.ipAddress : Array.from(opts.ipAddress).join(',');
    return { ok: false, reason: 'WrongName', detail: `${who(leaf)} is not valid for IP address ${text}` };
  }
  return { ok: true, chain: path.map((c) => c.der) };
}

function fromThrown(e: unknown): ChainResult {
  if (e instanceof TlsError && e.kind === 'BadCertificate') {
    const reason = e.reason.slice('BadCertificate.'.length) as BadCertificateReason;
    return { ok: false, reason, detail: e.message };
  }
  throw e;
}

function parseAnchors(list: readonly (Uint8Array | Certificate)[], provider: CryptoProvider): Certificate[] {
  return list.map((a, i) => {
    try {
      return parseOrThrow(a, provider);
    } catch (e) {
      throw configError(`trust anchor ${i} cannot be parsed: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

/**
 * Validate a certificate chain for TLS: build a path from `leaf` to one of `trustAnchors` and check signatures,
 * validity at `time`, basicConstraints and pathLenConstraint, keyUsage, extKeyUsage, name constraints, critical
 * extensions, key sizes, and (when given) the server name / IP address. Never throws for a bad chain; throws
 * `InvalidConfig` when a trust anchor cannot be parsed.
 */
export function verifyChain(opts: VerifyChainOptions): ChainResult {
  const provider = opts.provider ?? getDefaultProvider();
  const anchors = parseAnchors(opts.trustAnchors, provider);
  const crls = parseCrls(opts.crls ?? []);
  const maxIntermediates = opts.maxIntermediates ?? DEFAULT_MAX_INTERMEDIATES;
  return run(opts.leaf, opts.intermediates ?? [], anchors, opts, provider, maxIntermediates, opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS, undefined, crls, undefined);
}

/** Result of {@link checkTrustAnchor}. */
export type AnchorCheck = { readonly ok: true } | { readonly ok: false; readonly reason: BadCertificateReason; readonly detail: string };

/**
 * The checks a trust anchor must pass, at `time`, to end a path (docs/design/x509-policy.md "Trust anchors"): for
 * auditing a trust store. Path validation applies the same checks to the anchor a path reaches.
 */
export function checkTrustAnchor(anchor: Uint8Array | Certificate, opts: { readonly time?: number; readonly minRsaBits?: number; readonly provider?: CryptoProvider } = {}): AnchorCheck {
  const provider = opts.provider ?? getDefaultProvider();
  let a: Certificate;
  try {
    a = parseOrThrow(anchor, provider);
  } catch (e) {
    const r = fromThrown(e);
    return r.ok ? { ok: true } : r;
  }
  const ctx: Ctx = {
    provider,
    time: Math.floor((opts.time ?? provider.now()) / 1000) * 1000,
    usage: 'serverAuth',
    maxIntermediates: 0,
    minRsaBits: opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS,
    anchors: [],
    pool: [],
    sigCache: undefined,
    leafCache: undefined,
    budget: 0,
    steps: 0,
    nameBudget: { remaining: 0 },
    best: undefined,
  };
  const f = checkAnchor(a, ctx);
  return f === undefined ? { ok: true } : { ok: false, reason: f.reason, detail: f.detail };
}

/** Options of {@link ChainVerifier}. */
export interface ChainVerifierOptions {
  /** Trusted roots, DER. */
  readonly trustAnchors: readonly Uint8Array[];
  readonly provider?: CryptoProvider;
  /** Most intermediates between the leaf and the anchor (neither counted); default 8, at most MAX_INTERMEDIATES_LIMIT. */
  readonly maxIntermediates?: number;
  /** Smallest RSA modulus accepted; default 2048. */
  readonly minRsaBits?: number;
  /** Certificate revocation lists checked on every validation (see {@link VerifyChainOptions.crls}). */
  readonly crls?: readonly (Uint8Array | Crl)[];
}

/**
 * A chain validator made once per trust store. It keeps the parsed anchors, and remembers verified
 * (issuer, subject) signature pairs, so repeated handshakes with the same intermediates neither re-parse
 * (parseCertificate's cache) nor re-verify them.
 */
export class ChainVerifier {
  readonly #anchors: readonly Certificate[];
  readonly #provider: CryptoProvider;
  readonly #maxIntermediates: number;
  readonly #minRsaBits: number;
  readonly #sigCache: SigCache = new WeakMap();
  readonly #crls: readonly Crl[];
  readonly #crlCache: CrlSigCache = new WeakMap();
  readonly #leafCache: LeafCache = new WeakMap();
  readonly #pathCache: PathCache = new WeakMap();

  /** Parse the trust anchors; throws `InvalidConfig` if one cannot be parsed. */
  constructor(opts: ChainVerifierOptions) {
    this.#provider = opts.provider ?? getDefaultProvider();
    this.#anchors = parseAnchors(opts.trustAnchors, this.#provider);
    this.#maxIntermediates = opts.maxIntermediates ?? DEFAULT_MAX_INTERMEDIATES;
    this.#minRsaBits = opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
    this.#crls = parseCrls(opts.crls ?? []);
  }

  /** The parsed CRLs checked on every validation. */
  get crls(): readonly Crl[] {
    return this.#crls;
  }

  /** The parsed trust anchors. */
  get trustAnchors(): readonly Certificate[] {
    return this.#anchors;
  }

  /**
   * Validate `chainDers` (leaf first, then the peer's other certificates in any order); see {@link verifyChain}. A
   * certificate may be given already parsed (parseCertificate), e.g. a leaf the caller needs for itself too.
   */
  verify(chainDers: readonly (Uint8Array | Certificate)[], opts: VerifyOptions): ChainResult {
    const leaf = chainDers[0];
    if (leaf === undefined) return { ok: false, reason: 'BadEncoding', detail: 'empty certificate chain' };
    return run(leaf, chainDers.length === 1 ? [] : chainDers.slice(1), this.#anchors, opts, this.#provider, this.#maxIntermediates, this.#minRsaBits, this.#sigCache, this.#crls, this.#crlCache, this.#leafCache, this.#pathCache);
  }
}
