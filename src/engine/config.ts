/**
 * Options → prepared configuration, done once per TlsServer/TlsClient (or SSPI credential): certificates parsed,
 * private keys loaded as KeyObjects, trust anchors parsed into a verifier, suites and groups resolved. The engine
 * never parses PEM or X.509 on the per-handshake path for its own credentials.
 */
import { equalPublic } from '../codec/bytes.js';
import type { ClientOptions, CertifiedKeyInput, CommonOptions, ServerOptions, TraceEvent } from '../api/types.js';
import type { CryptoProvider, SigningKey } from '../crypto/provider.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { SUITES, suiteByName, type SuiteInfo } from '../crypto/suites.js';
import { configError } from '../errors.js';
import { NamedGroup, ProtocolVersion, SignatureScheme } from '../wire/registry.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { ChainVerifier } from '../x509/chain.js';
import { pemToDer } from '../x509/pem.js';
import type { SessionTicket } from './events.js';
import type { ClientHello } from '../wire/client-hello.js';
import type { RawExtension } from '../wire/extensions.js';
import type { SessionState } from '../handshake/tickets.js';

/** A certificate chain with its loaded private key. */
export interface CertifiedKey {
  readonly chain: readonly Uint8Array[];
  readonly leaf: Certificate;
  readonly key: SigningKey;
  /** Lower-cased dNSName SANs of the leaf (for SNI selection). */
  readonly names: readonly string[];
  /** TLS 1.3 signature schemes this key can make, in our preference order. */
  readonly schemes13: readonly number[];
  /** TLS 1.2 signature schemes this key can make. */
  readonly schemes12: readonly number[];
  readonly ocspResponse: Uint8Array | undefined;
}

interface PreparedCommon {
  readonly provider: CryptoProvider;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly suites: readonly SuiteInfo[];
  readonly groups: readonly number[];
  readonly signatureSchemes: readonly number[];
  readonly alpn: readonly string[] | undefined;
  readonly recordSizeLimit: number | undefined;
  readonly keyLog: ((line: string) => void) | undefined;
  readonly trace: ((e: TraceEvent) => void) | undefined;
}

/** Server options prepared once: certificates, client-auth policy and verifiers, ticket keys, cookie key and session caches. */
export interface PreparedServerConfig extends PreparedCommon {
  readonly kind: 'server';
  readonly certificates: readonly CertifiedKey[];
  readonly sniCallback: ((name: string) => number | undefined) | undefined;
  readonly clientAuth: 'none' | 'optional' | 'required';
  /** Enforcing verifier for client certificates; null when they are accepted unverified (`rejectUnauthorized: false`). */
  readonly verifier: ChainVerifier | null;
  /** Verifier (from `ca`) used to report the result when not enforcing. */
  readonly reportVerifier: ChainVerifier | null;
  /** Subject DNs of the trust anchors, for certificate_authorities. */
  readonly caNames: readonly Uint8Array[];
  readonly ticketCount: number;
  readonly allowPskKe: boolean;
  readonly ticketLifetime: number;
  readonly ticketKeys: TicketKeys;
  /** Used tickets when `singleUseTickets` is on (ticket hash hex → expiry ms); bounded. */
  readonly usedTickets: Map<string, number> | undefined;
  /** Secret for HRR cookies. */
  readonly cookieKey: Uint8Array;
  /**
   * @internal Test hook: rewrite the EncryptedExtensions list before it is encoded (RFC 8448 byte-exact replays,
   * where the trace's server advertised groups our provider does not have).
   */
  readonly encryptedExtensionsHook?: ((exts: readonly RawExtension[]) => readonly RawExtension[]) | undefined;
  /** @internal Test hook: the HelloRetryRequest cookie for a ClientHello (RFC 8448 §5 replays the trace's cookie). */
  readonly hrrCookieHook?: ((clientHello1: Uint8Array) => Uint8Array) | undefined;
  /** TLS 1.2 session-id cache (hex id → session), bounded and least-recently-used first (src/tls12/server.ts). */
  readonly sessionCache12: Map<string, SessionState>;
}

