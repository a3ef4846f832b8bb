/**
 * The configuration-level hooks of the TlsServer and TlsClient a duplex builds or shares: a trace hook that does
 * nothing (its presence turns tracing on where a `trace` option asks for it) and no key log. Each TlsDuplex gives its
 * own connection an observer (TlsServer.accept / TlsClient.connect), so one TlsServer (parsed credentials, ticket
 * keys) serves many duplexes while each gets its own 'trace' and 'keylog'. A no-op key log here would make every
 * connection without an observer format its secrets as hex for nobody.
 */
import type { TraceEvent } from '../api/types.js';

export const routedHooks = {
  trace: (_e: TraceEvent): void => undefined,
} as const;
