/**
 * sspi-tls: a TLS 1.3 / 1.2 engine of our own, sans-IO, with an idiomatic API (this module), Windows SSPI
 * semantics (`sspi-tls/sspi`), a certificate validator (`sspi-tls/x509`) and a Node adapter (`sspi-tls/node`).
 */
/** Connection API: server and client factories and the connection they create. */
export { TlsServer, TlsClient, TlsConnection, type TlsConnectionEvents } from './api/connection.js';
/** Channel binding (RFC 5929) for SASL *-PLUS mechanisms. */
export { tlsServerEndPoint, type ChannelBindingType } from './api/channel-binding.js';
/** Option and connection-info types. */
export type { ClientOptions, ServerOptions, CertifiedKeyInput, ConnectionInfo, CommonOptions, TlsVersionName, TraceEvent } from './api/types.js';
/** Errors. */
export { TlsError, type TlsErrorKind } from './errors.js';
/** The sans-IO engine underneath the connection API. */
export { TlsEngine, createClientEngine, createServerEngine, type ProcessOptions, type StreamSizes } from './engine/connection.js';
/** Engine events and results. */
export type { EngineEvent, ProcessResult, SessionTicket } from './engine/events.js';
/** The node:crypto provider and the shared default instance. */
export { NodeCryptoProvider, getDefaultProvider, type NodeProviderOptions } from './crypto/node-provider.js';
/** The WebAssembly ML-KEM-768 (liboqs) for X25519MLKEM768: pass it as `new NodeCryptoProvider({ mlkem })`. */
export { loadMlKem768Wasm } from './crypto/mlkem-wasm.js';
/** The crypto provider interface. */
export type { CryptoProvider } from './crypto/provider.js';
/** IANA code point tables. */
export { AlertDescription, CipherSuite, NamedGroup, SignatureScheme, ProtocolVersion } from './wire/registry.js';
