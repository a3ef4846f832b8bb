/**
 * A peer may present many certificates of which a short path is valid (BetterTLS sends 36): the TLS layer takes
 * them (MAX_CHAIN_LENGTH 64) and path building finds the path, in TLS 1.3 and 1.2. Certificates by openssl.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer } from '../../../src/index.js';
import { parseCertificate } from '../../../src/x509/index.js';
import { doHandshake } from '../../helpers/pair.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../../helpers/x509-pki.js';

let pki: TestPki;
let root: PkiCert;
let int: PkiCert;
let leaf: PkiCert;
let decoys: PkiCert[];

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=Long Root', ext: caExt() });
  int = pki.issue({ name: 'int', subject: '/CN=Long Intermediate', issuer: root, ext: caExt() });
  leaf = pki.issue({ name: 'leaf', subject: '/CN=localhost', issuer: int, ext: serverExt('DNS:localhost') });
  // 34 decoys: copies of an unrelated CA with other serial numbers (distinct certificates, never on the path).
  const stray = pki.issue({ name: 'stray', subject: '/CN=Stray CA', issuer: root, ext: caExt() });
  const serial = Buffer.from(parseCertificate(stray.der).serialNumber, 'hex');
  const at = Buffer.from(stray.der).indexOf(serial);
  decoys = Array.from({ length: 34 }, (_, k) => {
    const der = stray.der.slice();
    der[at + serial.length - 1] = ((der[at + serial.length - 1] as number) + 1 + k) & 0xff;
    return { ...stray, der };
  });
});
after(() => pki.cleanup());

test('a server presenting 36 certificates (leaf, 34 decoys, then its intermediate) is validated, TLS 1.3 and 1.2', () => {
  const chain = [leaf.der, ...decoys.map((d) => d.der), int.der];
  assert.equal(chain.length, 36);
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    const server = new TlsServer({ certificates: [{ cert: chain, key: pki.openssl(['pkey', '-in', leaf.keyPath]) }], minVersion: version, maxVersion: version }).accept();
    const client = new TlsClient({ servername: 'localhost', ca: root.pem }).connect();
    doHandshake({ client, server });
    assert.equal(client.info?.authorized, true, version);
    assert.equal(client.info?.version, version);
  }
});
