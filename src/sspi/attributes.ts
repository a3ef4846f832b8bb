/**
 * QueryContextAttributes / SetContextAttributes (SSPI.md §5.8, §5.9, structures §4.6–§4.7) and the identity
 * functions QuerySecurityContextToken / ImpersonateSecurityContext / RevertSecurityContext (§5.14).
 * `pBuffer` is the structure object the caller made (e.g. `new SecPkgContext_StreamSizes()`); the function fills it.
 */
import { getDefaultProvider } from '../crypto/node-provider.js';
import { suiteById } from '../crypto/suites.js';
import { NamedGroup, SignatureScheme, endPointHashOf } from '../wire/registry.js';
import { allocations } from './buffers.js';
import { CertContext } from './cert-context.js';
import * as C from './constants.js';
import { dtlsQuery, dtlsSet, lookupDtlsContext } from './dtls.js';
import type { SECURITY_STATUS } from './constants.js';
import { lookupContext, type SchannelContext } from './context.js';
import { enterImpersonation, type AccessToken } from './identity.js';
import { TIMESTAMP_MAX, TimeStamp, fileTimeFromMs, type CtxtHandle, type Ref } from './types.js';

/** SecPkgContext_StreamSizes. */
export class SecPkgContext_StreamSizes {
  /** Header bytes EncryptMessage writes (maximum). */
  cbHeader = 0;
  /** Trailer bytes (maximum). */
  cbTrailer = 0;
  /** Largest plaintext per EncryptMessage. */
  cbMaximumMessage = 0;
  /** Buffers to pass (4). */
  cBuffers = 0;
  /** Preferred plaintext granularity. */
  cbBlockSize = 0;
}

/** SecPkgContext_Sizes. */
export class SecPkgContext_Sizes {
  /** Largest token. */
  cbMaxToken = 0;
  /** Largest signature. */
  cbMaxSignature = 0;
  /** Block size. */
  cbBlockSize = 0;
  /** Security trailer. */
  cbSecurityTrailer = 0;
}

/** SecPkgContext_ConnectionInfo. */
export class SecPkgContext_ConnectionInfo {
  /** One SP_PROT_* bit of the local side. */
  dwProtocol = 0;
  /** CALG_AES_128 / CALG_AES_256 / … */
  aiCipher = 0;
  /** Bits. */
  dwCipherStrength = 0;
  /** CALG_* hash (0 strength for AEAD). */
  aiHash = 0;
  /** Bits (0 for AEAD). */
  dwHashStrength = 0;
  /** CALG_ECDH_EPHEM / … */
  aiExch = 0;
  /** Key-exchange bits. */
  dwExchStrength = 0;
}

/** SecPkgContext_ConnectionInfoEx. */
export class SecPkgContext_ConnectionInfoEx {
  /** SECPKGCONTEXT_CONNECTION_INFO_EX_V1. */
  dwVersion = C.SECPKGCONTEXT_CONNECTION_INFO_EX_V1;
  /** SP_PROT_* bit. */
  dwProtocol = 0;
  /** 'AES' / 'CHACHA20_POLY1305'. */
  szCipher = '';
  /** Bits. */
  dwCipherStrength = 0;
  /** Hash name ('' for AEAD). */
  szHash = '';
  /** Bits. */
  dwHashStrength = 0;
  /** 'ECDH' / 'X25519MLKEM768' … */
  szExchange = '';
  /** Bits. */
  dwExchStrength = 0;
}

