// Preload for Node's own tls/https tests (scripts/node-compat/run.mjs passes it with --import): puts sspi-tls's node
// adapter (dist/src/node) in place of node:tls / node:https where the adapter provides the function, so a test
// that calls tls.connect / tls.createServer / https.createServer (directly, or through https.request, whose Agent
// calls tls.connect) runs our TLS. Everything else stays Node's own.
//
// It also points Node's test/common at the system openssl (common.opensslCli looks for an `openssl-cli` bundled
// next to the node binary), and records in $NODE_COMPAT_MARK which adapter functions the test called, so the
// runner counts only tests that exercised the adapter.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as adapter from '../../dist/src/node/index.js';
import { TlsDuplex } from '../../dist/src/node/duplex.js';
import { useSystemOpenssl } from './system-openssl.mjs';

const require = createRequire(import.meta.url);
const tls = require('node:tls');
const https = require('node:https');

/** @type {Set<string>} */
const used = new Set();
const mark = process.env['NODE_COMPAT_MARK'];

/**
 * @param {Record<string, unknown>} target
 * @param {string} name
 * @param {(...args: unknown[]) => unknown} impl
 */
function substitute(target, name, impl) {
  const label = `${target === tls ? 'tls' : 'https'}.${name}`;
  target[name] = function (/** @type {unknown[]} */ ...args) {
    if (!used.has(label)) {
      used.add(label);
      // Written at once, not at exit: a test that hangs and is killed still counts as exercising the adapter.
      if (mark !== undefined) appendFileSync(mark, label + '\n');
    }
    return impl(...args);
  };
}

substitute(tls, 'connect', (...args) => adapter.connect(...args));
substitute(tls, 'createServer', (...args) => adapter.createServer(...args));
// Node's own context (so Node's TLSSocket, which we do not replace, still takes it), carrying its options for us:
// the adapter reads a context's settings from `options` beside `context`.
const nodeCreateSecureContext = tls.createSecureContext;
substitute(tls, 'createSecureContext', (options = {}, ...rest) => {
  const ctx = nodeCreateSecureContext(options, ...rest);
  Object.defineProperty(ctx, 'options', { value: Object.freeze({ ...options }) });
  return ctx;
});
substitute(https, 'createServer', (...args) => adapter.createHttpsServer(...args));

// `instanceof tls.TLSSocket` / `tls.Server` / `https.Server` hold for the adapter's socket and servers, which stand in
// for them (Node's own classes are still what `new tls.TLSSocket(...)` builds).
/**
 * @param {Function} nodeClass
 * @param {Function} ours
 */
function alsoInstance(nodeClass, ours) {
  const own = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(nodeClass, Symbol.hasInstance, {
    value: (/** @type {unknown} */ x) => own.call(nodeClass, x) || own.call(ours, x),
    configurable: true,
  });
}
alsoInstance(tls.TLSSocket, TlsDuplex);
alsoInstance(tls.Server, adapter.Server);
alsoInstance(https.Server, adapter.HttpsServer);

// test/common: the system openssl instead of a bundled openssl-cli.
useSystemOpenssl();
