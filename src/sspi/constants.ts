/**
 * SSPI / Schannel constants with their Windows values (shared/spec/SSPI.md §1–§3, from sspi.h, schannel.h,
 * winerror.h and wincrypt.h). Names are exactly the C names so ported code reads the same. Status codes are kept
 * as unsigned 32-bit literals; test success with {@link SEC_SUCCESS} (`(status | 0) >= 0`).
 */

/** A SECURITY_STATUS (an HRESULT), as its unsigned 32-bit value. */
export type SECURITY_STATUS = number;

/** True when `status` is a success or informational code (HRESULT severity bit clear). */
export function SEC_SUCCESS(status: SECURITY_STATUS): boolean {
  return (status | 0) >= 0;
}

// ---- §1.4 package names -------------------------------------------------------------------------------------
/** The Schannel package name applications pass to AcquireCredentialsHandle. */
export const UNISP_NAME = 'Microsoft Unified Security Protocol Provider';
/** The short Schannel package name. */
export const SCHANNEL_NAME = 'Schannel';
/** The "Default TLS SSP" package name (also routed to this package). */
export const DEFAULT_TLS_SSP_NAME = 'Default TLS SSP';
/** RPC id of the Unified SP. */
export const UNISP_RPC_ID = 14;

// ---- §1.3 buffers ------------------------------------------------------------------------------------------
/** SecBufferDesc.ulVersion. */
export const SECBUFFER_VERSION = 0;
/** Placeholder buffer. */
export const SECBUFFER_EMPTY = 0;
/** Plaintext / ciphertext data. */
export const SECBUFFER_DATA = 1;
/** Handshake token. */
export const SECBUFFER_TOKEN = 2;
/** Package parameters. */
export const SECBUFFER_PKG_PARAMS = 3;
/** Output: bytes still needed. */
export const SECBUFFER_MISSING = 4;
/** Output: unprocessed trailing input. */
export const SECBUFFER_EXTRA = 5;
/** Record trailer. */
export const SECBUFFER_STREAM_TRAILER = 6;
/** Record header. */
export const SECBUFFER_STREAM_HEADER = 7;
/** Not used by Schannel. */
export const SECBUFFER_NEGOTIATION_INFO = 8;
/** Not used by Schannel. */
export const SECBUFFER_PADDING = 9;
/** Not used by Schannel stream mode. */
export const SECBUFFER_STREAM = 10;
/** Negotiate mech list. */
export const SECBUFFER_MECHLIST = 11;
/** Negotiate mech list signature. */
export const SECBUFFER_MECHLIST_SIGNATURE = 12;
/** Reserved. */
export const SECBUFFER_TARGET = 13;
/** Channel bindings (not Schannel). */
export const SECBUFFER_CHANNEL_BINDINGS = 14;
/** Not Schannel. */
export const SECBUFFER_CHANGE_PASS_RESPONSE = 15;
/** Digest. */
export const SECBUFFER_TARGET_HOST = 16;
/** ISC/ASC output: a TLS alert record to send when the call fails. */
export const SECBUFFER_ALERT = 17;
/** ISC/ASC input: the ALPN list (SEC_APPLICATION_PROTOCOLS). */
export const SECBUFFER_APPLICATION_PROTOCOLS = 18;
/** DTLS-SRTP profiles. */
export const SECBUFFER_SRTP_PROTECTION_PROFILES = 19;
/** DTLS-SRTP MKI. */
export const SECBUFFER_SRTP_MASTER_KEY_IDENTIFIER = 20;
/** Token binding parameters. */
export const SECBUFFER_TOKEN_BINDING = 21;
/** PSK. */
export const SECBUFFER_PRESHARED_KEY = 22;
/** PSK identity. */
export const SECBUFFER_PRESHARED_KEY_IDENTITY = 23;
/** DTLS path MTU. */
export const SECBUFFER_DTLS_MTU = 24;
/** Extra TLS extension to send. */
export const SECBUFFER_SEND_GENERIC_TLS_EXTENSION = 25;
/** Subscribe to an extension. */
export const SECBUFFER_SUBSCRIBE_GENERIC_TLS_EXTENSION = 26;
/** 64-bit request flags (SEC_FLAGS). */
export const SECBUFFER_FLAGS = 27;
/** Traffic secrets (messages mode). */
export const SECBUFFER_TRAFFIC_SECRETS = 28;
/** TLS 1.3 certificate_request_context. */
export const SECBUFFER_CERTIFICATE_REQUEST_CONTEXT = 29;
/** Channel bindings result (auditing). */
export const SECBUFFER_CHANNEL_BINDINGS_RESULT = 30;
/** TLS 1.3 server app session state. */
export const SECBUFFER_APP_SESSION_STATE = 31;
/** TLS 1.3 client session ticket. */
export const SECBUFFER_SESSION_TICKET = 32;
/** Mask of the attribute bits OR-ed into BufferType. */
export const SECBUFFER_ATTRMASK = 0xf0000000;
/** Read-only buffer. */
export const SECBUFFER_READONLY = 0x80000000;
/** Read-only, covered by checksum. */
export const SECBUFFER_READONLY_WITH_CHECKSUM = 0x10000000;
/** Reserved for the security system. */
export const SECBUFFER_RESERVED = 0x60000000;

// ---- §2.1 credential use ----------------------------------------------------------------------------------
/** Server credential. */
export const SECPKG_CRED_INBOUND = 0x00000001;
/** Client credential. */
export const SECPKG_CRED_OUTBOUND = 0x00000002;
/** Both directions. */
export const SECPKG_CRED_BOTH = 0x00000003;
/** Not used by Schannel. */
export const SECPKG_CRED_DEFAULT = 0x00000004;
/** Reserved. */
export const SECPKG_CRED_RESERVED = 0xf0000000;
/** Not Schannel. */
export const SECPKG_CRED_AUTOLOGON_RESTRICTED = 0x00000010;
/** Not Schannel. */
export const SECPKG_CRED_PROCESS_POLICY_ONLY = 0x00000020;

