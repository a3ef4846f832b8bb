/**
 * sspi-tls/node: our TLS engine in Node's stream world, with node:tls's names. `connect`, `createServer`,
 * `TLSSocket` / `TlsDuplex` and `createSecureContext` take node:tls options and emit node:tls events;
 * `createHttpsServer` and `Agent` give HTTPS through node:http, `createSecureHttp2Server` / `connectHttp2` HTTP/2
 * through node:http2. The functions are those of one default {@link NodeTlsAdapter}, which owns the configurations
 * prepared from options (cached by content); make another NodeTlsAdapter for a separate cache.
 */
import { NodeTlsAdapter } from './adapter.js';
import type { TlsDuplex as TlsDuplexClass } from './duplex.js';

/** The adapter whose functions this module exports (its prepared configurations are shared by them). */
export const defaultAdapter = new NodeTlsAdapter();

/** node:tls `connect(...)` (node:tls's overloads). */
export const connect = defaultAdapter.connect;
/** node:tls `createServer(options?, secureConnectionListener?)`. */
export const createServer = defaultAdapter.createServer;
/** node:https `createServer(options?, requestListener?)` on our TLS. */
export const createHttpsServer = defaultAdapter.createHttpsServer;
/**
 * TLS over any Duplex (node:tls's TLSSocket): `new TlsDuplex(socket, { isServer: true, key, cert })`. Connections
 * made with the same options share what was prepared from them.
 */
export const TlsDuplex = defaultAdapter.TLSSocket;
/** A TLS connection over a Duplex (the type of {@link TlsDuplex} and {@link TLSSocket} instances). */
export type TlsDuplex = TlsDuplexClass;
/** node:tls's name for {@link TlsDuplex}. */
export const TLSSocket = defaultAdapter.TLSSocket;
/** node:tls's name for {@link TlsDuplex}. */
export type TLSSocket = TlsDuplexClass;

/** The entry object, and the cache it owns. */
export { NodeTlsAdapter } from './adapter.js';
export type { ConnectFunction, CreateServerFunction, CreateHttpsServerFunction } from './adapter.js';
export { PreparedConfigs } from './prepared-configs.js';
/** TlsDuplex option and info types; whether an error is a TLS protocol error. */
export type { TlsDuplexOptions, CipherNameAndProtocol, EphemeralKeyInfo, TlsDuplexEvents, OnReadOptions } from './duplex.js';
export { isTlsError } from './duplex.js';
/** node:tls-style server. */
export { Server } from './server.js';
export type { ServerOptions } from './server.js';
/** node:tls-style secure contexts. */
export { SecureContext, createSecureContext } from './secure-context.js';
export type { SecureContextOptions } from './secure-context.js';
/** Options of `connect`. */
export type { ConnectOptions } from './connect.js';
/** HTTPS through node:http. */
export { Agent, HttpsServer } from './https.js';
export type { HttpsAgentOptions } from './https.js';
/** HTTP/2 through node:http2. */
export { Http2SecureServer, connectHttp2, createSecureHttp2Server } from './http2.js';
export type { Http2RequestListener, Http2SecureServerOptions } from './http2.js';
/** In-memory Duplex pairs (a transport for TlsDuplex in tests and in-process pipes). */
export { duplexPair, PairEnd } from './pair.js';
/** Peer certificate object types (getPeerCertificate). */
export type { PeerCertificate, DetailedPeerCertificate } from './peer-certificate.js';
/** Node option types. */
export type { Credentials, NodeClientOptions, NodeCommonOptions, NodeServerOptions, PemOrDer, SniAnswer } from './options.js';
/**
 * Values of the server options `ticketKeySource` and `sessionResumer` (sessions across processes and machines; the
 * same as the `sspi-tls/session` entry).
 */
export { RotatingTicketKeys, staticTicketKeys, parseTicketSecret, MemorySessionStore, RedisSessionStore, SessionResumer } from '../session/index.js';
export type { TicketKey, RotatingTicketKeysOptions, SessionStore, MemorySessionStoreOptions, RedisSessionStoreOptions, SessionResumerOptions } from '../session/index.js';
/** DTLS 1.2 over node:dgram: a server demultiplexing peers by address, and a connected client. */
export { createDtlsServer, connectDtls, DtlsServer, DtlsSocket } from './dtls.js';
export type { DtlsServerOptions, DtlsConnectOptions, DtlsSocketOptions } from './dtls.js';