/** Client options prepared once: server name, verifiers, OCSP policy, client certificate, key-share groups, session to offer. */
export interface PreparedClientConfig extends PreparedCommon {
  readonly kind: 'client';
  readonly serverName: string | undefined;
  /** Enforcing verifier; null when `rejectUnauthorized` is false. */
  readonly verifier: ChainVerifier | null;
  /** Verifier used to report (not enforce) the result when `rejectUnauthorized` is false. */
  readonly reportVerifier: ChainVerifier;
  readonly ocspPolicy: 'ignore' | 'check' | 'require';
  readonly checkServerName: boolean;
  readonly clientCertificate: CertifiedKey | undefined;
  readonly keyShareGroups: readonly number[];
  readonly session: SessionTicket | undefined;
  /**
   * @internal Test hook: rewrite a ClientHello before it is encoded (RFC 8448 byte-exact replays). The offer is
   * taken from the rewritten hello; an empty legacy_session_id turns middlebox compatibility mode off.
   */
  readonly clientHelloHook?: ((ch: ClientHello, retry: boolean) => ClientHello) | undefined;
  /**
   * When the server asks for a certificate this configuration cannot answer, wait for
   * `TlsEngine.supplyClientCertificate()` instead of answering with an empty Certificate (SSPI's
   * SEC_I_INCOMPLETE_CREDENTIALS, after which the caller may pass a new credential).
   */
  readonly deferClientCertificate?: boolean;
}

