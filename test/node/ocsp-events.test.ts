/**
 * node:tls's OCSP stapling events with real peers. Our server's 'OCSPRequest' (certificate, issuer, callback) with
 * `openssl s_client -status`: the listener gets the leaf and its issuer (DER), and the response it answers is what
 * s_client decodes ("Cert Status: good"), in TLS 1.3 (CertificateEntry extension) and TLS 1.2 (CertificateStatus).
 * Our client's `requestOCSP` with `openssl s_server -status_file`: 'OCSPResponse' carries exactly the file's bytes;
 * without requestOCSP no status_request is sent (s_server staples nothing, no event).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import { annotate, opensslClient, opensslServer, type Peer } from '../helpers/peers.js';
import { TestPki, caExt, serverExt } from '../helpers/x509-pki.js';
import { bounded } from '../helpers/net.js';

const pki = new TestPki();
const root = pki.issue({ name: 'ocsp-ev-root', subject: '/CN=OCSP Events Root', ext: caExt() });
const leaf = pki.issue({ name: 'ocsp-ev-leaf', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
const good = pki.ocspResponse(leaf, root);
const goodPath = join(pki.dir, 'good.ocsp');
writeFileSync(goodPath, good);
const leafKey = pki.openssl(['pkey', '-in', leaf.keyPath]);
test.after(() => pki.cleanup());

for (const version of ['-tls1_3', '-tls1_2'] as const) {
  test(`our server's OCSPRequest staples what the listener answers: openssl s_client -status ${version} reads it`, { timeout: 60_000 }, async () => {
    const server = createServer({ key: leafKey, cert: leaf.pem, ca: root.pem });
    const asked: { cert: Buffer; issuer: Buffer | null }[] = [];
    server.on('OCSPRequest', (cert: Buffer, issuer: Buffer | null, cb: (err: Error | null, resp: Buffer | null) => void) => {
      asked.push({ cert, issuer });
      // Answer later: the handshake waits for it.
      setTimeout(() => cb(null, Buffer.from(good)), 20);
    });
    server.on('secureConnection', (s: TlsDuplex) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const peers: Peer[] = [];
    try {
      const c = await opensslClient((server.address() as AddressInfo).port, [version, '-status', '-servername', 'localhost', '-CAfile', root.certPath]);
      peers.push(c);
      await c.waitFor(/Verify return code: 0 \(ok\)/, 15_000, 'stdout');
      const out = c.stdout();
      assert.match(out, /OCSP Response Status: successful/);
      assert.match(out, /Cert Status: good/);
      assert.equal(asked.length, 1);
      assert.deepEqual(new Uint8Array(asked[0]?.cert ?? []), leaf.der, 'the certificate is our leaf');
      assert.deepEqual(new Uint8Array(asked[0]?.issuer ?? []), root.der, 'the issuer, found in `ca`');
      c.write('Q\n');
      await c.waitExit(15_000);
    } catch (e) {
      throw annotate(e, peers);
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
      await new Promise<void>((r) => server.shutdown(1000, r));
    }
  });
}

test("our server: OCSPRequest answered null staples nothing (s_client: 'no response sent'); without status_request no event", { timeout: 60_000 }, async () => {
  const server = createServer({ key: leafKey, cert: leaf.pem });
  let asked = 0;
  server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer | null, cb: (err: Error | null, resp: Buffer | null) => void) => {
    asked++;
    cb(null, null);
  });
  server.on('secureConnection', (s: TlsDuplex) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const peers: Peer[] = [];
  try {
    const a = await opensslClient(port, ['-status', '-servername', 'localhost']);
    peers.push(a);
    await a.waitFor(/OCSP response: no response sent/, 15_000, 'stdout');
    a.write('Q\n');
    await a.waitExit(15_000);
    assert.equal(asked, 1);
    const b = await opensslClient(port, ['-servername', 'localhost']);
    peers.push(b);
    await b.waitFor(/Verify return code/, 15_000, 'stdout');
    b.write('Q\n');
    await b.waitExit(15_000);
    assert.equal(asked, 1, 'no status_request, no OCSPRequest');
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await new Promise<void>((r) => server.shutdown(1000, r));
  }
});

for (const version of ['-tls1_3', '-tls1_2'] as const) {
  test(`our client's requestOCSP ↔ openssl s_server -status_file ${version}: OCSPResponse is the file's bytes, before secureConnect`, { timeout: 60_000 }, async () => {
    const peers: Peer[] = [];
    try {
      const srv = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, args: [version, '-status_file', goodPath] });
      peers.push(srv);
      const events: string[] = [];
      let response: Buffer | null | undefined;
      const c = connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: root.pem, requestOCSP: true });
      c.on('OCSPResponse', (r: Buffer | null) => {
        events.push('OCSPResponse');
        response = r;
      });
      c.on('secureConnect', () => events.push('secureConnect'));
      await bounded(once(c, 'secureConnect'), 15_000, 'secureConnect');
      assert.deepEqual(events, ['OCSPResponse', 'secureConnect']);
      assert.deepEqual(new Uint8Array(response ?? []), good);
      c.destroy();

      // Without requestOCSP: no status_request, so s_server staples nothing and there is no event.
      let fired = false;
      const d = connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: root.pem });
      d.on('OCSPResponse', () => {
        fired = true;
      });
      await bounded(once(d, 'secureConnect'), 15_000, 'secureConnect');
      assert.equal(fired, false);
      assert.equal(d.info?.ocspResponse, undefined);
      d.destroy();
    } catch (e) {
      throw annotate(e, peers);
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  });
}
