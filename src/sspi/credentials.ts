/**
 * AcquireCredentialsHandle / FreeCredentialsHandle / QueryCredentialsAttributes (SSPI.md §5.1–§5.3) and the
 * credential structures SCHANNEL_CRED, SCH_CREDENTIALS, TLS_PARAMETERS and CRYPTO_SETTINGS (§4.1, §4.2).
 * A credential is turned into engine options once, here; every context made from it inherits them.
 */
import { prepareDtlsClientConfig, prepareDtlsServerConfig } from '../dtls/config.js';
import { prepareClientConfig, prepareServerConfig, type PreparedClientConfig, type PreparedServerConfig } from '../engine/config.js';
import type { SessionTicket } from '../engine/events.js';
import { configError } from '../errors.js';
import { STANDARD_DEPENDENCIES } from '../engine/standard.js';
import type { CertifiedKeyInput, ClientOptions, CommonOptions, ServerOptions } from '../vocabulary/options.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { hkdfExpand, hkdfExtract } from '../tls13/key-schedule.js';
import { SUITES } from '../crypto/suites.js';
import { NamedGroup, SignatureScheme } from '../wire/registry.js';
import { CertContext, CertStore } from './cert-context.js';
import { resolveCredentialCertificates, type SCHANNEL_CERT_HASH, type SCHANNEL_CERT_HASH_STORE } from './cert-store.js';
import * as C from './constants.js';
import type { SECURITY_STATUS } from './constants.js';
import { HandleKind, lookupHandle, registerHandle, releaseHandle } from './handles.js';
import type { HMAPPER } from './identity.js';
import { fileTimeFromMs, TIMESTAMP_MAX, type CredHandle, type TimeStamp } from './types.js';

/** CRYPTO_SETTINGS (§4.2): an algorithm disabled in one role, optionally limited to chaining modes and key sizes. */
export class CRYPTO_SETTINGS {
  /** eTlsAlgorithmUsage (TlsParametersCngAlgUsage*). */
  eAlgorithmUsage = 0;
  /** CNG algorithm id: 'AES', 'CHACHA20_POLY1305', 'SHA256', 'SHA384', 'ECDH', 'ECDH_P256', 'CURVE25519', 'RSA', 'ECDSA', SCH_RSA_PSS_PAD… */
  strCngAlgId = '';
  /** Number of chaining modes. */
  cChainingModes = 0;
  /** 'ChainingModeGCM' …; null for none. */
  rgstrChainingModes: string[] | null = null;
  /** Minimum bit length kept enabled (0 = no lower bound). */
  dwMinBitLength = 0;
  /** Maximum bit length kept enabled (0 = no upper bound). */
  dwMaxBitLength = 0;
}

/** TLS_PARAMETERS (§4.2): protocols and algorithms that must not be negotiated. */
export class TLS_PARAMETERS {
  /** Number of ALPN ids these restrictions apply to (0 = all). */
  cAlpnIds = 0;
  /** The ALPN ids, or null. */
  rgstrAlpnIds: string[] | null = null;
  /** SP_PROT_* bits that must not be negotiated. */
  grbitDisabledProtocols = 0;
  /** Number of CRYPTO_SETTINGS. */
  cDisabledCrypto = 0;
  /** Disabled algorithms, or null. */
  pDisabledCrypto: CRYPTO_SETTINGS[] | null = null;
  /** TLS_PARAMS_OPTIONAL. */
  dwFlags = 0;
}

/** SCHANNEL_CRED (legacy, dwVersion = SCHANNEL_CRED_VERSION). */
export class SCHANNEL_CRED {
  /** SCHANNEL_CRED_VERSION (4). */
  dwVersion: number = C.SCHANNEL_CRED_VERSION;
  /** Number of certificates. */
  cCreds = 0;
  /** Certificates with private keys (server: several, chosen by SNI; client: the client certificate); thumbprints with SCH_CRED_FORMAT_CERT_HASH[_STORE]. */
  paCred: (CertContext | SCHANNEL_CERT_HASH | SCHANNEL_CERT_HASH_STORE)[] | null = null;
  /** Server: roots trusted for client certificates. Client (port extension): roots trusted for the server. */
  hRootStore: CertStore | null = null;
  /** Number of mappers. */
  cMappers = 0;
  /** Client-certificate mappers (port: see identity.ts). */
  aphMappers: HMAPPER[] | null = null;
  /** Number of ALG_IDs. */
  cSupportedAlgs = 0;
  /** ALG_IDs (stored and reported by SECPKG_ATTR_SUPPORTED_ALGS). */
  palgSupportedAlgs: number[] | null = null;
  /** SP_PROT_* bits (0 = defaults). */
  grbitEnabledProtocols = 0;
  /** Minimum cipher strength in bits (0 = default). */
  dwMinimumCipherStrength = 0;
  /** Maximum cipher strength in bits (0 = default). */
  dwMaximumCipherStrength = 0;
  /** Session lifespan in ms (0 = 10 h). */
  dwSessionLifespan = 0;
  /** SCH_CRED_* flags. */
  dwFlags = 0;
  /** SCH_CRED_FORMAT_*. */
  dwCredFormat = 0;
}

/** SCH_CREDENTIALS (dwVersion = SCH_CREDENTIALS_VERSION); the only way to TLS 1.3 on Windows. */
export class SCH_CREDENTIALS {
  /** SCH_CREDENTIALS_VERSION (5). */
  dwVersion: number = C.SCH_CREDENTIALS_VERSION;
  /** SCH_CRED_FORMAT_*. */
  dwCredFormat = 0;
  /** Number of certificates. */
  cCreds = 0;
  /** Certificates with private keys; thumbprints with SCH_CRED_FORMAT_CERT_HASH[_STORE] (cert-store.ts). */
  paCred: (CertContext | SCHANNEL_CERT_HASH | SCHANNEL_CERT_HASH_STORE)[] | null = null;
  /** Server: roots for client certificates. Client (port extension): roots for the server. */
  hRootStore: CertStore | null = null;
  /** Number of mappers. */
  cMappers = 0;
  /** Client-certificate mappers. */
  aphMappers: HMAPPER[] | null = null;
  /** Session lifespan in ms. */
  dwSessionLifespan = 0;
  /** SCH_CRED_* flags. */
  dwFlags = 0;
  /** Number of TLS_PARAMETERS. */
  cTlsParameters = 0;
  /** Restrictions, or null for system defaults. */
  pTlsParameters: TLS_PARAMETERS[] | null = null;
}