/** SecPkgContext_CipherInfo. */
export class SecPkgContext_CipherInfo {
  /** SECPKGCONTEXT_CIPHERINFO_V1. */
  dwVersion = C.SECPKGCONTEXT_CIPHERINFO_V1;
  /** Wire version (0x0304 / 0x0303). */
  dwProtocol = 0;
  /** IANA suite id. */
  dwCipherSuite = 0;
  /** Same as dwCipherSuite. */
  dwBaseCipherSuite = 0;
  /** IANA suite name. */
  szCipherSuite = '';
  /** 'AES' / 'CHACHA20_POLY1305'. */
  szCipher = '';
  /** Key bits. */
  dwCipherLen = 0;
  /** 16 for AES, 1 for ChaCha20. */
  dwCipherBlockLen = 0;
  /** '' for AEAD suites. */
  szHash = '';
  /** 0 for AEAD. */
  dwHashLen = 0;
  /** 'ECDH' (or the hybrid group's name). */
  szExchange = '';
  /** 0. */
  dwMinExchangeLen = 0;
  /** 65536. */
  dwMaxExchangeLen = 0;
  /** 'RSA' / 'ECDSA' / 'EDDSA' (the server certificate's key). */
  szCertificate = '';
  /** The named group id. */
  dwKeyType = 0;
}

/** SecPkgContext_SessionInfo. */
export class SecPkgContext_SessionInfo {
  /** SSL_SESSION_RECONNECT when resumed. */
  dwFlags = 0;
  /** Length of rgbSessionId. */
  cbSessionId = 0;
  /** Session id bytes. */
  rgbSessionId: Uint8Array = new Uint8Array(32);
}

/** SecPkgContext_CertificateValidationResult (SECPKG_ATTR_CERT_CHECK_RESULT / _INPROC). */
export class SecPkgContext_CertificateValidationResult {
  /** CERT_TRUST_* error bits of the chain (0 when it validated). */
  dwChainErrorStatus = 0;
  /** S_OK, or the CERT_E_* / TRUST_E_* policy result. */
  hrVerifyChainStatus = 0;
}

/** Chain validation result by BadCertificate reason: [CERT_TRUST_* bits, CERT_E_* result]. */
const CHAIN_RESULT: Readonly<Record<string, readonly [number, number]>> = {
  Expired: [C.CERT_TRUST_IS_NOT_TIME_VALID, C.CERT_E_EXPIRED],
  NotYetValid: [C.CERT_TRUST_IS_NOT_TIME_VALID, C.CERT_E_EXPIRED],
  UnknownIssuer: [C.CERT_TRUST_IS_PARTIAL_CHAIN, C.CERT_E_CHAINING],
  UntrustedRoot: [C.CERT_TRUST_IS_UNTRUSTED_ROOT, C.CERT_E_UNTRUSTEDROOT],
  BadSignature: [C.CERT_TRUST_IS_NOT_SIGNATURE_VALID, C.TRUST_E_CERT_SIGNATURE],
  WrongName: [C.CERT_TRUST_NO_ERROR, C.CERT_E_CN_NO_MATCH],
  NotCa: [C.CERT_TRUST_INVALID_BASIC_CONSTRAINTS, C.TRUST_E_BASIC_CONSTRAINTS],
  PathTooLong: [C.CERT_TRUST_INVALID_BASIC_CONSTRAINTS, C.CERT_E_PATHLENCONST],
  WrongUsage: [C.CERT_TRUST_IS_NOT_VALID_FOR_USAGE, C.CERT_E_WRONG_USAGE],
  UnsupportedCriticalExtension: [C.CERT_TRUST_IS_NOT_VALID_FOR_USAGE, C.CERT_E_CRITICAL],
  NameConstraintViolation: [C.CERT_TRUST_INVALID_NAME_CONSTRAINTS, C.CERT_E_INVALID_NAME],
  Revoked: [C.CERT_TRUST_IS_REVOKED, C.CERT_E_REVOKED],
  BadEncoding: [C.CERT_TRUST_IS_NOT_SIGNATURE_VALID, C.CERT_E_MALFORMED],
  UnsupportedKey: [C.CERT_TRUST_IS_NOT_SIGNATURE_VALID, C.CERT_E_MALFORMED],
  RevocationUnknown: [C.CERT_TRUST_REVOCATION_STATUS_UNKNOWN, C.CERT_E_REVOCATION_FAILURE],
};

