/**
 * node:tls's `createSecureContext(options)`: a credentials-and-settings bundle to pass as `secureContext`, to return
 * from an `SNICallback`, or to give `addContext` / `setSecureContext`. Ours holds the options (immutable); what is
 * expensive (parsing keys and chains) happens once per configuration when a server or client is built from it.
 */
import type { NodeServerOptions, PemOrDer } from './options.js';

/** What a secure context carries: node:tls's SecureContextOptions that we implement. */
export type SecureContextOptions = Pick<
  NodeServerOptions,
  'key' | 'cert' | 'ca' | 'ciphers' | 'ecdhCurve' | 'minVersion' | 'maxVersion' | 'sessionTimeout' | 'ticketKeys'
>;

/** A node:tls-style secure context (see the module comment). */
export class SecureContext {
  /** The options it was created with (frozen copy). */
  readonly options: Readonly<SecureContextOptions>;
  /** node:tls exposes the native context here; ours is this object itself. */
  readonly context: this;
  constructor(options: SecureContextOptions = {}) {
    this.options = Object.freeze({ ...options });
    this.context = this;
  }
}

/** node:tls `createSecureContext`. */
export function createSecureContext(options: SecureContextOptions = {}): SecureContext {
  return new SecureContext(options);
}

/**
 * Whether `x` is a secure context: ours, or any object carrying its options as `options` beside a `context` (so a
 * caller may hand us node:tls's own context with the options it was made from attached).
 */
export function isSecureContext(x: unknown): x is { readonly options: SecureContextOptions; readonly context: unknown } {
  return x instanceof SecureContext || (typeof x === 'object' && x !== null && 'context' in x && 'options' in x && typeof x.options === 'object');
}

/** The key and chain of a context, or of a `{ key, cert }` object (what SNICallback / addContext may give). */
export function credentialsOf(x: unknown): { key: PemOrDer | readonly PemOrDer[]; cert: PemOrDer | readonly PemOrDer[] } | undefined {
  const o = isSecureContext(x) ? x.options : (x as SecureContextOptions | null | undefined);
  if (o === null || o === undefined || o.key === undefined || o.cert === undefined) return undefined;
  return { key: o.key, cert: o.cert };
}

/** Options with a `secureContext` option's settings merged in (node:tls: the context's settings win). */
export function withSecureContext<T extends { readonly secureContext?: SecureContext }>(o: T): T {
  const ctx: unknown = o.secureContext;
  if (!isSecureContext(ctx)) return o;
  return { ...o, ...ctx.options };
}
