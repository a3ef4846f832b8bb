/**
 * Options → prepared configuration, done once per TlsServer/TlsClient (or SSPI credential): certificates parsed,
 * private keys loaded as KeyObjects, trust anchors parsed into a verifier, suites and groups resolved. The engine
 * never parses PEM or X.509 on the per-handshake path for its own credentials.
 */
import { DEFAULT_RENEGOTIATIONS } from '../limits.js';
import { equalPublic, latin1, utf8 } from '../codec/bytes.js';
import type { ClientOptions, CertifiedKeyInput, CommonOptions, ServerOptions } from '../vocabulary/options.js';
import type { CryptoProvider, SigningKey } from '../crypto/provider.js';
import { SUITES, suiteByName, type SuiteInfo } from '../crypto/suites.js';
import { configError } from '../errors.js';
import { isEncryptedKey, loadCredential } from '../credentials/index.js';
import { NamedGroup, ProtocolVersion, SignatureScheme } from '../wire/registry.js';
import { parseCertificate } from '../x509/certificate.js';
import { ChainVerifier } from '../x509/chain.js';
import type { EngineDependencies } from './dependencies.js';
import { STANDARD_DEPENDENCIES } from './standard.js';
import { pemToDer } from '../x509/pem.js';
import type {
  CertifiedKey,
  PreparedClientConfig,
  PreparedCommon,
  PreparedServerConfig,
  TicketKeyStore,
} from '../vocabulary/config.js';

