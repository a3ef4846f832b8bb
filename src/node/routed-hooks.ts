/**
 * The configuration-level trace / key-log hooks of the TlsServer and TlsClient a duplex builds or shares: none do
 * anything. Each TlsDuplex gives its own connection an observer (TlsServer.accept / TlsClient.connect), so one
 * TlsServer (parsed credentials, ticket keys) serves many duplexes while each gets its own 'trace' and 'keylog'.
 */
import type { TraceEvent } from '../api/types.js';

export const routedHooks = {
  trace: (_e: TraceEvent): void => undefined,
  keyLog: (_line: string): void => undefined,
} as const;
