/**
 * The SDK webserver.c loop (test/consumers/sdk-webserver.ts) serving real clients — the curl binary, gnutls-cli and
 * openssl s_client — with the client's bytes delivered to the loop whole, one byte at a time and in random chunks;
 * and MsQuic's credential calls (SCH_CREDENTIALS + SetCredentialsAttributes(SECPKG_ATTR_SESSION_TICKET_KEYS)) on
 * the same loop, proven with s_client -sess_out / -sess_in across two server credentials.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { getPki, type Pki } from '../helpers/pki.js';
import { requirePeer, spawnPeer, withPeer } from '../helpers/peers.js';
import * as S from '../../src/sspi/index.js';
import { serveOne, type WebServerResult } from './sdk-webserver.js';
import { DELIVERIES, listenWire, type Delivery, type WireServer } from './wire.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

/** The SDK sample's credential (SCHANNEL_CRED with the certificate) or MsQuic's (SCH_CREDENTIALS, TLS 1.3). */
function serverCred(kind: 'sdk' | 'msquic', o: { clientAuth?: boolean } = {}): S.CredHandle {
  const cert = S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem);
  const h = new S.CredHandle();
  let st: number;
  if (kind === 'sdk') {
    const c = new S.SCHANNEL_CRED();
    c.cCreds = 1;
    c.paCred = [cert];
    if (o.clientAuth === true) c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
    st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, c, null, null, h, null);
  } else {
    const tp = new S.TLS_PARAMETERS();
    tp.grbitDisabledProtocols = (~S.SP_PROT_TLS1_3_SERVER) >>> 0;
    const c = new S.SCH_CREDENTIALS();
    c.dwFlags = S.SCH_CRED_NO_SYSTEM_MAPPER;
    c.cCreds = 1;
    c.paCred = [cert];
    c.cTlsParameters = 1;
    c.pTlsParameters = [tp];
    st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, c, null, null, h, null);
  }
  assert.equal(st, S.SEC_E_OK);
  return h;
}

async function withServer<T>(delivery: Delivery, fn: (srv: WireServer) => Promise<T>): Promise<T> {
  const srv = await listenWire(delivery, 21);
  try {
    return await fn(srv);
  } finally {
    await srv.close();
  }
}

async function serveWith(srv: WireServer, cred: S.CredHandle, clientAuth = false): Promise<WebServerResult> {
  const wire = await srv.accept();
  try {
    return await serveOne(wire, cred, clientAuth);
  } finally {
    setTimeout(() => wire.destroy(), 100).unref();
  }
}

for (const delivery of DELIVERIES) {
  test(`webserver.c ↔ curl, ${delivery}: TLS 1.3 and --tls-max 1.2 (SCHANNEL_CRED serves 1.2), page and close_notify`, async () => {
    requirePeer('curl', 'curl');
    for (const tlsMax of [[], ['--tls-max', '1.2']]) {
      await withServer(delivery, async (srv) => {
        const cred = serverCred(tlsMax.length === 0 ? 'msquic' : 'sdk');
        const served = serveWith(srv, cred);
        const c = await spawnPeer('curl', ['-sS', ...tlsMax, '--cacert', pki.ca.certPath, '--resolve', `localhost:${srv.port}:127.0.0.1`, `https://localhost:${srv.port}/sdk`], { name: 'curl' });
        await withPeer(c, async () => {
          const exit = await c.waitExit(15_000);
          assert.equal(exit.code, 0, c.tail());
          assert.match(c.stdout(), /webserver\.c port: reconnect=0/);
        });
        const r = await served;
        assert.match(r.request, /^GET \/sdk HTTP\/1\.1\r\n/);
        assert.equal(r.protocol, tlsMax.length === 0 ? S.SP_PROT_TLS1_3_SERVER : S.SP_PROT_TLS1_2_SERVER);
      });
    }
  });
}