/** SecPkgCred_SupportedProtocols. */
export class SecPkgCred_SupportedProtocols {
  /** Enabled SP_PROT_* bits of the credential. */
  grbitProtocol = 0;
}

/** SecPkgCred_CipherStrengths. */
export class SecPkgCred_CipherStrengths {
  /** Bits. */
  dwMinimumCipherStrength = 0;
  /** Bits. */
  dwMaximumCipherStrength = 0;
}

/** SecPkgCred_SupportedAlgs. */
export class SecPkgCred_SupportedAlgs {
  /** Count. */
  cSupportedAlgs = 0;
  /** ALG_IDs (package-allocated; FreeContextBuffer). */
  palgSupportedAlgs: number[] | null = null;
}

/** SecPkgCred_SessionTicketKey (SECPKG_ATTR_SESSION_TICKET_KEYS, as MsQuic fills it). */
export class SecPkgCred_SessionTicketKey {
  /** SESSION_TICKET_INFO_V0. */
  TicketInfoVersion = 0;
  /** 16-byte key id (written into each ticket). */
  KeyId: Uint8Array = new Uint8Array(16);
  /** Up to 64 bytes of keying material. */
  KeyingMaterial: Uint8Array = new Uint8Array(64);
  /** Bytes of KeyingMaterial in use (32–64). */
  KeyingMaterialSize = 0;
}

/** SecPkgCred_SessionTicketKeys: the first key issues tickets, all of them are accepted. */
export class SecPkgCred_SessionTicketKeys {
  /** 1–16. */
  cSessionTicketKeys = 0;
  /** The keys. */
  pSessionTicketKeys: SecPkgCred_SessionTicketKey[] | null = null;
}

/**
 * SecPkgCred_ClientCertPolicy (SECPKG_ATTR_CLIENT_CERT_POLICY). Windows names the trusted-issuer store by
 * `pwszSslCtlStoreName`; this port has no named system stores, so the store itself travels in `hSslCtlStore`
 * (port extension).
 */
export class SecPkgCred_ClientCertPolicy {
  /** Reserved, 0. */
  dwFlags = 0;
  /** Policy GUID (not used by Schannel's default policy). */
  guidPolicyId: Uint8Array = new Uint8Array(16);
  /** CERT_CHAIN_* flags for client-certificate chains (revocation). */
  dwCertFlags = 0;
  /** URL retrieval timeout, ms. */
  dwUrlRetrievalTimeout = 0;
  /** Check revocation freshness. */
  fCheckRevocationFreshnessTime = false;
  /** Freshness, seconds. */
  dwRevocationFreshnessTime = 0;
  /** Skip the client-authentication EKU check. */
  fOmitUsageCheck = false;
  /** Name of the store holding the trusted issuers (the list sent in CertificateRequest). */
  pwszSslCtlStoreName: string | null = null;
  /** CTL identifier. */
  pwszSslCtlIdentifier: string | null = null;
  /** Port extension: the trusted-issuer store itself. */
  hSslCtlStore: CertStore | null = null;
}

/** SecPkgCredentials_Names. */
export class SecPkgCredentials_Names {
  /** The credential certificate's subject. */
  sUserName: string | null = null;
}

/** A credential (what a CredHandle names). */
export interface Credential {
  readonly id: number;
  readonly use: number;
  readonly flags: number;
  readonly certificates: readonly CertContext[];
  readonly rootStore: CertStore | null;
  readonly mappers: readonly HMAPPER[];
  /** Effective SP_PROT_* bits (direction-filtered). */
  readonly protocols: number;
  /** A DTLS credential (SP_PROT_DTLS1_2_*): its contexts run the datagram engine (src/sspi/dtls.ts). */
  readonly datagram?: boolean;
  readonly minStrength: number;
  readonly maxStrength: number;
  readonly supportedAlgs: readonly number[];
  /** Engine options shared by every context (server/client parts filled as the use allows). */
  readonly common: {
    readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
    readonly maxVersion: 'TLSv1.2' | 'TLSv1.3';
    readonly cipherSuites: readonly number[] | undefined;
    readonly groups: readonly number[] | undefined;
    readonly signatureSchemes: readonly number[] | undefined;
  };
  /** Certificate NotAfter of the first certificate (FILETIME) or the maximum. */
  readonly expiry: bigint;
  /**
   * Sessions made with this credential may be resumed (false with SCH_CRED_DISABLE_RECONNECTS or a
   * dwSessionLifespan of 0xFFFFFFFF).
   */
  readonly reconnects: boolean;
  /** How long a session stays in the cache, ms (dwSessionLifespan; 0 → 10 hours). */
  readonly lifespanMs: number;
  /** Freed credentials keep serving contexts made from them. */
  freed: boolean;
  /** Engine configurations prepared once for every context of this credential, and the client session cache. */
  readonly cache: CredentialCache;
}

/**
 * What a credential prepares once (certificates parsed, keys imported, trust anchors loaded, ticket keys made) and
 * what it remembers across contexts: like Schannel's credential-bound session cache, so a second context resumes.
 */
export interface CredentialCache {
  /** INBOUND: the server configuration (ticket keys and the TLS 1.2 session cache live here, shared by all variants). */
  server: PreparedServerConfig | undefined;
  /** OUTBOUND: the validating client configuration (per context: `{ ...client, serverName, alpn, session }`). */
  client: PreparedClientConfig | undefined;
  /** OUTBOUND: tickets per target name (validating/manual kept apart), least recently used first; bounded. */
  readonly sessions: Map<string, SessionTicket[]>;
}

/** dwSessionLifespan 0 means Windows' default, ten hours. */
export const DEFAULT_SESSION_LIFESPAN_MS = 36_000_000;
/** dwSessionLifespan 0xFFFFFFFF (-1): sessions are never reused (.NET sets it on clients for AllowTlsResume = false). */
export const SESSION_LIFESPAN_NEVER = 0xffffffff;

/** A TLS 1.2 session-ID cache that keeps nothing (a credential without reconnects). */
class NoSessionCache<K, V> extends Map<K, V> {
  override set(_key: K, _value: V): this {
    return this;
  }
}

/** Session-cache bounds (per credential). */
export const MAX_SESSION_TARGETS = 64;
/** Most session tickets kept per target; the oldest is dropped first. */
export const MAX_TICKETS_PER_TARGET = 4;

const TLS12_BITS = C.SP_PROT_TLS1_2;
const TLS13_BITS = C.SP_PROT_TLS1_3;

