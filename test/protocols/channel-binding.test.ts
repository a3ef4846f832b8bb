/**
 * tls-server-end-point (RFC 5929 §4.1) from TlsConnection.channelBinding: both ends give the same bytes, the hash
 * the certificate's signature algorithm names, over TLS 1.3 and 1.2; nothing before the handshake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TlsClient, TlsError, TlsServer, tlsServerEndPoint, getDefaultProvider, type TlsConnection } from '../../src/index.js';
import { endPointHash } from '../../src/sspi/attributes.js';
import { getPki } from '../helpers/pki.js';
import { requirePeer } from '../helpers/peers.js';

function handshake(c: TlsConnection, s: TlsConnection): void {
  for (let i = 0; i < 10 && (c.hasOutput || s.hasOutput); i++) {
    s.receive(c.takeOutput());
    c.receive(s.takeOutput());
  }
  assert.ok(c.isHandshakeComplete && s.isHandshakeComplete);
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`channelBinding('tls-server-end-point') is the same on both ends, ${version}`, async () => {
    const pki = await getPki();
    for (const leaf of [pki.server.p256, pki.server.rsa2048]) {
      const server = new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], maxVersion: version });
      const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', maxVersion: version });
      const c = client.connect();
      const s = server.accept();
      assert.throws(() => c.channelBinding('tls-server-end-point'), TlsError);
      handshake(c, s);
      const expected = createHash('sha256').update(leaf.certDer).digest('hex'); // the CA signs with ecdsa-with-SHA256
      assert.equal(Buffer.from(c.channelBinding('tls-server-end-point')).toString('hex'), expected);
      assert.equal(Buffer.from(s.channelBinding('tls-server-end-point')).toString('hex'), expected);
    }
  });
}

test('tlsServerEndPoint: SHA-384 for an ecdsa-with-SHA384 signature, SHA-512 for Ed25519 (as OpenSSL 3 and GnuTLS), none for Ed448; SSPI agrees', async () => {
  const { generateKeyPairSync, X509Certificate } = await import('node:crypto');
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-cb-'));
  try {
    const make = (name: string, key: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer }, digest: string[]): Uint8Array => {
      writeFileSync(join(dir, `${name}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
      execFileSync(requirePeer('openssl', 'openssl'), ['req', '-x509', '-new', '-key', join(dir, `${name}.key`), ...digest, '-days', '1', '-subj', `/CN=${name}`,
        '-outform', 'DER', '-out', join(dir, `${name}.der`)], { timeout: 30_000 });
      return new Uint8Array(readFileSync(join(dir, `${name}.der`)));
    };
    const p384 = make('p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, ['-sha384']);
    assert.equal(new X509Certificate(p384).subject, 'CN=p384');
    assert.equal(Buffer.from(tlsServerEndPoint(getDefaultProvider(), p384)).toString('hex'), createHash('sha384').update(p384).digest('hex'));
    const ed = make('ed', generateKeyPairSync('ed25519').privateKey, []);
    assert.equal(Buffer.from(tlsServerEndPoint(getDefaultProvider(), ed)).toString('hex'), createHash('sha512').update(ed).digest('hex'));
    const ed448 = make('ed448', generateKeyPairSync('ed448').privateKey, []);
    assert.throws(() => tlsServerEndPoint(getDefaultProvider(), ed448), /RFC 5929/);
    // The SSPI layer (SECPKG_ATTR_ENDPOINT_BINDINGS) takes the same hash, and none for Ed448.
    assert.equal(endPointHash(ed), 'sha512');
    assert.equal(endPointHash(p384), 'sha384');
    assert.equal(endPointHash(ed448), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