// ---- §2.2 ISC_REQ_* --------------------------------------------------------------------------------------
/** Rejected by Schannel (SEC_E_UNSUPPORTED_FUNCTION). */
export const ISC_REQ_DELEGATE = 0x00000001;
/** Mutual authentication (server auth always happens). */
export const ISC_REQ_MUTUAL_AUTH = 0x00000002;
/** Replay detection (always granted). */
export const ISC_REQ_REPLAY_DETECT = 0x00000004;
/** Sequence detection (always granted). */
export const ISC_REQ_SEQUENCE_DETECT = 0x00000008;
/** Confidentiality (always granted). */
export const ISC_REQ_CONFIDENTIALITY = 0x00000010;
/** Ignored. */
export const ISC_REQ_USE_SESSION_KEY = 0x00000020;
/** Rejected by Schannel (SEC_E_UNSUPPORTED_FUNCTION). */
export const ISC_REQ_PROMPT_FOR_CREDS = 0x00000040;
/** Do not auto-select a client certificate; continue without one. */
export const ISC_REQ_USE_SUPPLIED_CREDS = 0x00000080;
/** The package allocates output buffers (free with FreeContextBuffer). */
export const ISC_REQ_ALLOCATE_MEMORY = 0x00000100;
/** Ignored. */
export const ISC_REQ_USE_DCE_STYLE = 0x00000200;
/** DTLS: datagram mode (DTLS 1.2 credentials, src/sspi/dtls.ts). */
export const ISC_REQ_DATAGRAM = 0x00000400;
/** Accepted; no effect. */
export const ISC_REQ_CONNECTION = 0x00000800;
/** Ignored. */
export const ISC_REQ_CALL_LEVEL = 0x00001000;
/** Ignored. */
export const ISC_REQ_FRAGMENT_SUPPLIED = 0x00002000;
/** Produce an alert for the peer on failure. */
export const ISC_REQ_EXTENDED_ERROR = 0x00004000;
/** Stream (TLS) semantics. */
export const ISC_REQ_STREAM = 0x00008000;
/** Accepted. */
export const ISC_REQ_INTEGRITY = 0x00010000;
/** Ignored. */
export const ISC_REQ_IDENTIFY = 0x00020000;
/** Ignored. */
export const ISC_REQ_NULL_SESSION = 0x00040000;
/** Do not validate the server certificate. */
export const ISC_REQ_MANUAL_CRED_VALIDATION = 0x00080000;
/** Ignored. */
export const ISC_REQ_RESERVED1 = 0x00100000;
/** Ignored. */
export const ISC_REQ_FRAGMENT_TO_FIT = 0x00200000;
/** Ignored. */
export const ISC_REQ_FORWARD_CREDENTIALS = 0x00400000;
/** Ignored. */
export const ISC_REQ_NO_INTEGRITY = 0x00800000;
/** Ignored. */
export const ISC_REQ_USE_HTTP_STYLE = 0x01000000;
/** Ignored. */
export const ISC_REQ_UNVERIFIED_TARGET_NAME = 0x20000000;
/** Ignored. */
export const ISC_REQ_CONFIDENTIALITY_ONLY = 0x40000000;
/** 64-bit (SECBUFFER_FLAGS): messages mode. */
export const ISC_REQ_MESSAGES = 0x0000000100000000n;
/** 64-bit (SECBUFFER_FLAGS): deferred validation. */
export const ISC_REQ_DEFERRED_CRED_VALIDATION = 0x0000000200000000n;
/** 64-bit (SECBUFFER_FLAGS): no post_handshake_auth in a TLS 1.3 ClientHello. */
export const ISC_REQ_NO_POST_HANDSHAKE_AUTH = 0x0000000400000000n;
/** 64-bit (SECBUFFER_FLAGS): reuse TLS 1.3 tickets. */
export const ISC_REQ_REUSE_SESSION_TICKETS = 0x0000000800000000n;
/** 64-bit (SECBUFFER_FLAGS): explicit session. */
export const ISC_REQ_EXPLICIT_SESSION = 0x0000001000000000n;

// ---- §2.3 ISC_RET_* --------------------------------------------------------------------------------------
/** See ISC_REQ_DELEGATE. */
export const ISC_RET_DELEGATE = 0x00000001;
/** Mutual auth. */
export const ISC_RET_MUTUAL_AUTH = 0x00000002;
/** Replay detection. */
export const ISC_RET_REPLAY_DETECT = 0x00000004;
/** Sequence detection. */
export const ISC_RET_SEQUENCE_DETECT = 0x00000008;
/** Confidentiality. */
export const ISC_RET_CONFIDENTIALITY = 0x00000010;
/** Session key. */
export const ISC_RET_USE_SESSION_KEY = 0x00000020;
/** Used collected credentials. */
export const ISC_RET_USED_COLLECTED_CREDS = 0x00000040;
/** Used supplied credentials. */
export const ISC_RET_USED_SUPPLIED_CREDS = 0x00000080;
/** Output buffers were allocated by the package. */
export const ISC_RET_ALLOCATED_MEMORY = 0x00000100;
/** DCE style. */
export const ISC_RET_USED_DCE_STYLE = 0x00000200;
/** Datagram. */
export const ISC_RET_DATAGRAM = 0x00000400;
/** Connection. */
export const ISC_RET_CONNECTION = 0x00000800;
/** Intermediate return. */
export const ISC_RET_INTERMEDIATE_RETURN = 0x00001000;
/** Call level. */
export const ISC_RET_CALL_LEVEL = 0x00002000;
/** Extended error. */
export const ISC_RET_EXTENDED_ERROR = 0x00004000;
/** Stream. */
export const ISC_RET_STREAM = 0x00008000;
/** Integrity. */
export const ISC_RET_INTEGRITY = 0x00010000;
/** Identify. */
export const ISC_RET_IDENTIFY = 0x00020000;
/** Null session. */
export const ISC_RET_NULL_SESSION = 0x00040000;
/** Manual credential validation. */
export const ISC_RET_MANUAL_CRED_VALIDATION = 0x00080000;
/** Reserved. */
export const ISC_RET_RESERVED1 = 0x00100000;
/** Fragment only. */
export const ISC_RET_FRAGMENT_ONLY = 0x00200000;
/** Forward credentials. */
export const ISC_RET_FORWARD_CREDENTIALS = 0x00400000;
/** HTTP style. */
export const ISC_RET_USED_HTTP_STYLE = 0x01000000;
/** Internal. */
export const ISC_RET_NO_ADDITIONAL_TOKEN = 0x02000000;
/** Internal. */
export const ISC_RET_REAUTHENTICATION = 0x08000000;
/** Confidentiality only. */
export const ISC_RET_CONFIDENTIALITY_ONLY = 0x40000000;

// ---- §2.4 ASC_REQ_* (several bits differ from ISC!) ---------------------------------------------------------
/** Rejected by Schannel (SEC_E_UNSUPPORTED_FUNCTION). */
export const ASC_REQ_DELEGATE = 0x00000001;
/** Request and require a client certificate. */
export const ASC_REQ_MUTUAL_AUTH = 0x00000002;
/** Replay detection. */
export const ASC_REQ_REPLAY_DETECT = 0x00000004;
/** Sequence detection. */
export const ASC_REQ_SEQUENCE_DETECT = 0x00000008;
/** Confidentiality. */
export const ASC_REQ_CONFIDENTIALITY = 0x00000010;
/** Ignored. */
export const ASC_REQ_USE_SESSION_KEY = 0x00000020;
/**
 * 0x40. The ASC documentation's "ASC_REQ_PROMPT_FOR_CREDS" (rejected with SEC_E_UNSUPPORTED_FUNCTION) has no
 * constant; this port treats this bit, its ISC counterpart's value, as that request (sspi-decisions.md).
 */
export const ASC_REQ_SESSION_TICKET = 0x00000040;
/** Alias for the documented-but-undefined prompt-for-credentials request: the same bit as ISC_REQ_PROMPT_FOR_CREDS. */
export const ASC_REQ_PROMPT_FOR_CREDS = 0x00000040;
/** The package allocates output buffers. */
export const ASC_REQ_ALLOCATE_MEMORY = 0x00000100;
/** Ignored. */
export const ASC_REQ_USE_DCE_STYLE = 0x00000200;
/** DTLS: datagram mode (DTLS 1.2 credentials, src/sspi/dtls.ts). */
export const ASC_REQ_DATAGRAM = 0x00000400;
/** Accepted. */
export const ASC_REQ_CONNECTION = 0x00000800;
/** Ignored. */
export const ASC_REQ_CALL_LEVEL = 0x00001000;
/** Ignored. */
export const ASC_REQ_FRAGMENT_SUPPLIED = 0x00002000;
/** Alerts go to the client in the output. */
export const ASC_REQ_EXTENDED_ERROR = 0x00008000;
/** Stream semantics. */
export const ASC_REQ_STREAM = 0x00010000;
/** Accepted. */
export const ASC_REQ_INTEGRITY = 0x00020000;
/** Ignored. */
export const ASC_REQ_LICENSING = 0x00040000;
/** Ignored. */
export const ASC_REQ_IDENTIFY = 0x00080000;
/** Ignored. */
export const ASC_REQ_ALLOW_NULL_SESSION = 0x00100000;
/** Ignored. */
export const ASC_REQ_ALLOW_NON_USER_LOGONS = 0x00200000;
/** Ignored. */
export const ASC_REQ_ALLOW_CONTEXT_REPLAY = 0x00400000;
/** Ignored. */
export const ASC_REQ_FRAGMENT_TO_FIT = 0x00800000;
/** Ignored. */
export const ASC_REQ_NO_TOKEN = 0x01000000;
/** Ignored. */
export const ASC_REQ_PROXY_BINDINGS = 0x04000000;
/** Ignored. */
export const ASC_REQ_ALLOW_MISSING_BINDINGS = 0x10000000;

