/**
 * Child program of test/unit/entry-points.test.ts: imports `sspi-tls/node` and nothing else of ours, then runs a
 * handshake over an in-memory Duplex pair whose client has no `ca` (default trust). Prints one JSON line.
 * argv: chain.pem key.pem servername
 */
import { readFileSync } from 'node:fs';
import { duplexPair, TlsDuplex } from '../../src/node/index.js';

const [chainPath = '', keyPath = '', servername = ''] = process.argv.slice(2);
const [a, b] = duplexPair();
const server = new TlsDuplex(a, { isServer: true, cert: readFileSync(chainPath, 'utf8'), key: readFileSync(keyPath, 'utf8') });
const client = new TlsDuplex(b, { servername });
const done = (r: object): void => {
  console.log(JSON.stringify(r));
  client.destroy();
  server.destroy();
};
server.on('error', () => undefined);
// node:tls's message ('unable to get local issuer certificate'), ours in `detail`.
client.on('error', (e: Error & { detail?: string }) => done({ ok: false, error: `${e.message} (${e.detail ?? ''})` }));
client.on('secureConnect', () => done({ ok: true, version: client.getProtocol(), authorized: client.authorized }));