/** The validation result the engine computed (ConnectionInfo.authorized / authorizationError). */
function validationResult(ctx: SchannelContext): { dwChainErrorStatus: number; hrVerifyChainStatus: number } {
  const info = ctx.info;
  if (info?.authorized === true) return { dwChainErrorStatus: 0, hrVerifyChainStatus: 0 };
  if (ctx.peerChain.length === 0) return { dwChainErrorStatus: 0, hrVerifyChainStatus: C.SEC_E_NO_CREDENTIALS };
  const err = info?.authorizationError ?? '';
  const reason = err.includes(':') ? err.slice(0, err.indexOf(':')) : err;
  const [bits, hr] = CHAIN_RESULT[reason] ?? [C.CERT_TRUST_IS_UNTRUSTED_ROOT, C.CERT_E_UNTRUSTEDROOT];
  return { dwChainErrorStatus: bits, hrVerifyChainStatus: hr };
}

/** SecPkgContext_ApplicationProtocol. */
export class SecPkgContext_ApplicationProtocol {
  /** SecApplicationProtocolNegotiationStatus_*. */
  ProtoNegoStatus = 0;
  /** SecApplicationProtocolNegotiationExt_*. */
  ProtoNegoExt = 0;
  /** Length of ProtocolId. */
  ProtocolIdSize = 0;
  /** The protocol id bytes. */
  ProtocolId: Uint8Array = new Uint8Array(0);
}

/** SecPkgContext_KeyingMaterialInfo (input of SetContextAttributes). */
export class SecPkgContext_KeyingMaterialInfo {
  /** Label length including the terminating NUL. */
  cbLabel = 0;
  /** The label. */
  pszLabel = '';
  /** Context length (0 = no context). */
  cbContextValue = 0;
  /** Context bytes, or null. */
  pbContextValue: Uint8Array | null = null;
  /** Bytes to export. */
  cbKeyingMaterial = 0;
}

/** SecPkgContext_KeyingMaterial. */
export class SecPkgContext_KeyingMaterial {
  /** Length. */
  cbKeyingMaterial = 0;
  /** The exported bytes (package allocation). */
  pbKeyingMaterial: Uint8Array | null = null;
}

/** SecPkgContext_NegotiatedTlsExtensions. */
export class SecPkgContext_NegotiatedTlsExtensions {
  /** Count. */
  ExtensionsCount = 0;
  /** IANA extension ids (package allocation). */
  Extensions: number[] | null = null;
}

/** SecPkgContext_IssuerListInfoEx. */
export class SecPkgContext_IssuerListInfoEx {
  /** DER distinguished names (CERT_NAME_BLOB contents). */
  aIssuers: Uint8Array[] | null = null;
  /** Count. */
  cIssuers = 0;
}

/** SecPkgContext_SupportedSignatures. */
export class SecPkgContext_SupportedSignatures {
  /** Count. */
  cSignatureAndHashAlgorithms = 0;
  /** WORDs: high byte eTlsSignatureAlgorithm, low byte eTlsHashAlgorithm. */
  pSignatureAndHashAlgorithms: number[] | null = null;
}

/** SecPkgContext_Bindings. */
export class SecPkgContext_Bindings {
  /** Bytes in Bindings. */
  BindingsLength = 0;
  /** SEC_CHANNEL_BINDINGS (32 bytes) followed by the application data. */
  Bindings: Uint8Array | null = null;
}

/** SecPkgContext_Certificates. */
export class SecPkgContext_Certificates {
  /** Count. */
  cCertificates = 0;
  /** Bytes. */
  cbCertificateChain = 0;
  /** Repeated { 4-byte length, DER }. */
  pbCertificateChain: Uint8Array | null = null;
}

/** SecPkgContext_Lifespan. */
export class SecPkgContext_Lifespan {
  /** Start. */
  tsStart = new TimeStamp();
  /** Expiry. */
  tsExpiry = new TimeStamp();
}