test('webserver.c with client authentication ↔ curl --cert: the certificate is seen; without one the loop still completes', async () => {
  requirePeer('curl', 'curl');
  for (const withCert of [true, false]) {
    await withServer('random', async (srv) => {
      const served = serveWith(srv, serverCred('sdk', { clientAuth: true }), true);
      const certArgs = withCert ? ['--cert', pki.client.chainPath, '--key', pki.client.keyPath] : [];
      const c = await spawnPeer('curl', ['-sS', ...certArgs, '--cacert', pki.ca.certPath, '--resolve', `localhost:${srv.port}:127.0.0.1`, `https://localhost:${srv.port}/auth`], { name: 'curl --cert' });
      await withPeer(c, async () => {
        assert.equal((await c.waitExit(15_000)).code, 0, c.tail());
        assert.match(c.stdout(), new RegExp(`clientcert=${withCert ? 1 : 0}`));
      });
      assert.equal((await served).clientCertificate, withCert);
    });
  }
});

test('webserver.c ↔ gnutls-cli, byte delivery: request and page', async () => {
  requirePeer('gnutls-cli', 'gnutls-bin');
  await withServer('byte', async (srv) => {
    const served = serveWith(srv, serverCred('msquic'));
    const c = await spawnPeer('gnutls-cli', ['--x509cafile', pki.ca.certPath, '-p', String(srv.port), 'localhost'], { stdin: 'GET /gnutls HTTP/1.0\r\n\r\n', name: 'gnutls-cli' });
    await withPeer(c, async () => {
      await c.waitFor(/webserver\.c port/, 15_000, 'stdout');
    });
    assert.match((await served).request, /GET \/gnutls/);
  });
});

test('MsQuic ticket keys: s_client resumes on a second credential that accepts the first one\'s key, not on one that does not', async () => {
  requirePeer('openssl', 'openssl');
  const key = (id: number): S.SecPkgCred_SessionTicketKey => {
    const k = new S.SecPkgCred_SessionTicketKey();
    k.KeyId = new Uint8Array(16).fill(id);
    k.KeyingMaterial = new Uint8Array(64).map((_, i) => (i * 13 + id) & 0xff);
    k.KeyingMaterialSize = 64;
    return k;
  };
  const keys = (...ks: S.SecPkgCred_SessionTicketKey[]): S.SecPkgCred_SessionTicketKeys => Object.assign(new S.SecPkgCred_SessionTicketKeys(), { cSessionTicketKeys: ks.length, pSessionTicketKeys: ks });
  const first = serverCred('msquic');
  assert.equal(S.SetCredentialsAttributes(first, S.SECPKG_ATTR_SESSION_TICKET_KEYS, keys(key(1)), 16), S.SEC_E_OK);
  const rotated = serverCred('msquic');
  assert.equal(S.SetCredentialsAttributes(rotated, S.SECPKG_ATTR_SESSION_TICKET_KEYS, keys(key(2), key(1)), 16), S.SEC_E_OK);
  const other = serverCred('msquic');
  assert.equal(S.SetCredentialsAttributes(other, S.SECPKG_ATTR_SESSION_TICKET_KEYS, keys(key(3)), 16), S.SEC_E_OK);
  const sess = join(pki.dir, `msquic-sess-${process.pid}.pem`);
  const run = async (cred: S.CredHandle, args: string[]): Promise<{ out: string; r: WebServerResult }> =>
    withServer('random', async (srv) => {
      const served = serveWith(srv, cred);
      const c = await spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-ign_eof', ...args], { stdin: 'GET /quic HTTP/1.0\r\n\r\n', name: 's_client' });
      return withPeer(c, async () => {
        await c.waitFor(/webserver\.c port/, 15_000, 'stdout');
        await c.waitExit(15_000);
        return { out: c.stdout(), r: await served };
      });
    });
  const a = await run(first, ['-sess_out', sess]);
  assert.match(a.out, /New, TLSv1\.3/);
  assert.ok(existsSync(sess));
  const b = await run(rotated, ['-sess_in', sess]);
  assert.match(b.out, /Reused, TLSv1\.3/);
  assert.ok(b.r.resumed);
  const c = await run(other, ['-sess_in', sess]);
  assert.match(c.out, /New, TLSv1\.3/);
  assert.ok(!c.r.resumed);
});
