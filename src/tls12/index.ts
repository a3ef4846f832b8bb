/**
 * TLS 1.2 (RFC 5246 with RFC 5288/5289/7905 AEAD suites, RFC 8422 ECDHE, RFC 7627, RFC 5746, RFC 5077, RFC 5705):
 * the client and server state machines, passed to the engine as a dependency (EngineDependencies.tls12).
 */
export { startClient12, type ClientState12, type Selected12 } from './client.js';
export { startServer12, type ServerState12, ECDHE_GROUPS, SESSION_CACHE_SIZE } from './server.js';
export { prf, extendedMasterSecret, keyBlock, verifyData, exportKeyingMaterial12 } from './prf.js';