/** SecPkgContext_KeyInfo. */
export class SecPkgContext_KeyInfo {
  /** 'RSA' / 'ECDSA' / 'EDDSA'. */
  sSignatureAlgorithmName = '';
  /** 'AES' / 'CHACHA20_POLY1305'. */
  sEncryptAlgorithmName = '';
  /** Cipher key bits. */
  KeySize = 0;
  /** CALG_RSA_SIGN / CALG_ECDSA. */
  SignatureAlgorithm = 0;
  /** Cipher ALG_ID. */
  EncryptAlgorithm = 0;
}

/** SecPkgContext_Flags. */
export class SecPkgContext_Flags {
  /** The context's attribute flags. */
  Flags = 0;
}

/**
 * SecPkgInfo of the Schannel package as Windows 10/11 reports it (sspi-decisions.md "Package information"):
 * the values are the same for the "Schannel" and UNISP_NAME entries, only `Name` differs.
 */
export class SecPkgInfo {
  /** SECPKG_FLAG_*: 0x4107B3. */
  fCapabilities: number = C.SCHANNEL_PACKAGE_CAPABILITIES;
  /** 1. */
  wVersion = 1;
  /** UNISP_RPC_ID (14). */
  wRPCID = C.UNISP_RPC_ID;
  /** 24576. */
  cbMaxToken: number = C.SCHANNEL_MAX_TOKEN;
  /** UNISP_NAME or "Schannel". */
  Name: string = C.UNISP_NAME;
  /** "Schannel Security Package". */
  Comment: string = C.SCHANNEL_PACKAGE_COMMENT;
}

/** SecPkgContext_PackageInfo. */
export class SecPkgContext_PackageInfo {
  /** The package info. */
  PackageInfo: SecPkgInfo | null = null;
}

function protocolBit(ctx: SchannelContext): number {
  const v = ctx.info?.version;
  if (v === 'TLSv1.3') return ctx.side === 'client' ? C.SP_PROT_TLS1_3_CLIENT : C.SP_PROT_TLS1_3_SERVER;
  return ctx.side === 'client' ? C.SP_PROT_TLS1_2_CLIENT : C.SP_PROT_TLS1_2_SERVER;
}

function cipherOf(ctx: SchannelContext): { alg: number; name: string; bits: number; block: number; hash: number; hashName: string } {
  const s = suiteById(ctx.info?.cipherSuite ?? 0);
  const bits = (s?.keyLen ?? 0) * 8;
  const aes = s?.aead.startsWith('aes') ?? false;
  return {
    alg: aes ? (bits === 128 ? C.CALG_AES_128 : C.CALG_AES_256) : 0,
    name: aes ? 'AES' : 'CHACHA20_POLY1305',
    bits,
    block: aes ? 16 : 1,
    hash: s?.hash === 'sha384' ? C.CALG_SHA_384 : C.CALG_SHA_256,
    hashName: s?.hash === 'sha384' ? 'SHA384' : 'SHA256',
  };
}

function exchangeBits(group: number | undefined): number {
  switch (group) {
    case NamedGroup.secp384r1:
      return 384;
    case NamedGroup.secp521r1:
      return 521;
    case NamedGroup.x448:
      return 448;
    default:
      return group === undefined ? 0 : 256;
  }
}

/** The server's leaf certificate of this connection (client: what the peer sent; server: the chain we used). */
function serverLeaf(ctx: SchannelContext): Uint8Array | undefined {
  if (ctx.side === 'client') return ctx.peerChain[0];
  return ctx.engine.localCertificates[0] ?? ctx.cred.certificates[0]?.pbCertEncoded;
}

function serverCertKey(ctx: SchannelContext): { name: string; alg: number } {
  const leaf = serverLeaf(ctx);
  const alg = leaf !== undefined ? CertContext.fromDer([leaf]).pCertInfo?.publicKeyAlgorithm : undefined;
  if (alg === 'rsa' || alg === 'rsa-pss') return { name: 'RSA', alg: C.CALG_RSA_SIGN };
  if (alg === 'ed25519' || alg === 'ed448') return { name: 'EDDSA', alg: 0 };
  return { name: 'ECDSA', alg: C.CALG_ECDSA };
}