// ---- §2.5 ASC_RET_* --------------------------------------------------------------------------------------
/** Delegate. */
export const ASC_RET_DELEGATE = 0x00000001;
/** A client certificate was received and mapped. */
export const ASC_RET_MUTUAL_AUTH = 0x00000002;
/** Replay detection. */
export const ASC_RET_REPLAY_DETECT = 0x00000004;
/** Sequence detection. */
export const ASC_RET_SEQUENCE_DETECT = 0x00000008;
/** Confidentiality. */
export const ASC_RET_CONFIDENTIALITY = 0x00000010;
/** Session key. */
export const ASC_RET_USE_SESSION_KEY = 0x00000020;
/** Session ticket. */
export const ASC_RET_SESSION_TICKET = 0x00000040;
/** Output buffers were allocated by the package. */
export const ASC_RET_ALLOCATED_MEMORY = 0x00000100;
/** DCE style. */
export const ASC_RET_USED_DCE_STYLE = 0x00000200;
/** Datagram. */
export const ASC_RET_DATAGRAM = 0x00000400;
/** Connection. */
export const ASC_RET_CONNECTION = 0x00000800;
/** Call level. */
export const ASC_RET_CALL_LEVEL = 0x00002000;
/** Third leg failed. */
export const ASC_RET_THIRD_LEG_FAILED = 0x00004000;
/** Extended error. */
export const ASC_RET_EXTENDED_ERROR = 0x00008000;
/** Stream. */
export const ASC_RET_STREAM = 0x00010000;
/** Integrity. */
export const ASC_RET_INTEGRITY = 0x00020000;
/** Licensing. */
export const ASC_RET_LICENSING = 0x00040000;
/** Identify. */
export const ASC_RET_IDENTIFY = 0x00080000;
/** Null session. */
export const ASC_RET_NULL_SESSION = 0x00100000;
/** Non-user logons. */
export const ASC_RET_ALLOW_NON_USER_LOGONS = 0x00200000;
/** Deprecated. */
export const ASC_RET_ALLOW_CONTEXT_REPLAY = 0x00400000;
/** Fragment only. */
export const ASC_RET_FRAGMENT_ONLY = 0x00800000;
/** No token. */
export const ASC_RET_NO_TOKEN = 0x01000000;
/** Internal. */
export const ASC_RET_NO_ADDITIONAL_TOKEN = 0x02000000;

// ---- §2.6 SP_PROT_* -------------------------------------------------------------------------------------
/** PCT 1 server. */
export const SP_PROT_PCT1_SERVER = 0x00000001;
/** PCT 1 client. */
export const SP_PROT_PCT1_CLIENT = 0x00000002;
/** SSL 2 server. */
export const SP_PROT_SSL2_SERVER = 0x00000004;
/** SSL 2 client. */
export const SP_PROT_SSL2_CLIENT = 0x00000008;
/** SSL 3 server. */
export const SP_PROT_SSL3_SERVER = 0x00000010;
/** SSL 3 client. */
export const SP_PROT_SSL3_CLIENT = 0x00000020;
/** TLS 1.0 server. */
export const SP_PROT_TLS1_SERVER = 0x00000040;
/** TLS 1.0 client. */
export const SP_PROT_TLS1_CLIENT = 0x00000080;
/** TLS 1.0 server. */
export const SP_PROT_TLS1_0_SERVER = 0x00000040;
/** TLS 1.0 client. */
export const SP_PROT_TLS1_0_CLIENT = 0x00000080;
/** TLS 1.1 server. */
export const SP_PROT_TLS1_1_SERVER = 0x00000100;
/** TLS 1.1 client. */
export const SP_PROT_TLS1_1_CLIENT = 0x00000200;
/** TLS 1.2 server. */
export const SP_PROT_TLS1_2_SERVER = 0x00000400;
/** TLS 1.2 client. */
export const SP_PROT_TLS1_2_CLIENT = 0x00000800;
/** TLS 1.3 server. */
export const SP_PROT_TLS1_3_SERVER = 0x00001000;
/** TLS 1.3 client. */
export const SP_PROT_TLS1_3_CLIENT = 0x00002000;
/** DTLS 1.0 server. */
export const SP_PROT_DTLS_SERVER = 0x00010000;
/** DTLS 1.0 client. */
export const SP_PROT_DTLS_CLIENT = 0x00020000;
/** DTLS 1.0 server. */
export const SP_PROT_DTLS1_0_SERVER = 0x00010000;
/** DTLS 1.0 client. */
export const SP_PROT_DTLS1_0_CLIENT = 0x00020000;
/** DTLS 1.2 server. */
export const SP_PROT_DTLS1_2_SERVER = 0x00040000;
/** DTLS 1.2 client. */
export const SP_PROT_DTLS1_2_CLIENT = 0x00080000;
/** Unified server. */
export const SP_PROT_UNI_SERVER = 0x40000000;
/** Unified client. */
export const SP_PROT_UNI_CLIENT = 0x80000000;
/** PCT 1. */
export const SP_PROT_PCT1 = 0x3;
/** SSL 2. */
export const SP_PROT_SSL2 = 0xc;
/** SSL 3. */
export const SP_PROT_SSL3 = 0x30;
/** TLS 1.0. */
export const SP_PROT_TLS1 = 0xc0;
/** TLS 1.0. */
export const SP_PROT_TLS1_0 = 0xc0;
/** TLS 1.1. */
export const SP_PROT_TLS1_1 = 0x300;
/** TLS 1.2. */
export const SP_PROT_TLS1_2 = 0xc00;
/** TLS 1.3. */
export const SP_PROT_TLS1_3 = 0x3000;
/** DTLS 1.0. */
export const SP_PROT_DTLS = 0x30000;
/** DTLS 1.0. */
export const SP_PROT_DTLS1_0 = 0x30000;
/** DTLS 1.2. */
export const SP_PROT_DTLS1_2 = 0xc0000;
/** Unified. */
export const SP_PROT_UNI = 0xc0000000;
/** SSL3 + TLS1 clients. */
export const SP_PROT_SSL3TLS1_CLIENTS = 0xa0;
/** SSL3 + TLS1 servers. */
export const SP_PROT_SSL3TLS1_SERVERS = 0x50;
/** SSL3 + TLS1. */
export const SP_PROT_SSL3TLS1 = 0xf0;
/** TLS 1.1+ servers. */
export const SP_PROT_TLS1_1PLUS_SERVER = 0x1500;
/** TLS 1.1+ clients. */
export const SP_PROT_TLS1_1PLUS_CLIENT = 0x2a00;
/** TLS 1.1+. */
export const SP_PROT_TLS1_1PLUS = 0x3f00;
/** TLS 1.3+ servers. */
export const SP_PROT_TLS1_3PLUS_SERVER = 0x1000;
/** TLS 1.3+ clients. */
export const SP_PROT_TLS1_3PLUS_CLIENT = 0x2000;
/** TLS 1.3+. */
export const SP_PROT_TLS1_3PLUS = 0x3000;
/** All TLS servers. */
export const SP_PROT_TLS1_X_SERVER = 0x1540;
/** All TLS clients. */
export const SP_PROT_TLS1_X_CLIENT = 0x2a80;
/** All TLS. */
export const SP_PROT_TLS1_X = 0x3fc0;
/** All DTLS servers. */
export const SP_PROT_DTLS1_X_SERVER = 0x50000;
/** All DTLS clients. */
export const SP_PROT_DTLS1_X_CLIENT = 0xa0000;
/** All DTLS. */
export const SP_PROT_DTLS1_X = 0xf0000;
/** SSL3 + TLS clients. */
export const SP_PROT_SSL3TLS1_X_CLIENTS = 0x2aa0;
/** SSL3 + TLS servers. */
export const SP_PROT_SSL3TLS1_X_SERVERS = 0x1550;
/** SSL3 + TLS. */
export const SP_PROT_SSL3TLS1_X = 0x3ff0;
/** Legacy clients. */
export const SP_PROT_CLIENTS = 0x800000aa;
/** Legacy servers. */
export const SP_PROT_SERVERS = 0x40000055;
/** All clients. */
export const SP_PROT_X_CLIENTS = 0x800a2aaa;
/** All servers. */
export const SP_PROT_X_SERVERS = 0x40051555;
/** Everything. */
export const SP_PROT_ALL = 0xffffffff;
/** Nothing (system default). */
export const SP_PROT_NONE = 0;

