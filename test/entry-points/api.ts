/**
 * Child program of test/unit/entry-points.test.ts: imports `sspi-tls` (src/index.ts) and nothing else of ours, then
 * runs a handshake whose client has no `ca` (default trust). Prints one JSON line: { ok, version?, error? }.
 * argv: chain.pem key.pem servername
 */
import { readFileSync } from 'node:fs';
import { TlsClient, TlsServer } from '../../src/index.js';

const [chainPath = '', keyPath = '', servername = ''] = process.argv.slice(2);
try {
  const server = new TlsServer({ certificates: [{ cert: readFileSync(chainPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }] }).accept();
  const client = new TlsClient({ servername }).connect();
  for (let i = 0; i < 10 && !(client.engine.isEstablished && server.engine.isEstablished); i++) {
    server.receive(client.takeOutput());
    client.receive(server.takeOutput());
  }
  console.log(JSON.stringify({ ok: client.engine.isEstablished, version: client.engine.info?.version, authorized: client.engine.info?.authorized }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }));
}
