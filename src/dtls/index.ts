/** DTLS 1.2 (RFC 6347) in the sans-IO engine: the engine, its configuration and the pieces a version plugs into. */
export { DtlsEngine, MIN_MTU, MAX_MTU, type DtlsOptions, type DtlsResult } from './engine.js';
export type { DatagramEngine } from './datagram-engine.js';
export { prepareDtlsClientConfig, prepareDtlsServerConfig } from './config.js';
export { CookieSecret } from './hello.js';
export type { DatagramRecordLayer, DropCounts, EpochKeys, ReceivedRecord } from './record-layer.js';
export { ReplayWindow, REPLAY_WINDOW } from './replay-window.js';
export { Reassembler, decodeFragments, encodeFragment, encodeMessage, fragmentMessage, DTLS_HANDSHAKE_HEADER, type HandshakeFragment, type DtlsHandshakeMessage } from './handshake.js';
export { RetransmitTimer, MAX_TIMEOUT_MS } from './retransmit.js';
export { DTLS12, DTLS10, DTLS_RECORD_HEADER, splitDatagram, encodeRecordHeader, type DtlsRecord } from './record.js';
export { helloGate, type GateVerdict } from './gate.js';
