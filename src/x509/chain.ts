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
import { MAX_CHAIN_LENGTH } from '../limits.js';
import { TlsError } from '../errors.js';
import { isSelfIssued, parseCertificate, type Certificate } from './certificate.js';
import { EkuOid } from './oids.js';
import { matchIpAddress, matchServerName, parseIpAddress } from './hostname.js';
import { checkNameConstraints } from './name-constraints.js';
import { checkKey, DEFAULT_MIN_RSA_BITS, verifySignature, type Failure } from './signature.js';

/** What the end-entity certificate is for: a TLS server (checked by clients) or a TLS client (checked by servers). */
export type CertificateUsage = 'serverAuth' | 'clientAuth';

/** Result of a chain validation: the path leaf → anchor as DER, or the most specific reason it failed. */
export type ChainResult =
  | { readonly ok: true; readonly chain: Uint8Array[] }
  | { readonly ok: false; readonly reason: BadCertificateReason; readonly detail: string };

/** Default limit on certificates in a path, leaf and trust anchor included. */
export const DEFAULT_MAX_DEPTH = 8;
/** Signature checks one validation may spend while backtracking (rustls-webpki uses 100). */
export const MAX_SIGNATURE_CHECKS = 100;

/** Per-validation options shared by {@link verifyChain} and {@link ChainVerifier.verify}. */
export interface VerifyOptions {
  /** Validation time, ms since the epoch; default `provider.now()`. */
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
  /** Other presented certificates, any order, surplus allowed. */
  readonly intermediates?: readonly (Uint8Array | Certificate)[];
  /** Trusted roots, DER (or parsed). A trust anchor is its subject Name and key (plus its constraints). */
  readonly trustAnchors: readonly (Uint8Array | Certificate)[];
  /** Most certificates in a path, leaf and anchor included; default 8, capped at MAX_CHAIN_LENGTH. */
  readonly maxDepth?: number;
  /** Smallest RSA modulus accepted anywhere in the path; default 2048. */
  readonly minRsaBits?: number;
  readonly provider?: CryptoProvider;
}

