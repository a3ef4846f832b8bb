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
/** node:tls-style client connect. */
export { connect } from './connect.js';
/** Options for `connect`. */
export type { ConnectOptions } from './connect.js';
/** HTTPS through node:http. */
export { Agent, HttpsServer, createHttpsServer } from './https.js';
/** Options for the HTTPS Agent. */
export type { HttpsAgentOptions } from './https.js';
/** In-memory Duplex pairs. */
export { duplexPair, PairEnd } from './pair.js';
/** node:tls-style peer certificate objects. */
export { peerCertificateOf, describeCertificate, opensslDate } from './peer-certificate.js';
/** Peer certificate object types. */
export type { PeerCertificate, DetailedPeerCertificate } from './peer-certificate.js';
/** node:tls options → engine options. */
export { parseGroups, toClientOptions, toServerOptions } from './options.js';
/** Node option types. */
export type { Credentials, NodeClientOptions, NodeCommonOptions, NodeServerOptions, PemOrDer } from './options.js';
/** Sessions across processes and machines (also the `sspi-tls/session` entry): ticket-key sources, stores, the resumer. */
export { RotatingTicketKeys, staticTicketKeys, parseTicketSecret, MemorySessionStore, RedisSessionStore, SessionResumer } from '../session/index.js';
export type { TicketKey, RotatingTicketKeysOptions, SessionStore, MemorySessionStoreOptions, RedisSessionStoreOptions, SessionResumerOptions } from '../session/index.js';