/** The protocols this build can do (TLS 1.3 always; TLS 1.2 when the engine has it). */
function supportedProtocolBits(): number {
  return TLS13_BITS | (STANDARD_DEPENDENCIES.tls12 !== undefined ? TLS12_BITS : 0);
}

function directionMask(use: number): number {
  let m = 0;
  if ((use & C.SECPKG_CRED_INBOUND) !== 0) m |= C.SP_PROT_SERVERS | C.SP_PROT_X_SERVERS;
  if ((use & C.SECPKG_CRED_OUTBOUND) !== 0) m |= C.SP_PROT_CLIENTS | C.SP_PROT_X_CLIENTS;
  return m >>> 0;
}

function hasBits(x: number, bits: number): boolean {
  return ((x & bits) >>> 0) !== 0;
}

type Filter = { suites: Set<number>; groups: Set<number>; schemes: Set<number> };

const SUITE_KEY_BITS = (id: number): number => SUITES.find((s) => s.id === id)?.strength ?? 0;

/** Apply one CRYPTO_SETTINGS to the enabled suite/group/scheme sets (decisions in sspi-decisions.md). */
function applyCryptoSetting(cs: CRYPTO_SETTINGS, f: Filter): void {
  const alg = cs.strCngAlgId.toUpperCase();
  const min = cs.dwMinBitLength >>> 0;
  const max = cs.dwMaxBitLength >>> 0;
  const modes = (cs.rgstrChainingModes ?? []).slice(0, cs.cChainingModes).map((m) => m.toUpperCase());
  // With bit lengths given, only sizes outside [min, max] are disabled; without, the whole algorithm is.
  const disabledSize = (bits: number): boolean => (min === 0 && max === 0 ? true : bits < min || (max !== 0 && bits > max));
  switch (cs.eAlgorithmUsage) {
    case C.TlsParametersCngAlgUsageCipher:
      for (const s of SUITES) {
        const isAes = s.aead.startsWith('aes');
        const matches =
          (alg === 'AES' && isAes && (modes.length === 0 || modes.includes('CHAININGMODEGCM'))) ||
          ((alg === 'CHACHA20_POLY1305' || alg === 'CHACHA20') && s.aead === 'chacha20-poly1305');
        if (matches && disabledSize(s.keyLen * 8)) f.suites.delete(s.id);
      }
      break;
    case C.TlsParametersCngAlgUsageDigest:
      for (const s of SUITES) {
        const h = s.hash.toUpperCase();
        if (alg === h || alg === h.replace('SHA', 'SHA_')) f.suites.delete(s.id);
      }
      if (alg === 'SHA1') {
        f.schemes.delete(SignatureScheme.rsa_pkcs1_sha1);
        f.schemes.delete(SignatureScheme.ecdsa_sha1);
      }
      break;
    case C.TlsParametersCngAlgUsageKeyExchange: {
      const byAlg: Record<string, readonly number[]> = {
        ECDH: [NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1, NamedGroup.x25519, NamedGroup.x448, NamedGroup.SecP256r1MLKEM768, NamedGroup.X25519MLKEM768, NamedGroup.SecP384r1MLKEM1024],
        ECDH_P256: [NamedGroup.secp256r1, NamedGroup.SecP256r1MLKEM768],
        ECDH_P384: [NamedGroup.secp384r1, NamedGroup.SecP384r1MLKEM1024],
        ECDH_P521: [NamedGroup.secp521r1],
        CURVE25519: [NamedGroup.x25519, NamedGroup.X25519MLKEM768],
        X25519: [NamedGroup.x25519, NamedGroup.X25519MLKEM768],
        DH: [NamedGroup.ffdhe2048],
        MLKEM: [NamedGroup.SecP256r1MLKEM768, NamedGroup.X25519MLKEM768, NamedGroup.SecP384r1MLKEM1024],
        'ML-KEM': [NamedGroup.SecP256r1MLKEM768, NamedGroup.X25519MLKEM768, NamedGroup.SecP384r1MLKEM1024],
      };
      for (const g of byAlg[alg] ?? []) f.groups.delete(g);
      break;
    }
    case C.TlsParametersCngAlgUsageSignature:
    case C.TlsParametersCngAlgUsageCertSig:
      for (const [name, v] of Object.entries(SignatureScheme)) {
        const drop =
          (alg === 'RSA' && name.startsWith('rsa_')) ||
          (alg === 'ECDSA' && name.startsWith('ecdsa_')) ||
          (alg === 'ED25519' && name === 'ed25519') ||
          (alg === C.SCHANNEL_RSA_PSS_PADDING_ALGORITHM && name.startsWith('rsa_pss_')) ||
          (alg === C.SCHANNEL_RSA_PKCS_PADDING_ALGORITHM && name.startsWith('rsa_pkcs1_')) ||
          (alg === 'SHA1' && name.endsWith('sha1'));
        if (drop) f.schemes.delete(v);
      }
      break;
    default:
      break;
  }
}

/** ALG_ID class bits (wincrypt.h GET_ALG_CLASS). */
const ALG_CLASS_MASK = 0xe000;
const ALG_CLASS_SIGNATURE = 0x2000;
const ALG_CLASS_DATA_ENCRYPT = 0x6000;
const ALG_CLASS_HASH = 0x8000;
const ALG_CLASS_KEY_EXCHANGE = 0xa000;
/** Hash-class ALG_IDs that name TLS internals (PRF, master-secret hashes), not a suite's digest: they restrict nothing. */
const INTERNAL_HASHES: ReadonlySet<number> = new Set([0x8007, 0x8008, 0x800a, 0x800b]);

/**
 * SCHANNEL_CRED.palgSupportedAlgs (decisions: "palgSupportedAlgs"): each ALG_ID class the list names (cipher, digest,
 * key exchange, signature) is restricted to the listed algorithms; a class the list does not name stays as it is.
 * Suites, groups and signature schemes outside the list are removed from `f`.
 */