export type { CertifiedKey, PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';

/** Server ticket keys: current and previous, rotated by lifetime (RFC 8446 §4.6.1, RFC 5077). */
export class TicketKeys implements TicketKeyStore {
  readonly #provider: CryptoProvider;
  readonly lifetimeMs: number;
  #current: { id: Uint8Array; key: Uint8Array; since: number };
  #previous: { id: Uint8Array; key: Uint8Array; since: number } | undefined;
  /** Further keys still accepted (set with `replace`): tickets are issued under the current key only. */
  #accepted: { id: Uint8Array; key: Uint8Array }[] = [];
  #fixed: boolean;
  /** `fixed` (48 bytes: 16-byte key name ‖ 32-byte key) makes a key that never rotates (node:tls `ticketKeys`). */
  constructor(provider: CryptoProvider, lifetimeMs: number, fixed?: Uint8Array) {
    this.#provider = provider;
    this.lifetimeMs = lifetimeMs;
    this.#fixed = fixed !== undefined;
    if (fixed !== undefined) {
      if (fixed.length !== 48) throw configError('ticketKeys must be 48 bytes (16-byte name, 32-byte key)');
      this.#current = { id: fixed.slice(0, 16), key: fixed.slice(16, 48), since: provider.now() };
    } else {
      this.#current = this.#fresh();
    }
  }
  #fresh(): { id: Uint8Array; key: Uint8Array; since: number } {
    return { id: this.#provider.randomBytes(16), key: this.#provider.randomBytes(32), since: this.#provider.now() };
  }
  /** Rotate now: the current key becomes the previous one, and the old previous one is forgotten. */
  rotate(): void {
    this.#previous = this.#current;
    this.#current = this.#fresh();
  }
  #maybeRotate(): void {
    if (!this.#fixed && this.#provider.now() - this.#current.since >= this.lifetimeMs) this.rotate();
  }
  /** The key to encrypt new tickets with. */
  current(): { id: Uint8Array; key: Uint8Array } {
    this.#maybeRotate();
    return this.#current;
  }
  /**
   * Replace every key with a caller-managed list (16-byte id, 32-byte key), which never rotates: tickets are issued
   * under the first and accepted under any (SSPI SECPKG_ATTR_SESSION_TICKET_KEYS).
   */
  replace(keys: readonly { readonly id: Uint8Array; readonly key: Uint8Array }[]): void {
    const first = keys[0];
    if (first === undefined) throw configError('ticket key list is empty');
    for (const k of keys) if (k.id.length !== 16 || k.key.length !== 32) throw configError('ticket keys need a 16-byte id and a 32-byte key');
    this.#fixed = true;
    this.#current = { id: first.id.slice(), key: first.key.slice(), since: this.#provider.now() };
    this.#previous = undefined;
    this.#accepted = keys.slice(1).map((k) => ({ id: k.id.slice(), key: k.key.slice() }));
  }
  /** The key with this id, if still known. */
  find(id: Uint8Array): Uint8Array | undefined {
    this.#maybeRotate();
    for (const k of [this.#current, this.#previous, ...this.#accepted]) {
      if (k !== undefined && k.id.length === id.length && k.id.every((b, i) => b === id[i])) return k.key;
    }
    return undefined;
  }
}

const DEFAULT_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** The TLS 1.2 (hash, ecdsa) pairs an EC key signs with (SHA-1 excluded), the one of its own curve first. */
function ecdsa12(own: number): number[] {
  const all = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512];
  return [own, ...all.filter((s) => s !== own)];
}

/** The TLS 1.3 schemes a key can sign with (RFC 8446 §4.2.3: no PKCS#1 v1.5 in 1.3 handshakes). */
export function schemesForKey(key: SigningKey, tls12: boolean): number[] {
  switch (key.algorithm) {
    // TLS 1.3 binds each ECDSA scheme to one curve (RFC 8446 §4.2.3); in TLS 1.2 the scheme names only the hash
    // (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3), so any EC key signs with any of the three (its own curve's first).
    case 'ec-p256':
      return tls12 ? ecdsa12(SignatureScheme.ecdsa_secp256r1_sha256) : [SignatureScheme.ecdsa_secp256r1_sha256];
    case 'ec-p384':
      return tls12 ? ecdsa12(SignatureScheme.ecdsa_secp384r1_sha384) : [SignatureScheme.ecdsa_secp384r1_sha384];
    case 'ec-p521':
      return tls12 ? ecdsa12(SignatureScheme.ecdsa_secp521r1_sha512) : [SignatureScheme.ecdsa_secp521r1_sha512];
    case 'ed25519':
      return [SignatureScheme.ed25519];
    case 'rsa':
      return tls12
        ? [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512]
        : [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512];
    case 'rsa-pss':
      return [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512];
    default:
      return [];
  }
}

function certsFrom(input: string | readonly Uint8Array[]): Uint8Array[] {
  if (typeof input === 'string') {
    const ders = pemToDer(input);
    if (ders.length === 0) throw configError('no CERTIFICATE block in PEM text');
    return ders;
  }
  return input.map((d) => d.slice());
}

/** Load a chain and key once; checks that the key matches the leaf. */
export function loadCertifiedKey(input: CertifiedKeyInput, provider: CryptoProvider, minRsaBits = 2048): CertifiedKey {
  const chain = certsFrom(input.cert);
  const leaf = parseCertificate(chain[0] as Uint8Array, provider);
  // An encrypted key (or one given with a passphrase) is decrypted first (src/credentials).
  const plainKey = input.passphrase !== undefined || isEncryptedKey(input.key) ? loadCredential({ cert: chain, key: input.key, passphrase: input.passphrase }).key : input.key;
  const key = provider.loadSigningKey(plainKey);
  if (!equalPublic(key.spki, leaf.spki)) throw configError('the private key does not match the certificate');
  if ((key.algorithm === 'rsa' || key.algorithm === 'rsa-pss') && key.bits < minRsaBits) {
    throw configError(`RSA key of ${key.bits} bits is below the ${minRsaBits}-bit minimum`);
  }
  const names = (leaf.extensions.subjectAltName?.dnsNames ?? []).map((n) => n.toLowerCase());
  return {
    chain,
    leaf,
    key,
    names,
    schemes13: schemesForKey(key, false),
    schemes12: schemesForKey(key, true),
    ocspResponse: input.ocspResponse,
  };
}

function versionOf(name: string | undefined, dflt: number): number {
  if (name === undefined) return dflt;
  if (name === 'TLSv1.3') return ProtocolVersion.TLS13;
  if (name === 'TLSv1.2') return ProtocolVersion.TLS12;
  throw configError(`unsupported TLS version ${name} (only TLSv1.2 and TLSv1.3)`);
}

function prepareCommon(o: CommonOptions, deps: EngineDependencies): PreparedCommon {
  const tls12 = deps.tls12 !== undefined;
  const provider = o.provider ?? deps.provider;
  const maxVersion = versionOf(o.maxVersion, ProtocolVersion.TLS13);
  const minVersion = versionOf(o.minVersion, tls12 ? ProtocolVersion.TLS12 : ProtocolVersion.TLS13);
  if (minVersion > maxVersion) throw configError('minVersion is above maxVersion');
  if (!tls12 && minVersion < ProtocolVersion.TLS13) throw configError('TLS 1.2 is not available in this build');
  let suites: SuiteInfo[];
  if (o.cipherSuites !== undefined) {
    suites = [];
    for (const id of o.cipherSuites) {
      const s = SUITES.find((x) => x.id === id);
      if (s !== undefined) suites.push(s);
    }
  } else if (o.ciphers !== undefined) {
    suites = [];
    for (const name of o.ciphers.split(':')) {
      const s = suiteByName(name.trim());
      if (s !== undefined) suites.push(s);
    }
    // A node:tls cipher string names TLS 1.2 suites in OpenSSL spelling; when it names no TLS 1.3 suite, keep ours.
    if (!suites.some((s) => s.version === 'TLSv1.3')) suites.push(...SUITES.filter((s) => s.version === 'TLSv1.3'));
  } else {
    suites = [...SUITES];
  }
  suites = suites.filter((s) => (s.version === 'TLSv1.3' ? maxVersion >= ProtocolVersion.TLS13 : minVersion <= ProtocolVersion.TLS12 && tls12));
  if (suites.length === 0) throw configError('no usable cipher suite');
  const supported = provider.supportedGroups;
  const groups = (o.groups ?? supported).filter((g) => supported.includes(g));
  if (groups.length === 0) throw configError('no usable key exchange group');
  const signatureSchemes = o.signatureSchemes ?? DEFAULT_SCHEMES;
  const alpn = o.ALPNProtocols?.map((p) => (typeof p === 'string' ? utf8(p) : p.slice()));
  if (alpn !== undefined) {
    for (const p of alpn) if (p.length === 0 || p.length > 255) throw configError(`invalid ALPN protocol "${latin1(p)}" (1..255 bytes)`);
  }
  if (o.recordSizeLimit !== undefined && (o.recordSizeLimit < 64 || o.recordSizeLimit > 16385)) {
    throw configError('recordSizeLimit must be within 64..16385');
  }
  return {
    provider,
    minVersion,
    maxVersion,
    suites,
    groups,
    signatureSchemes,
    alpn: alpn !== undefined && alpn.length > 0 ? alpn : undefined,
    recordSizeLimit: o.recordSizeLimit,
    keyLog: o.keyLog,
    trace: o.trace,
    maxRenegotiations: renegotiationLimit(o.maxRenegotiations),
  };
}

function renegotiationLimit(n: number | undefined): number {
  if (n === undefined) return DEFAULT_RENEGOTIATIONS;
  if (!Number.isInteger(n) || n < 0) throw configError('maxRenegotiations must be a non-negative integer');
  return n;
}

/** CRLs from PEM text (`X509 CRL` blocks) or DER; none found in non-empty text is a configuration error. */
function crlsFrom(input: string | readonly Uint8Array[]): Uint8Array[] {
  if (typeof input !== 'string') return input.map((d) => d.slice());
  const ders = pemToDer(input, 'X509 CRL');
  if (ders.length === 0) throw configError('no X509 CRL block in PEM text');
  return ders;
}

/**
 * The verifier for `ca`, or for the trust store's default anchors when `ca` is not given. With `crl` the verifier
 * carries that CRL store: one per configuration, not shared through the trust store's caches.
 */
function verifierFor(
  ca: string | readonly Uint8Array[] | undefined,
  provider: CryptoProvider,
  deps: EngineDependencies,
  crl?: string | readonly Uint8Array[],
): ChainVerifier {
  if (crl !== undefined) {
    const anchors = ca === undefined ? [...deps.trust.anchors] : certsFrom(ca);
    return new ChainVerifier({ trustAnchors: anchors, provider, crls: crlsFrom(crl) });
  }
  if (ca === undefined) return deps.trust.defaultVerifier(provider);
  if (typeof ca !== 'string') return deps.trust.verifierFor(ca, provider);
  return new ChainVerifier({ trustAnchors: certsFrom(ca), provider });
}

/** Prepare server options once (`deps`: the trust store for `ca`-less verification, whether TLS 1.2 is built). */
export function prepareServerConfig(o: ServerOptions, deps: EngineDependencies = STANDARD_DEPENDENCIES): PreparedServerConfig {
  const common = prepareCommon(o, deps);
  // node:tls-style `pfx` + `passphrase`: its key and chain come first (the default certificate).
  const inputs = o.pfx !== undefined ? [loadCredential({ pfx: o.pfx, passphrase: o.passphrase }), ...o.certificates] : o.certificates;
  if (inputs.length === 0) throw configError('a server needs at least one certificate');
  const certificates = inputs.map((c) => loadCertifiedKey(c, common.provider));
  const clientAuth = o.clientAuth ?? (o.requestCert === true ? (o.rejectUnauthorized === false ? 'optional' : 'required') : 'none');
  let reportVerifier: ChainVerifier | null = null;
  let caNames: Uint8Array[] = [];
  // With `ca` given, the verifier also serves post-handshake client authentication (RFC 8446 §4.6.2).
  if (o.ca !== undefined) {
    reportVerifier = verifierFor(o.ca, common.provider, deps, o.crl);
    caNames = certsFrom(o.ca).map((d) => parseCertificate(d, common.provider).subject.der.slice());
  }
  if (clientAuth !== 'none' && o.ca === undefined && o.rejectUnauthorized !== false) {
    throw configError('client certificates are requested but no `ca` was given to verify them');
  }
  const verifier = o.rejectUnauthorized === false ? null : reportVerifier;
  return {
    ...common,
    kind: 'server',
    certificates,
    sniCallback: o.SNICallback,
    clientAuth,
    verifier,
    reportVerifier,
    caNames,
    ticketCount: o.ticketCount ?? 2,
    resumptionTicketCount: o.resumptionTicketCount ?? o.ticketCount ?? 2,
    allowPskKe: o.allowPskKe === true,
    ticketLifetime: Math.min(604800, Math.max(1, o.ticketLifetime ?? 7200)),
    ticketKeys: o.ticketKeySource ?? new TicketKeys(common.provider, (o.ticketKeyRotation ?? 43200) * 1000, o.ticketKeys),
    usedTickets: o.singleUseTickets === true ? new Map() : undefined,
    cookieKey: common.provider.randomBytes(32),
    sessionCache12: new Map(),
    allowClientRenegotiation: o.allowClientRenegotiation === true,
  };
}

/** Prepare client options once (`deps`: the trust store used when `ca` is not given, whether TLS 1.2 is built). */
export function prepareClientConfig(o: ClientOptions, deps: EngineDependencies = STANDARD_DEPENDENCIES): PreparedClientConfig {
  const common = prepareCommon(o, deps);
  const reportVerifier = verifierFor(o.ca, common.provider, deps, o.crl);
  const verifier = o.rejectUnauthorized === false ? null : reportVerifier;
  const keyShareGroups = (o.keyShareGroups ?? defaultKeyShares(common.groups)).filter((g) => common.groups.includes(g));
  return {
    ...common,
    kind: 'client',
    serverName: o.servername,
    verifier,
    reportVerifier,
    ocspPolicy: o.ocspStapling ?? 'ignore',
    requestOcsp: requestOcspOf(o),
    checkServerName: o.checkServerName !== false,
    clientCertificate:
      o.clientCertificate !== undefined
        ? loadCertifiedKey(o.clientCertificate, common.provider)
        : o.pfx !== undefined
          ? loadCertifiedKey(loadCredential({ pfx: o.pfx, passphrase: o.passphrase }), common.provider)
          : undefined,
    keyShareGroups: keyShareGroups.length > 0 ? keyShareGroups : [common.groups[0] as number],
    session: undefined,
    deferClientCertificate: o.deferClientCertificate === true,
  };
}

/** Our client's default key shares: the hybrid group with x25519 beside it (so servers without it need no HRR). */
function defaultKeyShares(groups: readonly number[]): number[] {
  const first = groups[0];
  if (first === NamedGroup.X25519MLKEM768 && groups.includes(NamedGroup.x25519)) return [first, NamedGroup.x25519];
  return first === undefined ? [] : [first];
}

/** Whether a client asks for OCSP stapling: unless told not to; never refusing a staple it requires. */
function requestOcspOf(o: ClientOptions): boolean {
  if (o.requestOcsp !== false) return true;
  if (o.ocspStapling === 'require') throw configError("ocspStapling 'require' needs requestOcsp (a staple is only sent when asked for)");
  return false;
}
