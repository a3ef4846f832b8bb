/**
 * sspi-tls/node: our TLS engine in Node's stream world. `TlsDuplex` runs over any Duplex; `createServer` and
 * `connect` take node:tls options and emit node:tls events; `createHttpsServer` and `Agent` give HTTPS through
 * node:http. See docs in each module.
 */
export { TlsDuplex, READ_HIGH_WATER_MARK, routedHooks, isTlsError } from './duplex.js';
export type { TlsDuplexOptions, CipherNameAndProtocol, EphemeralKeyInfo } from './duplex.js';
export { Server, createServer } from './server.js';
export { connect } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { Agent, HttpsServer, createHttpsServer } from './https.js';
export type { HttpsAgentOptions } from './https.js';
export { duplexPair, PairEnd } from './pair.js';
export { peerCertificateOf, describeCertificate, opensslDate } from './peer-certificate.js';
export type { PeerCertificate, DetailedPeerCertificate } from './peer-certificate.js';
export { parseGroups, toClientOptions, toServerOptions } from './options.js';
export type { Credentials, NodeClientOptions, NodeCommonOptions, NodeServerOptions, PemOrDer } from './options.js';
