/** The idiomatic API's option and result types; they live in the shared vocabulary (src/vocabulary/). */
export type { CertifiedKeyInput, ClientOptions, CommonOptions, ServerOptions, TlsVersionName, TraceEvent } from '../vocabulary/options.js';
export type { ConnectionInfo } from '../vocabulary/connection-info.js';