// ---- §2.7 credential flags ------------------------------------------------------------------------------
/** Server: no built-in client-certificate mapper. */
export const SCH_CRED_NO_SYSTEM_MAPPER = 0x00000002;
/** Client: skip the target-name check. */
export const SCH_CRED_NO_SERVERNAME_CHECK = 0x00000004;
/** Client: do not validate the server chain. */
export const SCH_CRED_MANUAL_CRED_VALIDATION = 0x00000008;
/** Client: never auto-select a client certificate. */
export const SCH_CRED_NO_DEFAULT_CREDS = 0x00000010;
/** Client: validate the server chain (default). */
export const SCH_CRED_AUTO_CRED_VALIDATION = 0x00000020;
/** Client: auto-select a client certificate (default). */
export const SCH_CRED_USE_DEFAULT_CREDS = 0x00000040;
/** Server: full handshakes are not resumable. */
export const SCH_CRED_DISABLE_RECONNECTS = 0x00000080;
/** Older spelling of SCH_CRED_DISABLE_RECONNECTS. */
export const SCH_DISABLE_RECONNECTS = 0x00000080;
/** Check the leaf for revocation. */
export const SCH_CRED_REVOCATION_CHECK_END_CERT = 0x00000100;
/** Check every chain certificate. */
export const SCH_CRED_REVOCATION_CHECK_CHAIN = 0x00000200;
/** Check the chain except the root. */
export const SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT = 0x00000400;
/** Ignore CRYPT_E_NO_REVOCATION_CHECK. */
export const SCH_CRED_IGNORE_NO_REVOCATION_CHECK = 0x00000800;
/** Ignore CRYPT_E_REVOCATION_OFFLINE. */
export const SCH_CRED_IGNORE_REVOCATION_OFFLINE = 0x00001000;
/** Undocumented. */
export const SCH_CRED_RESTRICTED_ROOTS = 0x00002000;
/** Revocation from cache only. */
export const SCH_CRED_REVOCATION_CHECK_CACHE_ONLY = 0x00004000;
/** URL retrieval from cache only. */
export const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL = 0x00008000;
/** Undocumented. */
export const SCH_CRED_MEMORY_STORE_CERT = 0x00010000;
/** Cache-only URL retrieval while validating the own certificate. */
export const SCH_CRED_CACHE_ONLY_URL_RETRIEVAL_ON_CREATE = 0x00020000;
/** Include the root in the Certificate message. */
export const SCH_SEND_ROOT_CERT = 0x00040000;
/** Undocumented. */
export const SCH_CRED_SNI_CREDENTIAL = 0x00080000;
/** Undocumented. */
export const SCH_CRED_SNI_ENABLE_OCSP = 0x00100000;
/** 1/n-1 record splitting (CBC only). */
export const SCH_SEND_AUX_RECORD = 0x00200000;
/** Disable weak algorithms, suites and versions. */
export const SCH_USE_STRONG_CRYPTO = 0x00400000;
/** Only PSK suites. */
export const SCH_USE_PRESHAREDKEY_ONLY = 0x00800000;
/** Only DTLS. */
export const SCH_USE_DTLS_ONLY = 0x01000000;
/** Allow NULL-cipher suites. */
export const SCH_ALLOW_NULL_ENCRYPTION = 0x02000000;
/** Client: validate but do not abort. */
export const SCH_CRED_DEFERRED_CRED_VALIDATION = 0x04000000;

/** Legacy versions. */
export const SCH_CRED_V1 = 1;
/** Legacy version 2. */
export const SCH_CRED_V2 = 2;
/** Legacy version 2. */
export const SCH_CRED_VERSION = 2;
/** Legacy version 3. */
export const SCH_CRED_V3 = 3;
/** SCHANNEL_CRED version. */
export const SCHANNEL_CRED_VERSION = 4;
/** SCH_CREDENTIALS version. */
export const SCH_CREDENTIALS_VERSION = 5;
/** paCred holds certificate contexts. */
export const SCH_CRED_FORMAT_CERT_CONTEXT = 0;
/** paCred holds SCHANNEL_CERT_HASH thumbprints, found in the "MY" system store (cert-store.ts). */
export const SCH_CRED_FORMAT_CERT_HASH = 1;
/** paCred holds SCHANNEL_CERT_HASH_STORE thumbprints, found in the named system store (cert-store.ts). */
export const SCH_CRED_FORMAT_CERT_HASH_STORE = 2;
/** Most ALG_IDs. */
export const SCH_CRED_MAX_SUPPORTED_ALGS = 256;
/** Most certificates. */
export const SCH_CRED_MAX_SUPPORTED_CERTS = 100;
/** Most TLS_PARAMETERS entries. */
export const SCH_CRED_MAX_SUPPORTED_PARAMETERS = 16;
/** Most ALPN ids per TLS_PARAMETERS. */
export const SCH_CRED_MAX_SUPPORTED_ALPN_IDS = 16;
/** Most CRYPTO_SETTINGS per TLS_PARAMETERS. */
export const SCH_CRED_MAX_SUPPORTED_CRYPTO_SETTINGS = 16;
/** Most chaining modes per CRYPTO_SETTINGS. */
export const SCH_CRED_MAX_SUPPORTED_CHAINING_MODES = 16;
/** TLS_PARAMETERS.dwFlags: optional restriction. */
export const TLS_PARAMS_OPTIONAL = 0x00000001;
/** CRYPTO_SETTINGS.strCngAlgId for RSA-PSS padding. */
export const SCHANNEL_RSA_PSS_PADDING_ALGORITHM = 'SCH_RSA_PSS_PAD';
/** CRYPTO_SETTINGS.strCngAlgId for RSA PKCS#1 padding. */
export const SCHANNEL_RSA_PKCS_PADDING_ALGORITHM = 'SCH_RSA_PKCS_PAD';