/** Server ticket keys: current and previous, rotated by lifetime (RFC 8446 §4.6.1, RFC 5077). */
export class TicketKeys {
  readonly #provider: CryptoProvider;
  readonly lifetimeMs: number;
  #current: { id: Uint8Array; key: Uint8Array; since: number };
  #previous: { id: Uint8Array; key: Uint8Array; since: number } | undefined;
  readonly #fixed: boolean;
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
  /** The key with this id, if still known. */
  find(id: Uint8Array): Uint8Array | undefined {
    this.#maybeRotate();
    for (const k of [this.#current, this.#previous]) {
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

/** The TLS 1.3 schemes a key can sign with (RFC 8446 §4.2.3: no PKCS#1 v1.5 in 1.3 handshakes). */
export function schemesForKey(key: SigningKey, tls12: boolean): number[] {
  switch (key.algorithm) {
    case 'ec-p256':
      return [SignatureScheme.ecdsa_secp256r1_sha256];
    case 'ec-p384':
      return [SignatureScheme.ecdsa_secp384r1_sha384];
    case 'ec-p521':
      return [SignatureScheme.ecdsa_secp521r1_sha512];
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
  const key = provider.loadSigningKey(input.key);
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

/** Whether the engine implements TLS 1.2 (set by the TLS 1.2 state machines when they are loaded). */
export const capabilities = { tls12: false };

function prepareCommon(o: CommonOptions): PreparedCommon {
  const provider = o.provider ?? getDefaultProvider();
  const maxVersion = versionOf(o.maxVersion, ProtocolVersion.TLS13);
  const minVersion = versionOf(o.minVersion, capabilities.tls12 ? ProtocolVersion.TLS12 : ProtocolVersion.TLS13);
  if (minVersion > maxVersion) throw configError('minVersion is above maxVersion');
  if (!capabilities.tls12 && minVersion < ProtocolVersion.TLS13) throw configError('TLS 1.2 is not available in this build');
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
  suites = suites.filter((s) => (s.version === 'TLSv1.3' ? maxVersion >= ProtocolVersion.TLS13 : minVersion <= ProtocolVersion.TLS12 && capabilities.tls12));
  if (suites.length === 0) throw configError('no usable cipher suite');
  const supported = provider.supportedGroups;
  const groups = (o.groups ?? supported).filter((g) => supported.includes(g));
  if (groups.length === 0) throw configError('no usable key exchange group');
  const signatureSchemes = o.signatureSchemes ?? DEFAULT_SCHEMES;
  if (o.ALPNProtocols !== undefined) {
    for (const p of o.ALPNProtocols) if (p.length === 0 || p.length > 255) throw configError(`invalid ALPN protocol "${p}"`);
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
    alpn: o.ALPNProtocols !== undefined && o.ALPNProtocols.length > 0 ? [...o.ALPNProtocols] : undefined,
    recordSizeLimit: o.recordSizeLimit,
    keyLog: o.keyLog,
    trace: o.trace,
  };
}

/** Default trust anchors (Node's bundled root store), supplied by the api layer. */
export const defaultTrust: { anchors: (() => readonly Uint8Array[]) | undefined } = { anchors: undefined };

const verifierCache = new WeakMap<object, ChainVerifier>();
let defaultVerifier: ChainVerifier | undefined;

/** CRLs from PEM text (`X509 CRL` blocks) or DER; none found in non-empty text is a configuration error. */
function crlsFrom(input: string | readonly Uint8Array[]): Uint8Array[] {
  if (typeof input !== 'string') return input.map((d) => d.slice());
  const ders = pemToDer(input, 'X509 CRL');
  if (ders.length === 0) throw configError('no X509 CRL block in PEM text');
  return ders;
}

function verifierFor(ca: string | readonly Uint8Array[] | undefined, provider: CryptoProvider, crl?: string | readonly Uint8Array[]): ChainVerifier {
  if (crl !== undefined) {
    // A CRL store is per configuration: not shared through the caches below.
    const anchors = ca === undefined ? [...(defaultTrust.anchors?.() ?? [])] : certsFrom(ca);
    return new ChainVerifier({ trustAnchors: anchors, provider, crls: crlsFrom(crl) });
  }
  if (ca === undefined) {
    if (defaultVerifier === undefined) {
      const anchors = defaultTrust.anchors?.() ?? [];
      defaultVerifier = new ChainVerifier({ trustAnchors: [...anchors], provider });
    }
    return defaultVerifier;
  }
  if (typeof ca !== 'string') {
    const hit = verifierCache.get(ca);
    if (hit !== undefined) return hit;
  }
  const v = new ChainVerifier({ trustAnchors: certsFrom(ca), provider });
  if (typeof ca !== 'string') verifierCache.set(ca, v);
  return v;
}

/** Prepare server options once. */
export function prepareServerConfig(o: ServerOptions): PreparedServerConfig {
  const common = prepareCommon(o);
  if (o.certificates.length === 0) throw configError('a server needs at least one certificate');
  const certificates = o.certificates.map((c) => loadCertifiedKey(c, common.provider));
  const clientAuth = o.clientAuth ?? (o.requestCert === true ? (o.rejectUnauthorized === false ? 'optional' : 'required') : 'none');
  let reportVerifier: ChainVerifier | null = null;
  let caNames: Uint8Array[] = [];
  // With `ca` given, the verifier also serves post-handshake client authentication (RFC 8446 §4.6.2).
  if (o.ca !== undefined) {
    reportVerifier = verifierFor(o.ca, common.provider, o.crl);
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
    allowPskKe: o.allowPskKe === true,
    ticketLifetime: Math.min(604800, Math.max(1, o.ticketLifetime ?? 7200)),
    ticketKeys: new TicketKeys(common.provider, (o.ticketKeyRotation ?? 43200) * 1000, o.ticketKeys),
    usedTickets: o.singleUseTickets === true ? new Map() : undefined,
    cookieKey: common.provider.randomBytes(32),
    sessionCache12: new Map(),
  };
}

/** Prepare client options once. */
export function prepareClientConfig(o: ClientOptions): PreparedClientConfig {
  const common = prepareCommon(o);
  const reportVerifier = verifierFor(o.ca, common.provider, o.crl);
  const verifier = o.rejectUnauthorized === false ? null : reportVerifier;
  const keyShareGroups = (o.keyShareGroups ?? defaultKeyShares(common.groups)).filter((g) => common.groups.includes(g));
  return {
    ...common,
    kind: 'client',
    serverName: o.servername,
    verifier,
    reportVerifier,
    ocspPolicy: o.ocspStapling ?? 'ignore',
    checkServerName: o.checkServerName !== false,
    clientCertificate: o.clientCertificate !== undefined ? loadCertifiedKey(o.clientCertificate, common.provider) : undefined,
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