function applySupportedAlgs(algs: readonly number[], f: Filter): void {
  const of = (cls: number): Set<number> => new Set(algs.filter((a) => ((a & ALG_CLASS_MASK) >>> 0) === cls && !(cls === ALG_CLASS_HASH && INTERNAL_HASHES.has(a))));
  const ciphers = of(ALG_CLASS_DATA_ENCRYPT);
  const hashes = of(ALG_CLASS_HASH);
  const kx = of(ALG_CLASS_KEY_EXCHANGE);
  const sigs = of(ALG_CLASS_SIGNATURE);
  for (const s of SUITES) {
    const isAes = s.aead.startsWith('aes');
    const cipherOk = ciphers.size === 0 || (isAes && (ciphers.has(C.CALG_AES) || ciphers.has(s.keyLen === 16 ? C.CALG_AES_128 : C.CALG_AES_256)));
    const hashOk = hashes.size === 0 || hashes.has(s.hash === 'sha384' ? C.CALG_SHA_384 : C.CALG_SHA_256);
    // Every suite here is (EC)DHE: TLS 1.2 ECDHE_*, TLS 1.3 (EC)DHE groups.
    const kxOk = kx.size === 0 || kx.has(C.CALG_ECDH_EPHEM) || kx.has(C.CALG_ECDH);
    const sigOk = sigs.size === 0 || s.auth === undefined || sigs.has(s.auth === 'rsa' ? C.CALG_RSA_SIGN : C.CALG_ECDSA);
    if (!(cipherOk && hashOk && kxOk && sigOk)) f.suites.delete(s.id);
  }
  if (kx.size > 0 && !kx.has(C.CALG_ECDH_EPHEM) && !kx.has(C.CALG_ECDH)) f.groups.clear();
  if (sigs.size > 0) {
    for (const [name, v] of Object.entries(SignatureScheme)) {
      const rsa = name.startsWith('rsa_');
      const ecdsa = name.startsWith('ecdsa_');
      if ((rsa && !sigs.has(C.CALG_RSA_SIGN)) || (ecdsa && !sigs.has(C.CALG_ECDSA)) || (!rsa && !ecdsa)) f.schemes.delete(v);
    }
  }
}

const DEFAULT_SCHEMES: readonly number[] = Object.values(SignatureScheme).filter(
  (v) => v !== SignatureScheme.rsa_pkcs1_sha1 && v !== SignatureScheme.ecdsa_sha1 && v !== SignatureScheme.ed448,
);

/**
 * AcquireCredentialsHandle (§5.1). `pszPackage` is UNISP_NAME or SCHANNEL_NAME; `pAuthData` null, a SCHANNEL_CRED
 * or a SCH_CREDENTIALS. Unused C parameters (principal, logon id, get-key function and argument) are accepted and
 * ignored. Never throws.
 */
