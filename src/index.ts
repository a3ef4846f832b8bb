/**
 * sspi-tls: a TLS 1.3 / 1.2 engine of our own, sans-IO, with an idiomatic API (this module), Windows SSPI
 * semantics (`sspi-tls/sspi`), a certificate validator (`sspi-tls/x509`) and a Node adapter (`sspi-tls/node`).
 */
export { TlsServer, TlsClient, TlsConnection, type TlsConnectionEvents } from './api/connection.js';
export type { ClientOptions, ServerOptions, CertifiedKeyInput, ConnectionInfo, CommonOptions, TlsVersionName, TraceEvent } from './api/types.js';
export { TlsError, type TlsErrorKind } from './errors.js';
export { TlsEngine, createClientEngine, createServerEngine, type ProcessOptions, type StreamSizes } from './engine/connection.js';
export type { EngineEvent, ProcessResult, SessionTicket } from './engine/events.js';
export { NodeCryptoProvider, getDefaultProvider } from './crypto/node-provider.js';
export type { CryptoProvider } from './crypto/provider.js';
export { AlertDescription, CipherSuite, NamedGroup, SignatureScheme, ProtocolVersion } from './wire/registry.js';