/** eTlsAlgorithmUsage values. */
export const TlsParametersCngAlgUsageKeyExchange = 0;
/** eTlsAlgorithmUsage: signature. */
export const TlsParametersCngAlgUsageSignature = 1;
/** eTlsAlgorithmUsage: cipher. */
export const TlsParametersCngAlgUsageCipher = 2;
/** eTlsAlgorithmUsage: digest. */
export const TlsParametersCngAlgUsageDigest = 3;
/** eTlsAlgorithmUsage: certificate signature. */
export const TlsParametersCngAlgUsageCertSig = 4;

// ---- §2.8 control tokens and alerts -------------------------------------------------------------------
/** Control token: renegotiate (unsupported). */
export const SCHANNEL_RENEGOTIATE = 0;
/** Control token: close_notify. */
export const SCHANNEL_SHUTDOWN = 1;
/** Control token: send an alert (SCHANNEL_ALERT_TOKEN). */
export const SCHANNEL_ALERT = 2;
/** Control token: session reconnect control. */
export const SCHANNEL_SESSION = 3;
/** Alert level warning. */
export const TLS1_ALERT_WARNING = 1;
/** Alert level fatal. */
export const TLS1_ALERT_FATAL = 2;
/** close_notify. */
export const TLS1_ALERT_CLOSE_NOTIFY = 0;
/** unexpected_message. */
export const TLS1_ALERT_UNEXPECTED_MESSAGE = 10;
/** bad_record_mac. */
export const TLS1_ALERT_BAD_RECORD_MAC = 20;
/** decryption_failed. */
export const TLS1_ALERT_DECRYPTION_FAILED = 21;
/** record_overflow. */
export const TLS1_ALERT_RECORD_OVERFLOW = 22;
/** decompression_failure. */
export const TLS1_ALERT_DECOMPRESSION_FAIL = 30;
/** handshake_failure. */
export const TLS1_ALERT_HANDSHAKE_FAILURE = 40;
/** bad_certificate. */
export const TLS1_ALERT_BAD_CERTIFICATE = 42;
/** unsupported_certificate. */
export const TLS1_ALERT_UNSUPPORTED_CERT = 43;
/** certificate_revoked. */
export const TLS1_ALERT_CERTIFICATE_REVOKED = 44;
/** certificate_expired. */
export const TLS1_ALERT_CERTIFICATE_EXPIRED = 45;
/** certificate_unknown. */
export const TLS1_ALERT_CERTIFICATE_UNKNOWN = 46;
/** illegal_parameter. */
export const TLS1_ALERT_ILLEGAL_PARAMETER = 47;
/** unknown_ca. */
export const TLS1_ALERT_UNKNOWN_CA = 48;
/** access_denied. */
export const TLS1_ALERT_ACCESS_DENIED = 49;
/** decode_error. */
export const TLS1_ALERT_DECODE_ERROR = 50;
/** decrypt_error. */
export const TLS1_ALERT_DECRYPT_ERROR = 51;
/** export_restriction. */
export const TLS1_ALERT_EXPORT_RESTRICTION = 60;
/** protocol_version. */
export const TLS1_ALERT_PROTOCOL_VERSION = 70;
/** insufficient_security (the header's spelling). */
export const TLS1_ALERT_INSUFFIENT_SECURITY = 71;
/** internal_error. */
export const TLS1_ALERT_INTERNAL_ERROR = 80;
/** user_canceled. */
export const TLS1_ALERT_USER_CANCELED = 90;
/** no_renegotiation. */
export const TLS1_ALERT_NO_RENEGOTIATION = 100;
/** unsupported_extension. */
export const TLS1_ALERT_UNSUPPORTED_EXT = 110;
/** unknown_psk_identity. */
export const TLS1_ALERT_UNKNOWN_PSK_IDENTITY = 115;
/** no_application_protocol. */
export const TLS1_ALERT_NO_APP_PROTOCOL = 120;
/** SCHANNEL_SESSION_TOKEN.dwFlags: enable reconnects. */
export const SSL_SESSION_ENABLE_RECONNECTS = 1;
/** SCHANNEL_SESSION_TOKEN.dwFlags: disable reconnects. */
export const SSL_SESSION_DISABLE_RECONNECTS = 2;
/** SecPkgContext_SessionInfo.dwFlags: the session was resumed. */
export const SSL_SESSION_RECONNECT = 1;