interface Ctx {
  readonly provider: CryptoProvider;
  readonly time: number;
  readonly usage: CertificateUsage;
  readonly maxDepth: number;
  readonly minRsaBits: number;
  readonly anchors: readonly Certificate[];
  readonly pool: readonly Certificate[];
  readonly sigCache: SigCache | undefined;
  budget: number;
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

/** Checks every certificate in a path must pass, whatever its role. */
function checkCommon(c: Certificate, ctx: Ctx): Failure | undefined {
  const crit = c.extensions.unhandledCritical;
  if (crit.length > 0) return { reason: 'UnsupportedCriticalExtension', detail: `${who(c)}: critical extension ${crit.join(', ')}` };
  if (ctx.time < c.notBefore) return { reason: 'NotYetValid', detail: `${who(c)}: not valid before ${new Date(c.notBefore).toISOString()}` };
  if (ctx.time > c.notAfter) return { reason: 'Expired', detail: `${who(c)}: expired ${new Date(c.notAfter).toISOString()}` };
  return checkKey(c, ctx.minRsaBits, who(c));
}

function checkLeaf(c: Certificate, ctx: Ctx): Failure | undefined {
  const common = checkCommon(c, ctx);
  if (common !== undefined) return common;
  const eku = c.extensions.extKeyUsage;
  // RFC 5280 §4.2.1.12: no extKeyUsage means any purpose (OpenSSL, Windows, Go, pyca and webpki agree; `openssl
  // req -x509` makes such certificates). When present it must name the usage: anyExtendedKeyUsage alone does not
  // count for TLS (the CA/B Forum forbids it in subscriber certificates; webpki and pyca refuse it too).
  if (eku !== undefined && !eku.includes(EkuOid[ctx.usage])) return { reason: 'WrongUsage', detail: `${who(c)}: extKeyUsage lacks ${ctx.usage}` };
  const ku = c.extensions.keyUsage;
  if (ku !== undefined && !ku.digitalSignature) return { reason: 'WrongUsage', detail: `${who(c)}: keyUsage lacks digitalSignature` };
  return undefined;
}

/** Issuer-independent checks of a presented intermediate at `index` of the path (the leaf is 0). */
function checkIntermediate(c: Certificate, path: readonly Certificate[], ctx: Ctx): Failure | undefined {
  const common = checkCommon(c, ctx);
  if (common !== undefined) return common;
  const bc = c.extensions.basicConstraints;
  if (bc === undefined || !bc.cA) return { reason: 'NotCa', detail: `${who(c)}: not a CA (basicConstraints cA is not set)` };
  const ku = c.extensions.keyUsage;
  if (ku !== undefined && !ku.keyCertSign) return { reason: 'WrongUsage', detail: `${who(c)}: keyUsage lacks keyCertSign` };
  const eku = c.extensions.extKeyUsage;
  if (eku !== undefined && !eku.includes(EkuOid[ctx.usage])) return { reason: 'WrongUsage', detail: `${who(c)}: extKeyUsage lacks ${ctx.usage}` };
  return checkPathLen(c, path);
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

/** Name constraints of every CA in the completed path over the certificates below it. */
function checkAllNameConstraints(path: readonly Certificate[]): Failure | undefined {
  for (let i = 1; i < path.length; i++) {
    const nc = (path[i] as Certificate).extensions.nameConstraints;
    if (nc === undefined) continue;
    for (let j = 0; j < i; j++) {
      const sub = path[j] as Certificate;
      if (j > 0 && isSelfIssued(sub)) continue; // RFC 5280 §6.1.3 (b): self-issued intermediates are exempt
      const v = checkNameConstraints(nc, sub);
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

/** Candidates whose subject is `c`'s issuer, those with SKI = `c`'s AKI first. */
function issuersOf(c: Certificate, from: readonly Certificate[]): Certificate[] {
  const byName = from.filter((x) => equalPublic(x.subject.der, c.issuer.der));
  const aki = c.extensions.authorityKeyIdentifier;
  if (aki === undefined || byName.length < 2) return byName;
  const hit = (x: Certificate): number => (x.extensions.subjectKeyIdentifier !== undefined && equalPublic(x.extensions.subjectKeyIdentifier, aki) ? 0 : 1);
  return byName.sort((a, b) => hit(a) - hit(b));
}

/** Depth-first search from `path`'s last certificate to a trust anchor. */
function extend(path: Certificate[], ctx: Ctx): Certificate[] | undefined {
  const cur = path[path.length - 1] as Certificate;
  let candidates = 0;
  for (const anchor of issuersOf(cur, ctx.anchors)) {
    candidates++;
    if (path.length + 1 > ctx.maxDepth) {
      note(ctx, { reason: 'PathTooLong', detail: `path would exceed ${ctx.maxDepth} certificates` });
      continue;
    }
    const f = sigOk(cur, anchor, ctx) ?? checkPathLen(anchor, path) ?? checkAllNameConstraints([...path, anchor]);
    if (f !== undefined) {
      note(ctx, f);
      continue;
    }
    return [...path, anchor];
  }
  for (const ca of issuersOf(cur, ctx.pool)) {
    if (path.some((p) => p === ca || sameKeyAndName(p, ca))) continue; // no loops
    candidates++;
    if (path.length + 2 > ctx.maxDepth) {
      note(ctx, { reason: 'PathTooLong', detail: `path would exceed ${ctx.maxDepth} certificates` });
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
  maxDepth: number,
  minRsaBits: number,
  sigCache: SigCache | undefined,
): ChainResult {
  if (1 + intermediatesIn.length > MAX_CHAIN_LENGTH) {
    return { ok: false, reason: 'PathTooLong', detail: `${1 + intermediatesIn.length} certificates presented; at most ${MAX_CHAIN_LENGTH}` };
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
    time: opts.time ?? provider.now(),
    usage: opts.usage,
    maxDepth: Math.min(Math.max(maxDepth, 1), MAX_CHAIN_LENGTH),
    minRsaBits,
    anchors,
    pool,
    sigCache,
    budget: MAX_SIGNATURE_CHECKS,
    best: undefined,
  };
  const leafFailure = checkLeaf(leaf, ctx);
  if (leafFailure !== undefined) return fail(leafFailure);

  let path: Certificate[] | undefined;
  // A leaf that is itself a configured anchor (a pinned self-signed certificate) is trusted as is.
  if (anchors.some((a) => sameKeyAndName(a, leaf))) path = [leaf];
  else path = extend([leaf], ctx);
  if (path === undefined) return fail(ctx.best ?? { reason: 'UnknownIssuer', detail: 'no path to a trust anchor' });

  if (opts.serverName !== undefined) {
    if (!matchServerName(leaf, opts.serverName)) {
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
  return run(opts.leaf, opts.intermediates ?? [], anchors, opts, provider, opts.maxDepth ?? DEFAULT_MAX_DEPTH, opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS, undefined);
}

/** Options of {@link ChainVerifier}. */
export interface ChainVerifierOptions {
  /** Trusted roots, DER. */
  readonly trustAnchors: readonly Uint8Array[];
  readonly provider?: CryptoProvider;
  /** Most certificates in a path, leaf and anchor included; default 8, capped at MAX_CHAIN_LENGTH. */
  readonly maxDepth?: number;
  /** Smallest RSA modulus accepted; default 2048. */
  readonly minRsaBits?: number;
}

/**
 * A chain validator made once per trust store. It keeps the parsed anchors, and remembers verified
 * (issuer, subject) signature pairs, so repeated handshakes with the same intermediates neither re-parse
 * (parseCertificate's cache) nor re-verify them.
 */
export class ChainVerifier {
  readonly #anchors: readonly Certificate[];
  readonly #provider: CryptoProvider;
  readonly #maxDepth: number;
  readonly #minRsaBits: number;
  readonly #sigCache: SigCache = new WeakMap();

  /** Parse the trust anchors; throws `InvalidConfig` if one cannot be parsed. */
  constructor(opts: ChainVerifierOptions) {
    this.#provider = opts.provider ?? getDefaultProvider();
    this.#anchors = parseAnchors(opts.trustAnchors, this.#provider);
    this.#maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#minRsaBits = opts.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
  }

  /** The parsed trust anchors. */
  get trustAnchors(): readonly Certificate[] {
    return this.#anchors;
  }

  /** Validate `chainDers` (leaf first, then the peer's other certificates in any order); see {@link verifyChain}. */
  verify(chainDers: readonly Uint8Array[], opts: VerifyOptions): ChainResult {
    const [leaf, ...rest] = chainDers;
    if (leaf === undefined) return { ok: false, reason: 'BadEncoding', detail: 'empty certificate chain' };
    return run(leaf, rest, this.#anchors, opts, this.#provider, this.#maxDepth, this.#minRsaBits, this.#sigCache);
  }
}