/**
 * RFC 5929 §4.1 tls-server-end-point hash, by the idiomatic API's rule (endPointHashOf, src/wire/registry.ts):
 * the signature's hash, SHA-256 for MD5/SHA-1, SHA-512 for Ed25519; undefined (no binding: Ed448, unknown) otherwise.
 */
export function endPointHash(leaf: Uint8Array): 'sha256' | 'sha384' | 'sha512' | undefined {
  const info = CertContext.fromDer([leaf]).pCertInfo;
  const h = endPointHashOf(info?.signatureAlgorithmOid ?? '', info?.signatureAlgorithm);
  return h === 'sha256' || h === 'sha384' || h === 'sha512' ? h : undefined;
}

const HASH_ENUM: Readonly<Record<string, number>> = { sha1: 2, sha256: 4, sha384: 5, sha512: 6 };

function supportedSignatureWords(): number[] {
  const words: number[] = [];
  for (const [name, v] of Object.entries(SignatureScheme)) {
    if (name.startsWith('rsa_pss') || name.startsWith('ed')) continue;
    const hash = HASH_ENUM[name.slice(name.lastIndexOf('_') + 1)];
    const sig = name.startsWith('rsa_') ? C.TlsSignatureAlgorithm_Rsa : name.startsWith('ecdsa') ? C.TlsSignatureAlgorithm_Ecdsa : undefined;
    if (hash === undefined || sig === undefined || name.endsWith('sha1')) continue;
    void v;
    words.push((sig << 8) | hash);
  }
  return words;
}