export function AcquireCredentialsHandle(
  pszPrincipal: string | null,
  pszPackage: string | null,
  fCredentialUse: number,
  pvLogonId: unknown,
  pAuthData: SCHANNEL_CRED | SCH_CREDENTIALS | { dwVersion: number } | null,
  pGetKeyFn: unknown,
  pvGetKeyArgument: unknown,
  phCredential: CredHandle | null,
  ptsExpiry: TimeStamp | null,
): SECURITY_STATUS {
  void pszPrincipal;
  void pvLogonId;
  void pGetKeyFn;
  void pvGetKeyArgument;
  try {
    return acquire(pszPackage, fCredentialUse >>> 0, pAuthData, phCredential, ptsExpiry);
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

function isSchannelPackage(name: string | null): boolean {
  if (typeof name !== 'string') return false;
  const n = name.toLowerCase();
  return n === C.UNISP_NAME.toLowerCase() || n === C.SCHANNEL_NAME.toLowerCase() || n === C.DEFAULT_TLS_SSP_NAME.toLowerCase();
}

function acquire(
  pszPackage: string | null,
  use: number,
  pAuthData: SCHANNEL_CRED | SCH_CREDENTIALS | { dwVersion: number } | null,
  phCredential: CredHandle | null,
  ptsExpiry: TimeStamp | null,
): SECURITY_STATUS {
  if (!isSchannelPackage(pszPackage)) return C.SEC_E_SECPKG_NOT_FOUND;
  const dir = use & C.SECPKG_CRED_BOTH;
  if (pAuthData === null || pAuthData === undefined) {
    if (dir === 0 || (dir & C.SECPKG_CRED_INBOUND) !== 0) return C.SEC_E_NO_CREDENTIALS;
  }
  if (dir === 0) return C.SEC_E_NO_CREDENTIALS;
  let certs: CertContext[] = [];
  let rootStore: CertStore | null = null;
  let flags = 0;
  let mappers: HMAPPER[] = [];
  let requested = 0; // SP_PROT_* enabled (0 = defaults)
  let disabled = 0;
  let minStrength = 0;
  let maxStrength = 0;
  let algs: number[] = [];
  let lifespan = 0;
  const filter: Filter = {
    suites: new Set(SUITES.map((s) => s.id)),
    groups: new Set(getDefaultProvider().supportedGroups),
    schemes: new Set(DEFAULT_SCHEMES),
  };
  let restricted = false;
  // Legacy SCHANNEL_CRED never negotiates TLS 1.3: Windows gives 1.3 only through SCH_CREDENTIALS (decisions).
  let legacy = false;
  if (pAuthData !== null && pAuthData !== undefined) {
    const v = pAuthData.dwVersion;
    if (v === C.SCHANNEL_CRED_VERSION || v === C.SCH_CRED_V3) {
      if (!(pAuthData instanceof SCHANNEL_CRED)) return C.SEC_E_UNKNOWN_CREDENTIALS;
      const sc = pAuthData;
      legacy = true;
      const resolved = resolveCredentialCertificates(sc.dwCredFormat, (sc.paCred ?? []).slice(0, sc.cCreds), sc.dwFlags);
      if (!Array.isArray(resolved)) return resolved.status;
      certs = resolved;
      if (certs.length !== sc.cCreds) return C.SEC_E_UNKNOWN_CREDENTIALS;
      rootStore = sc.hRootStore;
      flags = sc.dwFlags >>> 0;
      mappers = (sc.aphMappers ?? []).slice(0, sc.cMappers);
      lifespan = sc.dwSessionLifespan >>> 0;
      requested = sc.grbitEnabledProtocols >>> 0;
      minStrength = sc.dwMinimumCipherStrength >>> 0;
      maxStrength = sc.dwMaximumCipherStrength >>> 0;
      algs = (sc.palgSupportedAlgs ?? []).slice(0, sc.cSupportedAlgs).map((a) => a >>> 0);
      if (algs.length !== sc.cSupportedAlgs) return C.SEC_E_UNKNOWN_CREDENTIALS;
      if (algs.length > 0) {
        applySupportedAlgs(algs, filter);
        restricted = true;
      }
      if (minStrength !== 0 || maxStrength !== 0) {
        if (minStrength === 0xffffffff || maxStrength === 0xffffffff) return C.SEC_E_ALGORITHM_MISMATCH; // NULL ciphers only
        for (const s of SUITES) {
          const bits = SUITE_KEY_BITS(s.id);
          if ((minStrength !== 0 && bits < minStrength) || (maxStrength !== 0 && bits > maxStrength)) filter.suites.delete(s.id);
        }
        restricted = true;
      }
    } else if (v === C.SCH_CREDENTIALS_VERSION) {
      if (!(pAuthData instanceof SCH_CREDENTIALS)) return C.SEC_E_UNKNOWN_CREDENTIALS;
      const sc = pAuthData;
      const resolved = resolveCredentialCertificates(sc.dwCredFormat, (sc.paCred ?? []).slice(0, sc.cCreds), sc.dwFlags);
      if (!Array.isArray(resolved)) return resolved.status;
      certs = resolved;
      if (certs.length !== sc.cCreds) return C.SEC_E_UNKNOWN_CREDENTIALS;
      rootStore = sc.hRootStore;
      flags = sc.dwFlags >>> 0;
      mappers = (sc.aphMappers ?? []).slice(0, sc.cMappers);
      lifespan = sc.dwSessionLifespan >>> 0;
      const params = (sc.pTlsParameters ?? []).slice(0, sc.cTlsParameters);
      if (params.length !== sc.cTlsParameters || params.length > C.SCH_CRED_MAX_SUPPORTED_PARAMETERS) return C.SEC_E_UNKNOWN_CREDENTIALS;
      if (params.filter((p) => p.cAlpnIds === 0).length > 1) return C.SEC_E_UNKNOWN_CREDENTIALS;
      for (const p of params) {
        // TLS_PARAMS_OPTIONAL entries are honoured "only if they do not cause the handshake to fail" (schannel.h):
        // never applying them meets that. Entries limited to ALPN ids cannot be applied per connection by the
        // engine; rather than ignore a restriction the caller asked for, the credential is refused (decisions).
        if ((p.dwFlags & C.TLS_PARAMS_OPTIONAL) !== 0) continue;
        if (p.cAlpnIds !== 0) return C.SEC_E_UNSUPPORTED_FUNCTION;
        disabled |= p.grbitDisabledProtocols >>> 0;
        const settings = (p.pDisabledCrypto ?? []).slice(0, p.cDisabledCrypto);
        if (settings.length > C.SCH_CRED_MAX_SUPPORTED_CRYPTO_SETTINGS) return C.SEC_E_UNKNOWN_CREDENTIALS;
        for (const cs of settings) {
          applyCryptoSetting(cs, filter);
          restricted = true;
        }
      }
    } else {
      return C.SEC_E_UNKNOWN_CREDENTIALS;
    }
  }
  if (certs.length > C.SCH_CRED_MAX_SUPPORTED_CERTS) return C.SEC_E_UNKNOWN_CREDENTIALS;
  // Certificates: any unusable one → UNKNOWN_CREDENTIALS; a good certificate without key → NO_CREDENTIALS (§8.7).
  let noKey = false;
  for (const c of certs) {
    if (!(c instanceof CertContext)) return C.SEC_E_UNKNOWN_CREDENTIALS;
    const r = c.check();
    if (r === 'bad') return C.SEC_E_UNKNOWN_CREDENTIALS;
    if (r === 'no-key') noKey = true;
  }
  if (noKey) return C.SEC_E_NO_CREDENTIALS;
  // Protocols (§5.1 step 5).
  const dirMask = directionMask(dir);
  let protocols: number;
  if (requested !== 0) {
    if (hasBits(requested, C.SP_PROT_DTLS1_X) && hasBits(requested, ~C.SP_PROT_DTLS1_X >>> 0 & ~C.SP_PROT_UNI >>> 0)) {
      return C.SEC_E_ALGORITHM_MISMATCH;
    }
    protocols = (requested & dirMask) >>> 0;
  } else {
    protocols = ((C.SP_PROT_TLS1_X & ~disabled) & dirMask) >>> 0;
  }
  // DTLS: SP_PROT_DTLS1_2_* (or SCH_USE_DTLS_ONLY with the default protocols); DTLS 1.0 is not supported.
  const datagram = hasBits(requested, C.SP_PROT_DTLS1_X) || (requested === 0 && (flags & C.SCH_USE_DTLS_ONLY) !== 0);
  if (datagram) {
    protocols = ((requested !== 0 ? requested : C.SP_PROT_DTLS1_X) & dirMask & C.SP_PROT_DTLS1_2) >>> 0;
    if (STANDARD_DEPENDENCIES.tls12 === undefined) protocols = 0;
  } else {
    if (protocols === 0) return C.SEC_E_ALGORITHM_MISMATCH;
    if ((flags & C.SCH_USE_DTLS_ONLY) !== 0) return C.SEC_E_ALGORITHM_MISMATCH;
    protocols = (protocols & supportedProtocolBits()) >>> 0;
    if (legacy) protocols = (protocols & ~TLS13_BITS) >>> 0;
  }
  if (protocols === 0) return C.SEC_E_ALGORITHM_MISMATCH;
  const has12 = datagram || hasBits(protocols, TLS12_BITS);
  const has13 = !datagram && hasBits(protocols, TLS13_BITS);
  if ((flags & C.SCH_USE_STRONG_CRYPTO) !== 0) {
    filter.schemes.delete(SignatureScheme.rsa_pkcs1_sha1);
    filter.schemes.delete(SignatureScheme.ecdsa_sha1);
  }
  const suites = SUITES.filter((s) => filter.suites.has(s.id) && ((s.version === 'TLSv1.3' && has13) || (s.version === 'TLSv1.2' && has12)));
  if (suites.length === 0) return C.SEC_E_ALGORITHM_MISMATCH;
  const groups = getDefaultProvider().supportedGroups.filter((g) => filter.groups.has(g));
  if (groups.length === 0) return C.SEC_E_ALGORITHM_MISMATCH;
  const schemes = DEFAULT_SCHEMES.filter((s) => filter.schemes.has(s));
  if (schemes.length === 0) return C.SEC_E_ALGORITHM_MISMATCH;

  const common = {
    minVersion: has12 ? ('TLSv1.2' as const) : ('TLSv1.3' as const),
    maxVersion: has13 ? ('TLSv1.3' as const) : ('TLSv1.2' as const),
    cipherSuites: restricted ? suites.map((s) => s.id) : undefined,
    groups: restricted ? groups : undefined,
    signatureSchemes: restricted || (flags & C.SCH_USE_STRONG_CRYPTO) !== 0 ? schemes : undefined,
  };
  const first = certs[0];
  const expiry = first?.notAfter !== undefined ? fileTimeFromMs(first.notAfter) : TIMESTAMP_MAX;
  const cred: Credential = {
    id: 0,
    use: dir,
    flags,
    certificates: certs,
    rootStore,
    mappers,
    protocols,
    datagram,
    minStrength: minStrength !== 0 ? minStrength : 128,
    maxStrength: maxStrength !== 0 ? maxStrength : 256,
    supportedAlgs: algs,
    common,
    expiry,
    reconnects: (flags & C.SCH_CRED_DISABLE_RECONNECTS) === 0 && lifespan !== SESSION_LIFESPAN_NEVER,
    lifespanMs: lifespan === 0 || lifespan === SESSION_LIFESPAN_NEVER ? DEFAULT_SESSION_LIFESPAN_MS : lifespan,
    freed: false,
    cache: { server: undefined, client: undefined, sessions: new Map() },
  };
  // Prepare the engine configurations once (this also validates key/cert pairs and suites); every context shares them.
  try {
    if ((dir & C.SECPKG_CRED_INBOUND) !== 0 && certs.length > 0) {
      const prepared = (datagram ? prepareDtlsServerConfig : prepareServerConfig)(serverOptionsFor(cred), STANDARD_DEPENDENCIES);
      // No reconnects: no TLS 1.3 or 1.2 tickets (ticketCount 0) and no TLS 1.2 session-ID cache either.
      cred.cache.server = cred.reconnects ? prepared : { ...prepared, sessionCache12: new NoSessionCache() };
    }
    if ((dir & C.SECPKG_CRED_OUTBOUND) !== 0) cred.cache.client = (datagram ? prepareDtlsClientConfig : prepareClientConfig)(clientOptionsFor(cred), STANDARD_DEPENDENCIES);
  } catch {
    return C.SEC_E_UNKNOWN_CREDENTIALS;
  }
  if (phCredential === null || phCredential === undefined) return C.SEC_E_INTERNAL_ERROR;
  const id = registerHandle(phCredential, HandleKind.Credential, cred);
  (cred as { id: number }).id = id;
  if (ptsExpiry !== null && ptsExpiry !== undefined) ptsExpiry.QuadPart = expiry;
  return C.SEC_E_OK;
}

/**
 * A credential certificate as the engine takes it. Acquiring the credential refused a certificate without its key
 * ('no-key': SEC_E_NO_CREDENTIALS), so a missing key here is a configuration error, never silently passed on.
 */
function certifiedKeyOf(c: CertContext): CertifiedKeyInput {
  const key = c.privateKey;
  if (key === undefined) throw configError('a credential certificate has no private key');
  return { cert: [...c.chain], key };
}

/** The options both sides take from the credential: versions, and the suites, groups and schemes it restricts. */
function commonOptionsOf(cred: Credential): CommonOptions {
  const k = cred.common;
  return {
    minVersion: k.minVersion,
    maxVersion: k.maxVersion,
    ...(k.cipherSuites !== undefined ? { cipherSuites: k.cipherSuites } : {}),
    ...(k.groups !== undefined ? { groups: k.groups } : {}),
    ...(k.signatureSchemes !== undefined ? { signatureSchemes: k.signatureSchemes } : {}),
  };
}

/** hRootStore's certificates, when it holds any. */
function trustedIssuers(cred: Credential): readonly Uint8Array[] | undefined {
  return cred.rootStore !== null && cred.rootStore.certificates.length > 0 ? cred.rootStore.certificates : undefined;
}

const REVOCATION_FLAGS = C.SCH_CRED_REVOCATION_CHECK_END_CERT | C.SCH_CRED_REVOCATION_CHECK_CHAIN | C.SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT;

/**
 * ServerOptions of this credential. `hRootStore` is always the `ca` (trust anchors and certificate_authorities for
 * client certificates, also for a post-handshake request); whether a certificate is asked for is per context.
 */
export function serverOptionsFor(cred: Credential): ServerOptions {
  const ca = trustedIssuers(cred);
  const crls = cred.rootStore?.crls ?? [];
  return {
    ...commonOptionsOf(cred),
    certificates: cred.certificates.map(certifiedKeyOf),
    // Without hRootStore client certificates are accepted unvalidated and only mapped (decisions: §9.12).
    ...(ca !== undefined ? { ca } : { rejectUnauthorized: false }),
    // SCH_CRED_REVOCATION_CHECK_*: client chains are checked against the CRLs of hRootStore.
    ...((cred.flags & REVOCATION_FLAGS) !== 0 && crls.length > 0 ? { crl: crls } : {}),
    ticketCount: cred.reconnects ? 2 : 0,
    ticketLifetime: Math.max(1, Math.min(604800, Math.floor(cred.lifespanMs / 1000))),
  };
}

/**
 * ClientOptions of this credential: `hRootStore` (else Node's roots) validates the server; SCH_CRED_NO_SERVERNAME_CHECK
 * keeps chain validation but skips the name; SCH_CRED_MANUAL_CRED_VALIDATION does not enforce (result still computed
 * for SECPKG_ATTR_CERT_CHECK_RESULT). The server name is the context's (added per context).
 */
export function clientOptionsFor(cred: Credential): ClientOptions {
  const ca = trustedIssuers(cred);
  // Manual validation means manual: no trust, name or revocation check, even with REVOCATION_CHECK_* set (curl sets
  // both); the application checks the chain itself from SECPKG_ATTR_REMOTE_CERT_CONTEXT.
  const manual = (cred.flags & (C.SCH_CRED_MANUAL_CRED_VALIDATION | C.SCH_CRED_DEFERRED_CRED_VALIDATION)) !== 0;
  // Revocation, offline sources only: the CRLs of hRootStore and the server's stapled OCSP response. With a
  // REVOCATION_CHECK_* flag both are checked (revoked → CRYPT_E_REVOKED); a staple is required unless the store
  // holds CRLs (the revocation source then) or an IGNORE_* flag accepts "status unknown".
  const revocation = (cred.flags & REVOCATION_FLAGS) !== 0 && !manual;
  const crls = cred.rootStore?.crls ?? [];
  const lenient = crls.length > 0 || (cred.flags & (C.SCH_CRED_IGNORE_NO_REVOCATION_CHECK | C.SCH_CRED_IGNORE_REVOCATION_OFFLINE)) !== 0;
  const ocspStapling: 'check' | 'require' = lenient ? 'check' : 'require';
  const cc = cred.certificates[0];
  return {
    ...commonOptionsOf(cred),
    ...(ca !== undefined ? { ca } : {}),
    ...(manual ? { rejectUnauthorized: false } : {}),
    ...((cred.flags & C.SCH_CRED_NO_SERVERNAME_CHECK) !== 0 ? { checkServerName: false } : {}),
    ...(revocation && crls.length > 0 ? { crl: crls } : {}),
    ...(revocation ? { ocspStapling } : {}),
    ...(cc !== undefined ? { clientCertificate: certifiedKeyOf(cc) } : {}),
    // §6.4: a CertificateRequest we cannot answer pauses the handshake (SEC_I_INCOMPLETE_CREDENTIALS) so the caller
    // can call again with a credential that has a certificate.
    deferClientCertificate: true,
  };
}

/** What a server context sets for itself on its first AcceptSecurityContext call. */
export interface ServerContextSettings {
  /** ASC_REQ_MUTUAL_AUTH: ask for a client certificate. */
  readonly mutual: boolean;
  /** The SECBUFFER_APPLICATION_PROTOCOLS list, if one was given. */
  readonly alpn: readonly Uint8Array[] | undefined;
}

/**
 * The prepared server configuration for one context, chosen at the Accepted point: the credential's, with the
 * context's ALPN list and whether a client certificate is asked for (ASC_REQ_MUTUAL_AUTH). Nothing is parsed or
 * imported again; ticket keys, the TLS 1.2 session cache and the cookie key stay the credential's, so contexts resume
 * each other's sessions.
 */
export function serverConfigFor(cred: Credential, settings: ServerContextSettings): PreparedServerConfig {
  const { mutual, alpn } = settings;
  const base = cred.cache.server;
  if (base === undefined) throw new Error('credential has no server configuration');
  if (!mutual && alpn === undefined) return base;
  return {
    ...base,
    // ASC_REQ_MUTUAL_AUTH asks for a certificate but, as on Windows, a client that sends none still completes the
    // handshake: the server learns it from SECPKG_ATTR_REMOTE_CERT_CONTEXT (SEC_E_NO_CREDENTIALS) and no
    // ASC_RET_MUTUAL_AUTH (decisions: "ASC_REQ_MUTUAL_AUTH without a client certificate"). A certificate that is sent
    // is still validated against hRootStore.
    ...(mutual ? { clientAuth: 'optional' as const } : {}),
    ...(alpn !== undefined ? { alpn: [...alpn] } : {}),
  };
}

/** Cache key of a target's sessions: sessions made without validation are never offered to a validating context. */
function sessionKey(target: string | null, manual: boolean): string {
  return `${manual ? 'manual' : 'validated'}:${(target ?? '').toLowerCase()}`;
}

/**
 * The prepared client configuration for one context: the credential's, with the target name (SNI and name check),
 * ALPN, manual validation (ISC_REQ_MANUAL_CRED_VALIDATION) and a cached ticket for this target if there is one.
 */
export function clientConfigFor(cred: Credential, target: string | null, manual: boolean, alpn: readonly Uint8Array[] | undefined): PreparedClientConfig {
  const base = cred.cache.client;
  if (base === undefined) throw new Error('credential has no client configuration');
  const session = takeSession(cred, sessionKey(target, manual || base.verifier === null));
  return {
    ...base,
    serverName: target !== null && target !== '' ? target : undefined,
    // ISC_REQ_MANUAL_CRED_VALIDATION on this context: no enforcement and no revocation requirement either.
    ...(manual ? { verifier: null, ocspPolicy: 'ignore' as const } : {}),
    ...(alpn !== undefined ? { alpn: [...alpn] } : {}),
    session,
  };
}

/** Forget every cached session for `target` (SSL_SESSION_DISABLE_RECONNECTS on a context). */
export function forgetSessions(cred: Credential, target: string | null): void {
  cred.cache.sessions.delete(sessionKey(target, true));
  cred.cache.sessions.delete(sessionKey(target, false));
}

function takeSession(cred: Credential, key: string): SessionTicket | undefined {
  if (!cred.reconnects) return undefined;
  const list = cred.cache.sessions.get(key);
  if (list === undefined) return undefined;
  const now = Date.now();
  let t: SessionTicket | undefined;
  while ((t = list.shift()) !== undefined && t.expiresAt <= now);
  if (list.length === 0) cred.cache.sessions.delete(key);
  return t;
}

/** Remember a ticket the server sent for `target` (single use; bounded per target and per credential). */
export function storeSession(cred: Credential, target: string | null, manual: boolean, ticket: SessionTicket): void {
  if (!cred.reconnects) return;
  const key = sessionKey(target, manual || cred.cache.client?.verifier === null);
  // dwSessionLifespan bounds how long Schannel keeps the session, whatever the server's ticket lifetime says.
  const bounded = Math.min(ticket.expiresAt, Date.now() + cred.lifespanMs);
  if (bounded !== ticket.expiresAt) ticket = { ...ticket, expiresAt: bounded };
  const sessions = cred.cache.sessions;
  const list = sessions.get(key) ?? [];
  sessions.delete(key); // re-insert: most recently used last
  list.push(ticket);
  while (list.length > MAX_TICKETS_PER_TARGET) list.shift();
  sessions.set(key, list);
  while (sessions.size > MAX_SESSION_TARGETS) {
    const oldest = sessions.keys().next().value as string;
    sessions.delete(oldest);
  }
}

/** The credential named by a handle (also freed ones still referenced by contexts are not reachable here). */
export function lookupCredential(h: CredHandle | null | undefined): Credential | undefined {
  const c = lookupHandle(h, HandleKind.Credential);
  return c as Credential | undefined;
}

/** FreeCredentialsHandle (§5.2): contexts made from the credential keep working. */
export function FreeCredentialsHandle(phCredential: CredHandle | null): SECURITY_STATUS {
  try {
    const cred = lookupCredential(phCredential);
    if (cred === undefined || phCredential === null) return C.SEC_E_INVALID_HANDLE;
    cred.freed = true;
    releaseHandle(phCredential.dwLower);
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/** QueryCredentialsAttributes (§5.3). `pBuffer` is the structure to fill. */
export function QueryCredentialsAttributes(phCredential: CredHandle | null, ulAttribute: number, pBuffer: object | null): SECURITY_STATUS {
  try {
    const cred = lookupCredential(phCredential);
    if (cred === undefined) return C.SEC_E_INVALID_HANDLE;
    switch (ulAttribute) {
      case C.SECPKG_ATTR_SUPPORTED_PROTOCOLS:
        if (pBuffer === null || pBuffer === undefined) return C.SEC_E_INTERNAL_ERROR;
        Object.assign(pBuffer, { grbitProtocol: cred.protocols });
        return C.SEC_E_OK;
      case C.SECPKG_ATTR_SUPPORTED_ALGS: {
        if (pBuffer === null || pBuffer === undefined) return C.SEC_E_INTERNAL_ERROR;
        const algs = cred.supportedAlgs.length > 0 ? [...cred.supportedAlgs] : [C.CALG_AES_128, C.CALG_AES_256, C.CALG_ECDH_EPHEM, C.CALG_ECDSA, C.CALG_RSA_SIGN, C.CALG_SHA_256, C.CALG_SHA_384];
        Object.assign(pBuffer, { cSupportedAlgs: algs.length, palgSupportedAlgs: algs });
        return C.SEC_E_OK;
      }
      case C.SECPKG_ATTR_CIPHER_STRENGTHS:
        if (pBuffer === null || pBuffer === undefined) return C.SEC_E_INTERNAL_ERROR;
        Object.assign(pBuffer, { dwMinimumCipherStrength: cred.minStrength, dwMaximumCipherStrength: cred.maxStrength });
        return C.SEC_E_OK;
      case C.SECPKG_CRED_ATTR_NAMES: {
        const c = cred.certificates[0];
        if (c === undefined) return C.SEC_E_NO_CREDENTIALS;
        if (pBuffer === null || pBuffer === undefined) return C.SEC_E_INTERNAL_ERROR;
        Object.assign(pBuffer, { sUserName: c.subject });
        return C.SEC_E_OK;
      }
      default:
        return C.SEC_E_UNSUPPORTED_FUNCTION;
    }
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * SetCredentialsAttributes (§5.3): SECPKG_ATTR_SESSION_TICKET_KEYS (server credentials: MsQuic's 1–16 keys of 32–64
 * bytes; tickets are issued under the first and accepted under any) and SECPKG_ATTR_CLIENT_CERT_POLICY (.NET's
 * trusted-issuer store for client certificates). Other attributes → SEC_E_UNSUPPORTED_FUNCTION. Never throws.
 */
export function SetCredentialsAttributes(phCredential: CredHandle | null, ulAttribute: number, pBuffer: object | null, cbBuffer: number): SECURITY_STATUS {
  void cbBuffer;
  try {
    const cred = lookupCredential(phCredential);
    if (cred === undefined) return C.SEC_E_INVALID_HANDLE;
    switch (ulAttribute) {
      case C.SECPKG_ATTR_SESSION_TICKET_KEYS:
        if (!(pBuffer instanceof SecPkgCred_SessionTicketKeys)) return C.SEC_E_INVALID_PARAMETER;
        return setTicketKeys(cred, pBuffer);
      case C.SECPKG_ATTR_CLIENT_CERT_POLICY:
        if (!(pBuffer instanceof SecPkgCred_ClientCertPolicy)) return C.SEC_E_INVALID_PARAMETER;
        return setClientCertPolicy(cred, pBuffer);
      default:
        return C.SEC_E_UNSUPPORTED_FUNCTION;
    }
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

const TICKET_KEY_INFO = new TextEncoder().encode('sspi-tls session ticket key');

/** Most ticket keys a credential takes (MsQuic's QUIC_MAX_TICKET_KEY_COUNT). */
export const MAX_SESSION_TICKET_KEYS = 16;

function setTicketKeys(cred: Credential, keys: SecPkgCred_SessionTicketKeys): SECURITY_STATUS {
  const server = cred.cache.server;
  if (server === undefined) return C.SEC_E_UNSUPPORTED_FUNCTION; // tickets are issued by server credentials only
  const list = (keys.pSessionTicketKeys ?? []).slice(0, keys.cSessionTicketKeys);
  if (keys.cSessionTicketKeys < 1 || keys.cSessionTicketKeys > MAX_SESSION_TICKET_KEYS || list.length !== keys.cSessionTicketKeys) return C.SEC_E_INVALID_PARAMETER;
  const prepared: { id: Uint8Array; key: Uint8Array }[] = [];
  for (const k of list) {
    if (!(k instanceof SecPkgCred_SessionTicketKey) || k.TicketInfoVersion !== C.SESSION_TICKET_INFO_V0) return C.SEC_E_INVALID_PARAMETER;
    const size = k.KeyingMaterialSize >>> 0;
    if (k.KeyId.length !== 16 || size < 32 || size > 64 || k.KeyingMaterial.length < size) return C.SEC_E_INVALID_PARAMETER;
    // The ticket AEAD key: HKDF-SHA256 over the caller's material, bound to the key id (any length 32–64 is used whole).
    const p = getDefaultProvider();
    const prk = hkdfExtract(p, 'sha256', k.KeyId, k.KeyingMaterial.subarray(0, size));
    const key = hkdfExpand(p, 'sha256', prk, TICKET_KEY_INFO, 32, 32);
    prepared.push({ id: k.KeyId.slice(), key });
  }
  server.ticketKeys.replace(prepared);
  return C.SEC_E_OK;
}

function setClientCertPolicy(cred: Credential, policy: SecPkgCred_ClientCertPolicy): SECURITY_STATUS {
  if (policy.dwFlags !== 0) return C.SEC_E_INVALID_PARAMETER;
  if (cred.cache.server === undefined) return C.SEC_E_UNSUPPORTED_FUNCTION; // a server-side policy
  // Nothing a caller asks for may be silently dropped: an EKU override or a store we cannot open is refused.
  if (policy.fOmitUsageCheck) return C.SEC_E_UNSUPPORTED_FUNCTION;
  if (policy.pwszSslCtlStoreName !== null && policy.hSslCtlStore === null) return C.SEC_E_UNSUPPORTED_FUNCTION;
  if (policy.hSslCtlStore !== null) {
    // The trusted issuers: validation anchors and the certificate_authorities list of CertificateRequest. The
    // prepared configuration is rebuilt, keeping the ticket keys and the TLS 1.2 session cache.
    const updated: Credential = { ...cred, rootStore: policy.hSslCtlStore };
    const old = cred.cache.server;
    const next = prepareServerConfig(serverOptionsFor(updated));
    (cred as { rootStore: CertStore | null }).rootStore = policy.hSslCtlStore;
    cred.cache.server = { ...next, ticketKeys: old.ticketKeys, sessionCache12: old.sessionCache12 };
  }
  return C.SEC_E_OK;
}