// ---- §2.9 context attributes ----------------------------------------------------------------------------
/** SecPkgContext_Sizes. */
export const SECPKG_ATTR_SIZES = 0;
/** Names. */
export const SECPKG_ATTR_NAMES = 1;
/** SecPkgContext_Lifespan. */
export const SECPKG_ATTR_LIFESPAN = 2;
/** DCE info. */
export const SECPKG_ATTR_DCE_INFO = 3;
/** SecPkgContext_StreamSizes. */
export const SECPKG_ATTR_STREAM_SIZES = 4;
/** Same id as STREAM_SIZES. */
export const SECPKG_ATTR_DATAGRAM_SIZES = 4;
/** SecPkgContext_KeyInfo. */
export const SECPKG_ATTR_KEY_INFO = 5;
/** Authority. */
export const SECPKG_ATTR_AUTHORITY = 6;
/** Proto info. */
export const SECPKG_ATTR_PROTO_INFO = 7;
/** Password expiry. */
export const SECPKG_ATTR_PASSWORD_EXPIRY = 8;
/** Session key. */
export const SECPKG_ATTR_SESSION_KEY = 9;
/** SecPkgContext_PackageInfo. */
export const SECPKG_ATTR_PACKAGE_INFO = 10;
/** User flags. */
export const SECPKG_ATTR_USER_FLAGS = 11;
/** Negotiation info (not Schannel). */
export const SECPKG_ATTR_NEGOTIATION_INFO = 12;
/** Native names. */
export const SECPKG_ATTR_NATIVE_NAMES = 13;
/** SecPkgContext_Flags. */
export const SECPKG_ATTR_FLAGS = 14;
/** Use validated. */
export const SECPKG_ATTR_USE_VALIDATED = 15;
/** Credential name. */
export const SECPKG_ATTR_CREDENTIAL_NAME = 16;
/** Target information. */
export const SECPKG_ATTR_TARGET_INFORMATION = 17;
/** Access token. */
export const SECPKG_ATTR_ACCESS_TOKEN = 18;
/** Target. */
export const SECPKG_ATTR_TARGET = 19;
/** Authentication id. */
export const SECPKG_ATTR_AUTHENTICATION_ID = 20;
/** Logoff time. */
export const SECPKG_ATTR_LOGOFF_TIME = 21;
/** Nego keys. */
export const SECPKG_ATTR_NEGO_KEYS = 22;
/** Prompting needed. */
export const SECPKG_ATTR_PROMPTING_NEEDED = 24;
/** tls-unique channel binding. */
export const SECPKG_ATTR_UNIQUE_BINDINGS = 25;
/** tls-server-end-point channel binding. */
export const SECPKG_ATTR_ENDPOINT_BINDINGS = 26;
/** Client specified target. */
export const SECPKG_ATTR_CLIENT_SPECIFIED_TARGET = 27;
/** Last client token status. */
export const SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS = 30;
/** Nego package info. */
export const SECPKG_ATTR_NEGO_PKG_INFO = 31;
/** Nego status. */
export const SECPKG_ATTR_NEGO_STATUS = 32;
/** Context deleted. */
export const SECPKG_ATTR_CONTEXT_DELETED = 33;
/** DTLS MTU. */
export const SECPKG_ATTR_DTLS_MTU = 34;
/** SecPkgContext_ApplicationProtocol. */
export const SECPKG_ATTR_APPLICATION_PROTOCOL = 35;
/** SecPkgContext_NegotiatedTlsExtensions. */
export const SECPKG_ATTR_NEGOTIATED_TLS_EXTENSIONS = 36;
/** Is loopback. */
export const SECPKG_ATTR_IS_LOOPBACK = 37;
/** Obsolete. */
export const SECPKG_ATTR_ISSUER_LIST = 0x50;
/** Obsolete. */
export const SECPKG_ATTR_REMOTE_CRED = 0x51;
/** Obsolete. */
export const SECPKG_ATTR_LOCAL_CRED = 0x52;
/** The peer's leaf certificate context. */
export const SECPKG_ATTR_REMOTE_CERT_CONTEXT = 0x53;
/** Our certificate context. */
export const SECPKG_ATTR_LOCAL_CERT_CONTEXT = 0x54;
/** Root store. */
export const SECPKG_ATTR_ROOT_STORE = 0x55;
/** Credential: SecPkgCred_SupportedAlgs. */
export const SECPKG_ATTR_SUPPORTED_ALGS = 0x56;
/** Credential: SecPkgCred_CipherStrengths. */
export const SECPKG_ATTR_CIPHER_STRENGTHS = 0x57;
/** Credential: SecPkgCred_SupportedProtocols. */
export const SECPKG_ATTR_SUPPORTED_PROTOCOLS = 0x58;
/** Client: the issuers from the server's CertificateRequest. */
export const SECPKG_ATTR_ISSUER_LIST_EX = 0x59;
/** SecPkgContext_ConnectionInfo. */
export const SECPKG_ATTR_CONNECTION_INFO = 0x5a;
/** EAP key block. */
export const SECPKG_ATTR_EAP_KEY_BLOCK = 0x5b;
/** Mapped credential attribute. */
export const SECPKG_ATTR_MAPPED_CRED_ATTR = 0x5c;
/** SecPkgContext_SessionInfo. */
export const SECPKG_ATTR_SESSION_INFO = 0x5d;
/** Session app data. */
export const SECPKG_ATTR_APP_DATA = 0x5e;
/** SecPkgContext_Certificates. */
export const SECPKG_ATTR_REMOTE_CERTIFICATES = 0x5f;
/** Client certificate policy (credential set). */
export const SECPKG_ATTR_CLIENT_CERT_POLICY = 0x60;
/** Client certificate policy result. */
export const SECPKG_ATTR_CC_POLICY_RESULT = 0x61;
/** Use NCrypt (credential set). */
export const SECPKG_ATTR_USE_NCRYPT = 0x62;
/** Local certificate info. */
export const SECPKG_ATTR_LOCAL_CERT_INFO = 0x63;
/** SecPkgContext_CipherInfo. */
export const SECPKG_ATTR_CIPHER_INFO = 0x64;
/** EAP PRF info. */
export const SECPKG_ATTR_EAP_PRF_INFO = 0x65;
/** SecPkgContext_SupportedSignatures. */
export const SECPKG_ATTR_SUPPORTED_SIGNATURES = 0x66;
/** The peer's chain, during and after the handshake. */
export const SECPKG_ATTR_REMOTE_CERT_CHAIN = 0x67;
/** UI info. */
export const SECPKG_ATTR_UI_INFO = 0x68;
/** Early start (False Start). */
export const SECPKG_ATTR_EARLY_START = 0x69;
/** Set: keying material parameters. */
export const SECPKG_ATTR_KEYING_MATERIAL_INFO = 0x6a;
/** Query: exported keying material. */
export const SECPKG_ATTR_KEYING_MATERIAL = 0x6b;
/** SRTP parameters. */
export const SECPKG_ATTR_SRTP_PARAMETERS = 0x6c;
/** Token binding. */
export const SECPKG_ATTR_TOKEN_BINDING = 0x6d;
/** SecPkgContext_ConnectionInfoEx. */
export const SECPKG_ATTR_CONNECTION_INFO_EX = 0x6e;
/** Token-binding keying material. */
export const SECPKG_ATTR_KEYING_MATERIAL_TOKEN_BINDING = 0x6f;
/** In/out keying material. */
export const SECPKG_ATTR_KEYING_MATERIAL_INPROC = 0x70;
/** Deferred validation result. */
export const SECPKG_ATTR_CERT_CHECK_RESULT = 0x71;
/** Deferred validation result (after handshake). */
export const SECPKG_ATTR_CERT_CHECK_RESULT_INPROC = 0x72;
/** Session ticket keys (credential set). */
export const SECPKG_ATTR_SESSION_TICKET_KEYS = 0x73;
/** SecPkgCred_SessionTicketKey.TicketInfoVersion. */
export const SESSION_TICKET_INFO_V0 = 0;
/** Serialized remote cert (after handshake). */
export const SECPKG_ATTR_SERIALIZED_REMOTE_CERT_CONTEXT_INPROC = 0x74;
/** Serialized remote cert. */
export const SECPKG_ATTR_SERIALIZED_REMOTE_CERT_CONTEXT = 0x75;
/** Credential attribute: names. */
export const SECPKG_CRED_ATTR_NAMES = 1;
/** Credential attribute: SSI provider. */
export const SECPKG_CRED_ATTR_SSI_PROVIDER = 2;
/** Credential attribute: KDC proxy settings. */
export const SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS = 3;
/** Credential attribute: certificate (Kerberos). */
export const SECPKG_CRED_ATTR_CERT = 4;

// ---- §2.11 ALG_IDs ---------------------------------------------------------------------------------------
/** MD5. */
export const CALG_MD5 = 0x8003;
/** SHA-1. */
export const CALG_SHA = 0x8004;
/** SHA-1. */
export const CALG_SHA1 = 0x8004;
/** SHA-256. */
export const CALG_SHA_256 = 0x800c;
/** SHA-384. */
export const CALG_SHA_384 = 0x800d;
/** SHA-512. */
export const CALG_SHA_512 = 0x800e;
/** TLS 1 PRF. */
export const CALG_TLS1PRF = 0x800a;
/** RSA signature. */
export const CALG_RSA_SIGN = 0x2400;
/** DSS signature. */
export const CALG_DSS_SIGN = 0x2200;
/** ECDSA. */
export const CALG_ECDSA = 0x2203;
/** RSA key exchange. */
export const CALG_RSA_KEYX = 0xa400;
/** Ephemeral DH. */
export const CALG_DH_EPHEM = 0xaa02;
/** DES. */
export const CALG_DES = 0x6601;
/** RC2. */
export const CALG_RC2 = 0x6602;
/** 3DES. */
export const CALG_3DES = 0x6603;
/** AES-128. */
export const CALG_AES_128 = 0x660e;
/** AES-192. */
export const CALG_AES_192 = 0x660f;
/** AES-256. */
export const CALG_AES_256 = 0x6610;
/** AES. */
export const CALG_AES = 0x6611;
/** RC4. */
export const CALG_RC4 = 0x6801;
/** NULL cipher. */
export const CALG_NULLCIPHER = 0x6000;
/** ECDH. */
export const CALG_ECDH = 0xaa05;
/** Ephemeral ECDH. */
export const CALG_ECDH_EPHEM = 0xae06;

