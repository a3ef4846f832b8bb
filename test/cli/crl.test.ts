/**
 * CRLs end to end through the CLI (and so the node:tls-style `crl` option and the idiomatic API's `crl`), with
 * CRLs made by `openssl ca -gencrl`: `connect --crl` refuses openssl s_server's revoked certificate and accepts a
 * good one; `serve --crl --client-auth required` refuses openssl s_client's revoked client certificate with a
 * certificate_revoked alert; a delta CRL is refused at start with one line, exit 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annotate, opensslClient, opensslServer, runPeer, type Peer } from '../helpers/peers.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../helpers/x509-pki.js';
import { CLI, cli, startServe } from './run.js';

let pki: TestPki;
let root: PkiCert;
let good: PkiCert;
let revoked: PkiCert;
let client: PkiCert;
let crlPem: string;
let crlDer: string;

function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
}

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=CLI CRL Root', ext: caExt() });
  good = pki.issue({ name: 'good', subject: '/CN=good', issuer: root, ext: serverExt('DNS:localhost') });
  revoked = pki.issue({ name: 'revoked', subject: '/CN=revoked', issuer: root, ext: serverExt('DNS:localhost') });
  client = pki.issue({ name: 'client', subject: '/CN=revoked client', issuer: root, ext: serverExt('DNS:client.example', 'clientAuth') });
  pki.revokeWithReason(revoked, root, 'keyCompromise');
  pki.revoke(client, root);
  const crl = pki.crl(root);
  crlPem = join(pki.dir, 'root.crl.pem');
  crlDer = join(pki.dir, 'root.crl.der');
  writeFileSync(crlPem, pem(crl));
  writeFileSync(crlDer, crl);
});
after(() => pki.cleanup());

test('connect --crl: a revoked server certificate fails the handshake, a good one connects', { timeout: 60_000 }, async () => {
  for (const [cert, crlFile, ok] of [[revoked, crlPem, false], [good, crlDer, true], [revoked, undefined, true]] as const) {
    const s = await opensslServer({ cert: cert.certPath, key: cert.keyPath, args: ['-rev', '-tls1_3'] });
    let c: Peer | undefined;
    try {
      c = await cli(['connect', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--ca', root.certPath, ...(crlFile === undefined ? [] : ['--crl', crlFile])]);
      if (ok) {
        await c.waitFor(/connected to 127\.0\.0\.1/, 15_000, 'stderr');
      } else {
        const exit = await c.waitExit(15_000);
        assert.equal(exit.code, 1, c.output());
        assert.match(c.stderr(), /handshake failed: .*revoked.*keyCompromise/i);
        await s.waitFor(/alert certificate revoked|certificate revoked/i, 10_000, 'both');
      }
    } catch (e) {
      throw annotate(e, c ? [s, c] : [s]);
    } finally {
      await c?.stop();
      await s.stop();
    }
  }
});

test('serve --crl --client-auth required: openssl s_client with a revoked client certificate gets certificate_revoked', { timeout: 60_000 }, async () => {
  const serve = await startServe(['--mode', 'echo', '--cert', good.certPath, '--key', good.keyPath, '--ca', root.certPath, '--crl', crlPem, '--client-auth', 'required']);
  let o: Peer | undefined;
  try {
    o = await opensslClient(serve.port, ['-tls1_2', '-servername', 'localhost', '-CAfile', root.certPath, '-cert', client.certPath, '-key', client.keyPath]);
    await o.waitFor(/alert certificate revoked/i, 15_000, 'both');
  } catch (e) {
    throw annotate(e, o ? [serve, o] : [serve]);
  } finally {
    await o?.stop();
    await serve.stop();
  }
});

test('--crl with a delta CRL or a file without a CRL: one line, exit 2', async () => {
  const delta = join(pki.dir, 'delta.crl');
  writeFileSync(delta, pki.crl(root, { ext: ['2.5.29.27=critical,ASN1:INTEGER:1'] }));
  for (const [file, pattern] of [[delta, /--crl .*delta CRLs/], [root.certPath, /--crl .*no X509 CRL block/]] as const) {
    const r = await runPeer(process.execPath, [CLI, 'connect', '127.0.0.1:1', '--crl', file], { timeoutMs: 15_000 });
    assert.equal(r.code, 2, r.output);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
