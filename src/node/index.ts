/**
 * sspi-tls/node: our TLS engine in Node's stream world. `TlsDuplex` runs over any Duplex; `createServer` and
 * `connect` take node:tls options and emit node:tls events; `createHttpsServer` and `Agent` give HTTPS through
 * node:http. See docs in each module.
 */
/** TLS over any Duplex. */
export { TlsDuplex, READ_HIGH_WATER_MARK, routedHooks, isTlsError } from './duplex.js';
/** TlsDuplex option and info types. */
export type { TlsDuplexOptions, CipherNameAndProtocol, EphemeralKeyInfo } from './duplex.js';
/** node:tls-style server. */
export { Server, createServer } from './server.js';
/** node:tls-style client connect (with node:tls's overloads). */
export { connect, normalizeConnectArgs } from './connect.js';
/** node:tls-style secure contexts. */
export { SecureContext, createSecureContext } from './secure-context.js';
/** Secure context options. */
export type { SecureContextOptions } from './secure-context.js';
/** node:tls error codes for our errors. */
export { nodeCodeOf, withNodeCode } from './error-codes.js';
/** Options for `connect`. */
export type { ConnectOptions } from './connect.js';
/** HTTPS through node:http. */
export { Agent, HttpsServer, createHttpsServer } from './https.js';
/** Options for the HTTPS Agent. */
export type { HttpsAgentOptions } from './https.js';
/** HTTP/2 through node:http2. */
export { Http2SecureServer, connectHttp2, createSecureHttp2Server } from './http2.js';
/** HTTP/2 option and handler types. */
export type { Http2RequestListener, Http2SecureServerOptions } from './http2.js';
/** In-memory Duplex pairs. */
export { duplexPair, PairEnd } from './pair.js';
/** node:tls-style peer certificate objects. */
export { peerCertificateOf, describeCertificate, opensslDate } from './peer-certificate.js';
/** Peer certificate object types. */
export type { PeerCertificate, DetailedPeerCertificate } from './peer-certificate.js';
/** node:tls options → engine options. */
export { parseGroups, toClientOptions, toServerOptions } from './options.js';
/** Node option types. */
export type { Credentials, NodeClientOptions, NodeCommonOptions, NodeServerOptions, PemOrDer, SniAnswer } from './options.js';
/** Sessions across processes and machines (also the `sspi-tls/session` entry): ticket-key sources, stores, the resumer. */
export { RotatingTicketKeys, staticTicketKeys, parseTicketSecret, MemorySessionStore, RedisSessionStore, SessionResumer } from '../session/index.js';
export type { TicketKey, RotatingTicketKeysOptions, SessionStore, MemorySessionStoreOptions, RedisSessionStoreOptions, SessionResumerOptions } from '../session/index.js';
/** DTLS 1.2 over node:dgram: a server demultiplexing peers by address, and a connected client. */
export { createDtlsServer, connectDtls, DtlsServer, DtlsSocket } from './dtls.js';
export type { DtlsServerOptions, DtlsConnectOptions, DtlsSocketOptions } from './dtls.js';