// ---- §2.12 enumerations, §2.13 misc ----------------------------------------------------------------------
/** ALPN negotiation extension: none. */
export const SecApplicationProtocolNegotiationExt_None = 0;
/** NPN. */
export const SecApplicationProtocolNegotiationExt_NPN = 1;
/** ALPN. */
export const SecApplicationProtocolNegotiationExt_ALPN = 2;
/** Nothing negotiated. */
export const SecApplicationProtocolNegotiationStatus_None = 0;
/** Negotiated. */
export const SecApplicationProtocolNegotiationStatus_Success = 1;
/** Client picked alone (NPN). */
export const SecApplicationProtocolNegotiationStatus_SelectedClientOnly = 2;
/** eTlsSignatureAlgorithm. */
export const TlsSignatureAlgorithm_Anonymous = 0;
/** RSA. */
export const TlsSignatureAlgorithm_Rsa = 1;
/** DSA. */
export const TlsSignatureAlgorithm_Dsa = 2;
/** ECDSA. */
export const TlsSignatureAlgorithm_Ecdsa = 3;
/** TargetDataRep (ignored by Schannel). */
export const SECURITY_NATIVE_DREP = 0x00000010;
/** TargetDataRep (ignored by Schannel). */
export const SECURITY_NETWORK_DREP = 0x00000000;
/** EncryptMessage fQOP: wrap without encryption. */
export const SECQOP_WRAP_NO_ENCRYPT = 0x80000001;
/** EncryptMessage fQOP: the DATA buffer holds a 2-byte alert. */
export const SECQOP_WRAP_OOB_DATA = 0x40000000;
/** Longest ALPN id. */
export const MAX_PROTOCOL_ID_SIZE = 0xff;
/** SecPkgContext_CipherInfo.dwVersion. */
export const SECPKGCONTEXT_CIPHERINFO_V1 = 1;
/** SecPkgContext_ConnectionInfoEx.dwVersion. */
export const SECPKGCONTEXT_CONNECTION_INFO_EX_V1 = 1;
/** X509_ASN_ENCODING. */
export const X509_ASN_ENCODING = 0x00000001;
/** PKCS_7_ASN_ENCODING. */
export const PKCS_7_ASN_ENCODING = 0x00010000;

/** SECPKG_FLAG_* capabilities (§1.4). */
export const SECPKG_FLAG_INTEGRITY = 0x1;
/** Privacy. */
export const SECPKG_FLAG_PRIVACY = 0x2;
/** Connection. */
export const SECPKG_FLAG_CONNECTION = 0x10;
/** Multiple legs. */
export const SECPKG_FLAG_MULTI_REQUIRED = 0x20;
/** Extended error. */
export const SECPKG_FLAG_EXTENDED_ERROR = 0x80;
/** Impersonation. */
export const SECPKG_FLAG_IMPERSONATION = 0x100;
/** Win32 names. */
export const SECPKG_FLAG_ACCEPT_WIN32_NAME = 0x200;
/** Stream. */
export const SECPKG_FLAG_STREAM = 0x400;
/** Mutual authentication. */
export const SECPKG_FLAG_MUTUAL_AUTH = 0x10000;
/** Usable from an AppContainer without checks. */
export const SECPKG_FLAG_APPCONTAINER_PASSTHROUGH = 0x400000;
/** SecPkgInfo.fCapabilities of Schannel on Windows 10/11 (sspi-decisions.md "Package information"). */
export const SCHANNEL_PACKAGE_CAPABILITIES =
  SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_CONNECTION | SECPKG_FLAG_MULTI_REQUIRED | SECPKG_FLAG_EXTENDED_ERROR |
  SECPKG_FLAG_IMPERSONATION | SECPKG_FLAG_ACCEPT_WIN32_NAME | SECPKG_FLAG_STREAM | SECPKG_FLAG_MUTUAL_AUTH | SECPKG_FLAG_APPCONTAINER_PASSTHROUGH;
/** SecPkgInfo.cbMaxToken of Schannel on Windows 10/11. */
export const SCHANNEL_MAX_TOKEN = 24576;
/** SecPkgInfo.Comment of both Schannel entries. */
export const SCHANNEL_PACKAGE_COMMENT = 'Schannel Security Package';

