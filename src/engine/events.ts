/** The engine's events and results; they live in the shared vocabulary (src/vocabulary/events.ts). */
export type { ConnectionObserver, EngineEvent, ProcessResult, SessionTicket } from '../vocabulary/events.js';
