/**
 * node:tls's `createSecureContext(options)`: a credentials-and-settings bundle to pass as `secureContext`, to return
 * from an `SNICallback`, or to give `addContext` / `setSecureContext`. It is defined beside the options it is made of
 * (src/node/options.ts: one module, so the two have no import cycle); this is its public name.
 */
export { SecureContext, createSecureContext, isSecureContext, credentialsOf, withSecureContext, type SecureContextOptions } from './options.js';
