/**
 * sspi-tls/session: sessions across processes and machines. Ticket-key sources several servers share (a static
 * list as SSPI's SESSION_TICKET_KEYS, or keys derived from one secret and the clock), the session store interface
 * with its in-memory and Redis implementations, and the resumer that asks the store at the hello stage's Accepted
 * point. docs/design/shared-sessions.md has the reasoning.
 */
export { RotatingTicketKeys, staticTicketKeys, parseTicketSecret, MAX_STATIC_TICKET_KEYS, MIN_TICKET_SECRET } from './ticket-keys.js';
export type { TicketKey, RotatingTicketKeysOptions } from './ticket-keys.js';
export { MemorySessionStore, type SessionStore, type MemorySessionStoreOptions } from './store.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.js';
export { SessionResumer, type SessionResumerOptions } from './resumer.js';
export type { TicketKeyStore } from '../vocabulary/config.js';
/** The hello stage, where the resumer runs for programs on the idiomatic API (TlsServer.accept(observer, accepted, config)). */
export { HelloStage, Accepted, type ClientHelloSummary } from '../engine/hello-stage.js';