// ---- §3.1 status codes ------------------------------------------------------------------------------------
/** Success. */
export const SEC_E_OK = 0x00000000;
/** Send the output token and call again. */
export const SEC_I_CONTINUE_NEEDED = 0x00090312;
/** Generic SSPI; never produced by Schannel. */
export const SEC_I_COMPLETE_NEEDED = 0x00090313;
/** Generic SSPI; never produced by Schannel. */
export const SEC_I_COMPLETE_AND_CONTINUE = 0x00090314;
/** Not Schannel. */
export const SEC_I_LOCAL_LOGON = 0x00090315;
/** A subscribed extension arrived. */
export const SEC_I_GENERIC_EXTENSION_RECEIVED = 0x00090316;
/** The peer sent close_notify. */
export const SEC_I_CONTEXT_EXPIRED = 0x00090317;
/** The server asked for a client certificate the credential lacks. */
export const SEC_I_INCOMPLETE_CREDENTIALS = 0x00090320;
/** A post-handshake handshake message arrived: call ISC/ASC. */
export const SEC_I_RENEGOTIATE = 0x00090321;
/** Not Schannel. */
export const SEC_I_NO_LSA_CONTEXT = 0x00090323;
/** Not Schannel. */
export const SEC_I_SIGNATURE_NEEDED = 0x0009035c;
/** Defined; unused. */
export const SEC_I_NO_RENEGOTIATION = 0x00090360;
/** Messages mode. */
export const SEC_I_MESSAGE_FRAGMENT = 0x00090364;
/** Messages mode. */
export const SEC_I_CONTINUE_NEEDED_MESSAGE_OK = 0x00090366;
/** Async SSPI. */
export const SEC_I_ASYNC_CALL_PENDING = 0x00090368;
/** A zero-size output buffer without ALLOCATE_MEMORY, or one too small. */
export const SEC_E_INSUFFICIENT_MEMORY = 0x80090300;
/** Bad, NULL or deleted handle. */
export const SEC_E_INVALID_HANDLE = 0x80090301;
/** Unsupported function, attribute, flag or control token. */
export const SEC_E_UNSUPPORTED_FUNCTION = 0x80090302;
/** Target unknown. */
export const SEC_E_TARGET_UNKNOWN = 0x80090303;
/** Internal error. */
export const SEC_E_INTERNAL_ERROR = 0x80090304;
/** Unknown package. */
export const SEC_E_SECPKG_NOT_FOUND = 0x80090305;
/** Not owner. */
export const SEC_E_NOT_OWNER = 0x80090306;
/** Malformed input or bad buffer layout. */
export const SEC_E_INVALID_TOKEN = 0x80090308;
/** QOP not supported. */
export const SEC_E_QOP_NOT_SUPPORTED = 0x8009030a;
/** No client token to impersonate. */
export const SEC_E_NO_IMPERSONATION = 0x8009030b;
/** Logon denied (client certificate rejected / access_denied). */
export const SEC_E_LOGON_DENIED = 0x8009030c;
/** Bad credential structure or certificate. */
export const SEC_E_UNKNOWN_CREDENTIALS = 0x8009030d;
/** No credentials (no certificate, no private key, nothing mapped). */
export const SEC_E_NO_CREDENTIALS = 0x8009030e;
/** Integrity failure. */
export const SEC_E_MESSAGE_ALTERED = 0x8009030f;
/** Out of sequence. */
export const SEC_E_OUT_OF_SEQUENCE = 0x80090310;
/** No authenticating authority (e.g. revocation server unreachable). */
export const SEC_E_NO_AUTHENTICATING_AUTHORITY = 0x80090311;
/** Bad package id. */
export const SEC_E_BAD_PKGID = 0x80090316;
/** Context closed or renegotiation pending. */
export const SEC_E_CONTEXT_EXPIRED = 0x80090317;
/** Input does not hold a complete record. */
export const SEC_E_INCOMPLETE_MESSAGE = 0x80090318;
/** Error variant of SEC_I_INCOMPLETE_CREDENTIALS. */
export const SEC_E_INCOMPLETE_CREDENTIALS = 0x80090320;
/** Header/trailer buffer too small. */
export const SEC_E_BUFFER_TOO_SMALL = 0x80090321;
/** Server certificate name does not match the target. */
export const SEC_E_WRONG_PRINCIPAL = 0x80090322;
/** Time skew. */
export const SEC_E_TIME_SKEW = 0x80090324;
/** Untrusted root. */
export const SEC_E_UNTRUSTED_ROOT = 0x80090325;
/** Protocol violation. */
export const SEC_E_ILLEGAL_MESSAGE = 0x80090326;
/** Certificate unknown / bad. */
export const SEC_E_CERT_UNKNOWN = 0x80090327;
/** Certificate expired. */
export const SEC_E_CERT_EXPIRED = 0x80090328;
/** Encrypt failure. */
export const SEC_E_ENCRYPT_FAILURE = 0x80090329;
/** Decrypt failure. */
export const SEC_E_DECRYPT_FAILURE = 0x80090330;
/** No common algorithm or protocol. */
export const SEC_E_ALGORITHM_MISMATCH = 0x80090331;
/** QoS failed. */
export const SEC_E_SECURITY_QOS_FAILED = 0x80090332;
/** Peer canceled. */
export const SEC_E_UNFINISHED_CONTEXT_DELETED = 0x80090333;
/** Wrong credential handle. */
export const SEC_E_WRONG_CREDENTIAL_HANDLE = 0x80090336;
/** Negotiated cipher unsupported. */
export const SEC_E_CRYPTO_SYSTEM_INVALID = 0x80090337;
/** Strong crypto not supported. */
export const SEC_E_STRONG_CRYPTO_NOT_SUPPORTED = 0x8009033a;
/** Shutdown in progress. */
export const SEC_E_SHUTDOWN_IN_PROGRESS = 0x8009033f;
/** Certificate usage unsuitable. */
export const SEC_E_CERT_WRONG_USAGE = 0x80090349;
/** Downgrade detected. */
export const SEC_E_DOWNGRADE_DETECTED = 0x80090350;
/** Issuing CA untrusted. */
export const SEC_E_ISSUING_CA_UNTRUSTED = 0x80090352;
/** Invalid parameter. */
export const SEC_E_INVALID_PARAMETER = 0x8009035d;
/** No context. */
export const SEC_E_NO_CONTEXT = 0x80090361;
/** Mutual auth failed. */
export const SEC_E_MUTUAL_AUTH_FAILED = 0x80090363;
/** Only HTTPS allowed. */
export const SEC_E_ONLY_HTTPS_ALLOWED = 0x80090365;
/** No common ALPN protocol. */
export const SEC_E_APPLICATION_PROTOCOL_MISMATCH = 0x80090367;
/** Invalid UPN. */
export const SEC_E_INVALID_UPN_NAME = 0x80090369;
/** Extension buffer too small. */
export const SEC_E_EXT_BUFFER_TOO_SMALL = 0x8009036a;
/** Insufficient buffers. */
export const SEC_E_INSUFFICIENT_BUFFERS = 0x8009036b;
/** NTSTATUS logon failure (Digest; listed for ASC after establishment). */
export const STATUS_LOGON_FAILURE = 0xc000006d;
/** Certificate revoked. */
export const CRYPT_E_REVOKED = 0x80092010;
/** No revocation DLL. */
export const CRYPT_E_NO_REVOCATION_DLL = 0x80092011;
/** Revocation status unknown. */
export const CRYPT_E_NO_REVOCATION_CHECK = 0x80092012;
/** Revocation server offline. */
export const CRYPT_E_REVOCATION_OFFLINE = 0x80092013;
/** Alias of SEC_E_INTERNAL_ERROR. */
export const SEC_E_NO_SPM = 0x80090304;
/** Alias of SEC_E_UNSUPPORTED_FUNCTION. */
export const SEC_E_NOT_SUPPORTED = 0x80090302;

// ---- certificate-chain policy results (SSPI.md §3.1 table; SecPkgContext_CertificateValidationResult) ----
/** Certificate expired or not yet valid. */
export const CERT_E_EXPIRED = 0x800b0101;
/** Chain to an untrusted root. */
export const CERT_E_UNTRUSTEDROOT = 0x800b0109;
/** No chain to a trust anchor could be built. */
export const CERT_E_CHAINING = 0x800b010a;
/** Certificate revoked. */
export const CERT_E_REVOKED = 0x800b010c;
/** Revocation could not be checked. */
export const CERT_E_REVOCATION_FAILURE = 0x800b010e;
/** The name does not match the target. */
export const CERT_E_CN_NO_MATCH = 0x800b010f;
/** Wrong key usage / extended key usage. */
export const CERT_E_WRONG_USAGE = 0x800b0110;
/** Malformed certificate. */
export const CERT_E_MALFORMED = 0x800b0108;
/** Path length constraint violated. */
export const CERT_E_PATHLENCONST = 0x800b0104;
/** Unknown critical extension. */
export const CERT_E_CRITICAL = 0x800b0105;
/** Name constraints violated. */
export const CERT_E_INVALID_NAME = 0x800b0114;
/** Bad signature in the chain. */
export const TRUST_E_CERT_SIGNATURE = 0x80096004;
/** Basic constraints violated. */
export const TRUST_E_BASIC_CONSTRAINTS = 0x80096019;
/** CERT_TRUST_STATUS.dwErrorStatus bits. */
export const CERT_TRUST_NO_ERROR = 0x0;
/** A certificate in the chain is outside its validity period. */
export const CERT_TRUST_IS_NOT_TIME_VALID = 0x1;
/** A certificate in the chain is revoked. */
export const CERT_TRUST_IS_REVOKED = 0x4;
/** A signature in the chain does not verify (or a certificate is malformed). */
export const CERT_TRUST_IS_NOT_SIGNATURE_VALID = 0x8;
/** A certificate is not valid for the requested usage. */
export const CERT_TRUST_IS_NOT_VALID_FOR_USAGE = 0x10;
/** The chain ends in a root that is not trusted. */
export const CERT_TRUST_IS_UNTRUSTED_ROOT = 0x20;
/** The revocation status of a certificate is unknown. */
export const CERT_TRUST_REVOCATION_STATUS_UNKNOWN = 0x40;
/** Basic constraints (CA flag or path length) are violated. */
export const CERT_TRUST_INVALID_BASIC_CONSTRAINTS = 0x400;
/** Name constraints are violated. */
export const CERT_TRUST_INVALID_NAME_CONSTRAINTS = 0x800;
/** The chain could not be built up to a root (unknown issuer). */
export const CERT_TRUST_IS_PARTIAL_CHAIN = 0x10000;
