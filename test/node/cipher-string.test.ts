/** node:tls `ciphers` / `sigalgs` strings mapped onto our suites and schemes; nothing usable is an error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { mapCipherString, mapSigalgs } from '../../src/node/cipher-string.js';
import { connect } from '../../src/node/index.js';
import { makeSelfSigned } from '../../src/cli/selfsigned.js';

test('OpenSSL names, keywords, exclusions and TLS 1.3 names map to our suites in order', () => {
  assert.equal(mapCipherString('ECDHE-ECDSA-AES128-GCM-SHA256'), 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  assert.equal(
    mapCipherString('ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384'),
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'a CBC suite we do not implement is skipped, the order is kept',
  );
  const high = mapCipherString('HIGH:!aNULL:!MD5:!ECDSA').split(':');
  assert.ok(high.length > 0 && high.every((n) => n.includes('_RSA_')), high.join(':'));
  assert.equal(mapCipherString('ECDHE+AESGCM:!RSA'), 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
  assert.equal(mapCipherString('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256'), 'TLS_AES_256_GCM_SHA384:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
});

test('a cipher string that leaves none of our suites is a configuration error, never silence', () => {
  // As node:tls: without TLS 1.3 names the string only chooses TLS 1.2 suites, and TLS 1.3 keeps its defaults.
  assert.equal(mapCipherString('AES128-SHA'), '');
  assert.equal(mapCipherString('ALL@SECLEVEL=0').split(':').length, 6);
  for (const s of ['AES128-SHA', 'RC4-MD5:DES-CBC3-SHA', 'HIGH:!ECDHE', 'NULL']) {
    assert.throws(() => mapCipherString(s, false), (e: Error & { code?: string }) => e.code === 'ERR_TLS_INVALID_CONFIG' && e.message.includes(s), s);
  }
  // TLS 1.3 named, but only suites we lack, and no TLS 1.2 suite of ours.
  assert.throws(() => mapCipherString('TLS_AES_128_CCM_8_SHA256'), { code: 'ERR_TLS_INVALID_CONFIG' });
  assert.throws(() => connect({ port: 1, ciphers: 'AES128-SHA', maxVersion: 'TLSv1.2' }), { code: 'ERR_TLS_INVALID_CONFIG' });
});

test('sigalgs: IANA names and OpenSSL aliases; unknown names are an error', () => {
  assert.deepEqual(mapSigalgs('ecdsa_secp256r1_sha256:RSA-PSS+SHA256'), [0x0403, 0x0804]);
  assert.throws(() => mapSigalgs('dsa_sha1'), { code: 'ERR_TLS_INVALID_CONFIG' });
});

test('an OpenSSL-spelled TLS 1.2 suite is what a node:tls server then negotiates with our client', async () => {
  const ss = await makeSelfSigned();
  const server = nodeTls.createServer({ key: ss.keyPem, cert: ss.certPem, maxVersion: 'TLSv1.2' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const cipher = await new Promise<{ name: string; standardName: string } | undefined>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ss.certPem, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
      c.once('secureConnect', () => {
        resolve(c.getCipher());
        c.destroy();
      });
      c.once('error', reject);
    });
    // node:tls's getCipher(): `name` in OpenSSL's spelling, `standardName` the IANA one.
    assert.equal(cipher?.name, 'ECDHE-ECDSA-CHACHA20-POLY1305');
    assert.equal(cipher?.standardName, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