function bindings(prefix: string, data: Uint8Array): Uint8Array {
  const p = new TextEncoder().encode(prefix);
  const out = new Uint8Array(32 + p.length + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(24, p.length + data.length, true); // cbApplicationDataLength
  dv.setUint32(28, 32, true); // dwApplicationDataOffset
  out.set(p, 32);
  out.set(data, 32 + p.length);
  return out;
}

function needEstablished(ctx: SchannelContext): boolean {
  return ctx.info !== undefined;
}

/** QueryContextAttributes (§5.8). Deleted/invalid context → SEC_E_INVALID_HANDLE; unknown attribute → SEC_E_UNSUPPORTED_FUNCTION. */
export function QueryContextAttributes(phContext: CtxtHandle | null, ulAttribute: number, pBuffer: object | null): SECURITY_STATUS {
  try {
    const dtls = lookupDtlsContext(phContext);
    if (dtls !== undefined) return pBuffer === null || typeof pBuffer !== 'object' ? C.SEC_E_INTERNAL_ERROR : dtlsQuery(dtls, ulAttribute >>> 0, pBuffer);
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    if (pBuffer === null || pBuffer === undefined || typeof pBuffer !== 'object') return C.SEC_E_INTERNAL_ERROR;
    return query(ctx, ulAttribute >>> 0, pBuffer);
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

function query(ctx: SchannelContext, attr: number, pBuffer: object): SECURITY_STATUS {
  const est = needEstablished(ctx);
  switch (attr) {
    case C.SECPKG_ATTR_STREAM_SIZES: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const s = ctx.engine.streamSizes();
      Object.assign(pBuffer, { cbHeader: s.header, cbTrailer: s.trailer, cbMaximumMessage: s.maximumMessage, cBuffers: s.buffers, cbBlockSize: cipherOf(ctx).block });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_SIZES:
      Object.assign(pBuffer, { cbMaxToken: 16384, cbMaxSignature: 0, cbBlockSize: 0, cbSecurityTrailer: 0 });
      return C.SEC_E_OK;
    case C.SECPKG_ATTR_FLAGS:
      Object.assign(pBuffer, { Flags: ctx.attrs });
      return C.SEC_E_OK;
    case C.SECPKG_ATTR_PACKAGE_INFO:
      Object.assign(pBuffer, { PackageInfo: allocations.mark(new SecPkgInfo()) });
      return C.SEC_E_OK;
    case C.SECPKG_ATTR_CONNECTION_INFO: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const c = cipherOf(ctx);
      Object.assign(pBuffer, { dwProtocol: protocolBit(ctx), aiCipher: c.alg, dwCipherStrength: c.bits, aiHash: c.hash, dwHashStrength: 0, aiExch: C.CALG_ECDH_EPHEM, dwExchStrength: exchangeBits(ctx.info?.group) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_CONNECTION_INFO_EX: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const c = cipherOf(ctx);
      Object.assign(pBuffer, { dwVersion: 1, dwProtocol: protocolBit(ctx), szCipher: c.name, dwCipherStrength: c.bits, szHash: '', dwHashStrength: 0, szExchange: ctx.info?.groupName ?? 'ECDH', dwExchStrength: exchangeBits(ctx.info?.group) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_CIPHER_INFO: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const c = cipherOf(ctx);
      const info = ctx.info;
      Object.assign(pBuffer, {
        dwVersion: C.SECPKGCONTEXT_CIPHERINFO_V1,
        dwProtocol: info?.version === 'TLSv1.3' ? 0x0304 : 0x0303,
        dwCipherSuite: info?.cipherSuite ?? 0,
        dwBaseCipherSuite: info?.cipherSuite ?? 0,
        szCipherSuite: info?.cipherName ?? '',
        szCipher: c.name,
        dwCipherLen: c.bits,
        dwCipherBlockLen: c.block,
        szHash: '',
        dwHashLen: 0,
        szExchange: 'ECDH',
        dwMinExchangeLen: 0,
        dwMaxExchangeLen: 65536,
        szCertificate: serverCertKey(ctx).name,
        dwKeyType: info?.group ?? 0,
      });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_KEY_INFO: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const c = cipherOf(ctx);
      const k = serverCertKey(ctx);
      Object.assign(pBuffer, { sSignatureAlgorithmName: k.name, sEncryptAlgorithmName: c.name, KeySize: c.bits, SignatureAlgorithm: k.alg, EncryptAlgorithm: c.alg });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_SESSION_INFO:
      if (!est) return C.SEC_E_INVALID_HANDLE;
      Object.assign(pBuffer, { dwFlags: ctx.info?.resumed === true ? C.SSL_SESSION_RECONNECT : 0, cbSessionId: 0, rgbSessionId: new Uint8Array(32) });
      return C.SEC_E_OK;
    case C.SECPKG_ATTR_APPLICATION_PROTOCOL: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const p = ctx.info?.alpn ?? null;
      const id = p === null ? new Uint8Array(0) : p.slice();
      Object.assign(pBuffer, {
        ProtoNegoStatus: p === null ? C.SecApplicationProtocolNegotiationStatus_None : C.SecApplicationProtocolNegotiationStatus_Success,
        ProtoNegoExt: p === null ? C.SecApplicationProtocolNegotiationExt_None : C.SecApplicationProtocolNegotiationExt_ALPN,
        ProtocolIdSize: id.length,
        ProtocolId: id,
      });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_REMOTE_CERT_CONTEXT:
    case C.SECPKG_ATTR_REMOTE_CERT_CHAIN: {
      if (attr === C.SECPKG_ATTR_REMOTE_CERT_CONTEXT && !est) return C.SEC_E_INVALID_HANDLE;
      const chain = ctx.peerChain;
      if (chain.length === 0) return C.SEC_E_NO_CREDENTIALS;
      (pBuffer as Ref<CertContext | null>).value = CertContext.fromDer(chain);
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_REMOTE_CERTIFICATES: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const chain = ctx.peerChain;
      if (chain.length === 0) return C.SEC_E_INTERNAL_ERROR;
      const total = chain.reduce((n, c) => n + 4 + c.length, 0);
      const buf = new Uint8Array(total);
      const dv = new DataView(buf.buffer);
      let o = 0;
      for (const c of chain) {
        dv.setUint32(o, c.length, true);
        buf.set(c, o + 4);
        o += 4 + c.length;
      }
      Object.assign(pBuffer, { cCertificates: chain.length, cbCertificateChain: total, pbCertificateChain: allocations.mark(buf) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_LOCAL_CERT_CONTEXT: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      let chain: readonly Uint8Array[] = [];
      const local = (ctx.engine as { localCertificates?: readonly Uint8Array[] }).localCertificates;
      if (local !== undefined && local.length > 0) chain = local;
      const mine = ctx.cred.certificates.find((c) => chain[0] !== undefined && c.pbCertEncoded.length === chain[0].length && c.pbCertEncoded.every((b, i) => b === chain[0]?.[i]));
      const pick = mine ?? (chain.length > 0 ? CertContext.fromDer(chain) : ctx.side === 'server' ? ctx.cred.certificates[0] : undefined);
      if (pick === undefined) return C.SEC_E_NO_CREDENTIALS;
      (pBuffer as Ref<CertContext | null>).value = pick;
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_CERT_CHECK_RESULT:
    case C.SECPKG_ATTR_CERT_CHECK_RESULT_INPROC:
      if (!est) return C.SEC_E_INVALID_HANDLE;
      Object.assign(pBuffer, validationResult(ctx));
      return C.SEC_E_OK;
    case C.SECPKG_ATTR_ISSUER_LIST_EX: {
      const issuers = ctx.role.side === 'client' ? ctx.role.issuers : [];
      Object.assign(pBuffer, { aIssuers: allocations.mark(issuers.map((i) => i.slice())), cIssuers: issuers.length });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_KEYING_MATERIAL: {
      if (!est || ctx.keyingInfo === undefined) return C.SEC_E_INVALID_HANDLE;
      const k = ctx.keyingInfo;
      const out = ctx.engine.exportKeyingMaterial(k.label, k.context, k.length);
      Object.assign(pBuffer, { cbKeyingMaterial: out.length, pbKeyingMaterial: allocations.mark(out) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_NEGOTIATED_TLS_EXTENSIONS: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const ext: number[] = [];
      if (ctx.info?.alpn) ext.push(16);
      if (ctx.info?.version === 'TLSv1.2') ext.push(23, 0xff01);
      Object.assign(pBuffer, { ExtensionsCount: ext.length, Extensions: allocations.mark(ext) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_SUPPORTED_SIGNATURES: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const words = supportedSignatureWords();
      Object.assign(pBuffer, { cSignatureAndHashAlgorithms: words.length, pSignatureAndHashAlgorithms: allocations.mark(words) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_ENDPOINT_BINDINGS: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      const leaf = serverLeaf(ctx);
      if (leaf === undefined) return C.SEC_E_NO_CREDENTIALS;
      const hash = endPointHash(leaf);
      // RFC 5929 leaves the binding undefined for this signature algorithm (see endPointHash).
      if (hash === undefined) return C.SEC_E_UNSUPPORTED_FUNCTION;
      const b = bindings('tls-server-end-point:', getDefaultProvider().hash(hash, leaf));
      Object.assign(pBuffer, { BindingsLength: b.length, Bindings: allocations.mark(b) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_UNIQUE_BINDINGS: {
      if (!est) return C.SEC_E_INVALID_HANDLE;
      // RFC 9266: tls-unique is not defined for TLS 1.3 → SEC_E_UNSUPPORTED_FUNCTION (sspi-decisions.md).
      const unique = ctx.engine.tlsUnique;
      if (unique === undefined) return C.SEC_E_UNSUPPORTED_FUNCTION;
      const b = bindings('tls-unique:', unique);
      Object.assign(pBuffer, { BindingsLength: b.length, Bindings: allocations.mark(b) });
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_LIFESPAN: {
      const leaf = ctx.peerChain[0];
      const info = leaf !== undefined ? CertContext.fromDer([leaf]).pCertInfo : undefined;
      const target = pBuffer as Partial<SecPkgContext_Lifespan>;
      const start = new TimeStamp();
      const end = new TimeStamp();
      start.QuadPart = info !== undefined ? fileTimeFromMs(info.notBefore) : 0n;
      end.QuadPart = info !== undefined ? fileTimeFromMs(info.notAfter) : TIMESTAMP_MAX;
      target.tsStart = start;
      target.tsExpiry = end;
      return C.SEC_E_OK;
    }
    case C.SECPKG_ATTR_ACCESS_TOKEN:
      if (ctx.token === undefined) return C.SEC_E_NO_IMPERSONATION;
      (pBuffer as Ref<AccessToken | null>).value = ctx.token;
      return C.SEC_E_OK;
    default:
      return C.SEC_E_UNSUPPORTED_FUNCTION;
  }
}

/** SetContextAttributes (§5.9): SECPKG_ATTR_KEYING_MATERIAL_INFO is supported; others SEC_E_UNSUPPORTED_FUNCTION. */
export function SetContextAttributes(phContext: CtxtHandle | null, ulAttribute: number, pBuffer: object | null, cbBuffer: number): SECURITY_STATUS {
  void cbBuffer;
  try {
    const dtls = lookupDtlsContext(phContext);
    if (dtls !== undefined) return dtlsSet(dtls, ulAttribute >>> 0, pBuffer);
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    if (ulAttribute !== C.SECPKG_ATTR_KEYING_MATERIAL_INFO) return C.SEC_E_UNSUPPORTED_FUNCTION;
    if (!(pBuffer instanceof SecPkgContext_KeyingMaterialInfo)) return C.SEC_E_INVALID_PARAMETER;
    const k = pBuffer;
    const label = k.pszLabel.endsWith('\0') ? k.pszLabel.slice(0, -1) : k.pszLabel;
    if (k.cbLabel < 1 || label.length !== k.cbLabel - 1 || k.cbKeyingMaterial <= 0) return C.SEC_E_INVALID_PARAMETER;
    if ((k.cbContextValue === 0) !== (k.pbContextValue === null)) return C.SEC_E_INVALID_PARAMETER;
    if (k.pbContextValue !== null && k.pbContextValue.length < k.cbContextValue) return C.SEC_E_INVALID_PARAMETER;
    ctx.keyingInfo = {
      label,
      context: k.pbContextValue === null ? null : k.pbContextValue.slice(0, k.cbContextValue),
      length: k.cbKeyingMaterial,
    };
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * QuerySecurityContextToken: the access token of the account the client certificate was mapped to (server
 * contexts). Nothing mapped → SEC_E_NO_IMPERSONATION.
 */
export function QuerySecurityContextToken(phContext: CtxtHandle | null, phToken: Ref<AccessToken | null> | null): SECURITY_STATUS {
  try {
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    if (ctx.phase.kind === 'Handshaking' || ctx.token === undefined) return C.SEC_E_NO_IMPERSONATION;
    if (phToken === null || phToken === undefined) return C.SEC_E_INTERNAL_ERROR;
    phToken.value = ctx.token;
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * ImpersonateSecurityContext: the mapped identity becomes current (GetImpersonationToken) for the rest of this
 * synchronous run and for async work started from it, until RevertSecurityContext.
 */
export function ImpersonateSecurityContext(phContext: CtxtHandle | null): SECURITY_STATUS {
  try {
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    if (ctx.phase.kind === 'Handshaking' || ctx.token === undefined) return C.SEC_E_NO_IMPERSONATION;
    enterImpersonation(ctx.token);
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/** RevertSecurityContext: ends impersonation for the current execution. */
export function RevertSecurityContext(phContext: CtxtHandle | null): SECURITY_STATUS {
  try {
    if (lookupContext(phContext) === undefined) return C.SEC_E_INVALID_HANDLE;
    enterImpersonation(undefined);
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}
