/**
 * Child program of test/unit/entry-points.test.ts: imports `sspi-tls/x509` and nothing else of ours and validates
 * the chain against the default trust anchors it exports. Prints one JSON line. argv: chain.pem key.pem servername
 */
import { readFileSync } from 'node:fs';
import { ChainVerifier, pemToDer, systemTrustAnchors } from '../../src/x509/index.js';

const [chainPath = '', , servername = ''] = process.argv.slice(2);
const verifier = new ChainVerifier({ trustAnchors: systemTrustAnchors() });
const r = verifier.verify(pemToDer(readFileSync(chainPath, 'utf8')), { usage: 'serverAuth', serverName: servername });
console.log(JSON.stringify(r.ok ? { ok: true } : { ok: false, error: r.reason }));
