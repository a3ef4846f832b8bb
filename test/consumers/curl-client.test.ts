/**
 * curl's Schannel client call sequence (test/consumers/curl-schannel.ts) against real servers on 127.0.0.1 —
 * openssl s_server -www, gnutls-serv --http and a node:tls server — with the server's bytes delivered whole, one
 * byte at a time and in random chunks. Each test asserts on the peer's own output (the request it logged, the
 * close_notify it saw) and on the SSPI results curl reads (ret_flags == req_flags, ALPN, protocol, reconnect).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { getPki, type Pki } from '../helpers/pki.js';
import { gnutlsServer, requirePeer, spawnPeer, withPeer, type Peer } from '../helpers/peers.js';
import * as S from '../../src/sspi/index.js';
import { CurlError, CurlSchannel, type CurlSchannelOptions } from './curl-schannel.js';
import { DELIVERIES, Wire, type Delivery } from './wire.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Read until close_notify or `until` matches (bounded by the wire's timeouts). */
async function readResponse(c: CurlSchannel, until?: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 100_000; i++) {
    const b = await c.recv(16384);
    if (b.length === 0) break;
    text += dec(b);
    if (until !== undefined && until.test(text)) break;
  }
  return text;
}

function opensslServer(extra: string[] = []): Promise<Peer> {
  requirePeer('openssl', 'openssl');
  return spawnPeer('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', pki.server.p256.chainPath, '-key', pki.server.p256.keyPath, ...extra], {
    readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/,
    stream: 'stdout',
    name: `s_server ${extra.join(' ')}`,
  });
}

/** A pattern the peer's page must contain (the page itself is too long for a failure message). */
function has(page: string, re: RegExp): void {
  assert.ok(re.test(page), `${re} not in the page: ${page.slice(0, 200)}…${page.slice(-400)}`);
}

const portOf = (p: Peer): number => Number((p.ready as RegExpMatchArray)[1]);
const base = (): CurlSchannelOptions => ({ host: 'localhost', caPem: pki.ca.certPem });

/** curl's GET over a fresh connection: connect, send, read the page, shutdown. */
async function curlGet(port: number, delivery: Delivery, o: CurlSchannelOptions, path = '/'): Promise<{ c: CurlSchannel; page: string }> {
  const wire = await Wire.connect(port, delivery, port);
  const c = new CurlSchannel(wire, o);
  try {
    await c.connect();
    c.sendAll(enc(`GET ${path} HTTP/1.0\r\nHost: ${o.host}\r\n\r\n`));
    const page = await readResponse(c);
    return { c, page };
  } finally {
    wire.destroy();
  }
}

for (const delivery of DELIVERIES) {
  test(`curl ↔ openssl s_server -www (TLS 1.3), ${delivery}: page, ret_flags == req_flags, close_notify received`, async () => {
    await withPeer(opensslServer(['-www']), async (srv) => {
      const { c, page } = await curlGet(portOf(srv), delivery, base());
      assert.match(page, /HTTP\/1\.0 200 ok/);
      has(page, /New, TLSv1\.3,/);
      assert.equal(c.retFlags.value, c.reqFlags);
      assert.equal(c.connectionInfo().dwProtocol, S.SP_PROT_TLS1_3_CLIENT);
      assert.ok(c.closeNotify, 's_server -www ends with close_notify');
    });
  });

  test(`curl ↔ gnutls-serv --http, ${delivery}: page through ALPN http/1.1; curl's close_notify reaches the server`, async () => {
    const srv = await gnutlsServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['--http', '--alpn', 'http/1.1'] });
    await withPeer(srv, async () => {
      const port = srv.port;
      const wire = await Wire.connect(port, delivery, 7);
      const c = new CurlSchannel(wire, { ...base(), alpn: ['h2', 'http/1.1'] });
      try {
        await c.connect();
        assert.equal(c.alpnSelected, 'http/1.1');
        c.sendAll(enc('GET / HTTP/1.0\r\n\r\n'));
        const page = await readResponse(c, /<\/HTML>|<\/html>/);
        assert.match(page, /HTTP\/1\.[01] 200/);
        has(page, /TLS1\.3/);
        const cn = c.shutdown();
        assert.equal(cn[0], 23, 'TLS 1.3: close_notify is an encrypted record');
      } finally {
        wire.destroy();
      }
    });
  });

  test(`curl ↔ node:tls server, ${delivery}: 100 KiB echoed in records of cbMaximumMessage, close_notify seen by node`, async () => {
    const ended = { value: false };
    const server = tls.createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => {
        ended.value = true;
        s.end();
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const wire = await Wire.connect(port, delivery, 11);
      const c = new CurlSchannel(wire, base());
      try {
        await c.connect();
        const payload = new Uint8Array(100 * 1024).map((_, i) => (i * 31) & 0xff);
        c.sendAll(payload);
        const got: Uint8Array[] = [];
        let n = 0;
        while (n < payload.length) {
          const b = await c.recv(payload.length - n);
          assert.ok(b.length > 0);
          got.push(b);
          n += b.length;
        }
        assert.deepEqual(Buffer.concat(got), Buffer.from(payload));
        c.shutdown();
        await readResponse(c); // node answers with its own close_notify
        assert.ok(c.closeNotify);
        assert.ok(ended.value, 'node saw the close_notify as end of stream');
      } finally {
        wire.destroy();
      }
    } finally {
      server.close();
    }
  });
}

test('curl --tls-max 1.2 ↔ openssl s_server -www: TLS 1.2 through SCH_CREDENTIALS.grbitDisabledProtocols', async () => {
  await withPeer(opensslServer(['-www']), async (srv) => {
    const { c, page } = await curlGet(portOf(srv), 'random', { ...base(), tlsMax12: true });
    has(page, /New, TLSv1\.2,/);
    assert.equal(c.connectionInfo().dwProtocol, S.SP_PROT_TLS1_2_CLIENT);
  });
});

test('curl --ciphers (legacy SCHANNEL_CRED + palgSupportedAlgs) ↔ a TLS 1.3 server: TLS 1.2 is negotiated, never 1.3', async () => {
  await withPeer(opensslServer(['-www']), async (srv) => {
    const { c, page } = await curlGet(portOf(srv), 'whole', { ...base(), cipherList: 'CALG_AES_256:CALG_ECDH_EPHEM:CALG_ECDSA:CALG_SHA_384:USE_STRONG_CRYPTO' });
    has(page, /New, TLSv1\.2,/);
    has(page, /Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
    assert.equal(c.connectionInfo().dwProtocol, S.SP_PROT_TLS1_2_CLIENT);
  });
});

test('curl with --cacert sets MANUAL_CRED_VALIDATION | REVOCATION_CHECK_CHAIN: no staple needed, curl checks the chain itself', async () => {
  await withPeer(opensslServer(['-www', '-tls1_2']), async (srv) => {
    const { page } = await curlGet(portOf(srv), 'whole', base());
    assert.match(page, /HTTP\/1\.0 200 ok/);
  });
  await withPeer(opensslServer(['-www']), async (srv) => {
    // The wrong CA: Schannel does not refuse (manual), curl's own check does.
    await assert.rejects(curlGet(portOf(srv), 'whole', { ...base(), caPem: pki.otherCa.certPem }), (e: unknown) => e instanceof CurlError && /UNTRUSTED_ROOT/.test(e.message));
  });
});

test('curl without --cacert (AUTO_CRED_VALIDATION, system roots): revoke default needs revocation data, best-effort does not', async () => {
  await withPeer(opensslServer(['-www']), async (srv) => {
    const roots = S.CertStore.fromPem(pki.ca.certPem);
    await assert.rejects(curlGet(portOf(srv), 'whole', { host: 'localhost', systemRoots: roots }), (e: unknown) => e instanceof CurlError && e.status >>> 0 === S.CRYPT_E_NO_REVOCATION_CHECK >>> 0);
  });
  await withPeer(opensslServer(['-www']), async (srv) => {
    const roots = S.CertStore.fromPem(pki.ca.certPem);
    const { page } = await curlGet(portOf(srv), 'byte', { host: 'localhost', systemRoots: roots, revoke: 'best-effort' });
    assert.match(page, /200 ok/);
  });
  await withPeer(opensslServer(['-www']), async (srv) => {
    const roots = S.CertStore.fromPem(pki.otherCa.certPem);
    await assert.rejects(curlGet(portOf(srv), 'whole', { host: 'localhost', systemRoots: roots, revoke: 'none' }), (e: unknown) => e instanceof CurlError && e.status >>> 0 === S.SEC_E_UNTRUSTED_ROOT >>> 0);
  });
});

test('curl session cache: the second connection with the same credential resumes (SSL_SESSION_RECONNECT)', async () => {
  await withPeer(opensslServer(['-www']), async (srv) => {
    const cred = CurlSchannel.acquire(base());
    const first = await curlGet(portOf(srv), 'whole', { ...base(), credential: cred });
    assert.equal(first.c.sessionFlags() & S.SSL_SESSION_RECONNECT, 0);
    const second = await curlGet(portOf(srv), 'random', { ...base(), credential: cred });
    has(second.page, /Reused, TLSv1\.3/);
    assert.equal(second.c.sessionFlags() & S.SSL_SESSION_RECONNECT, S.SSL_SESSION_RECONNECT);
  });
});

test('curl ↔ openssl s_server -verify (optional client certificate): USE_SUPPLIED_CREDS sends none; auto_client_cert goes through SEC_I_INCOMPLETE_CREDENTIALS', async () => {
  for (const version of ['-tls1_2', '-tls1_3']) {
    await withPeer(opensslServer(['-www', '-verify', '1', version]), async (srv) => {
      const { page } = await curlGet(portOf(srv), 'random', base());
      has(page, /no client certificate available/);
    });
    await withPeer(opensslServer(['-www', '-verify', '1', version]), async (srv) => {
      const { c, page } = await curlGet(portOf(srv), 'byte', { ...base(), autoClientCert: true });
      has(page, /no client certificate available/);
      assert.ok((c.reqFlags & S.ISC_REQ_USE_SUPPLIED_CREDS) !== 0, 'curl added USE_SUPPLIED_CREDS after SEC_I_INCOMPLETE_CREDENTIALS');
    });
    await withPeer(opensslServer(['-www', '-Verify', '1', '-CAfile', pki.ca.certPath, version]), async (srv) => {
      const cert = S.CertContext.fromPem(pki.client.chainPem, pki.client.keyPem);
      const { page } = await curlGet(portOf(srv), 'whole', { ...base(), clientCert: cert });
      has(page, /Client certificate/);
    });
  }
});

test('curl -k-host (verifyhost off → SCH_CRED_NO_SERVERNAME_CHECK) ↔ a server whose certificate names another host: accepted on TLS 1.3 and 1.2; with the check → SEC_E_WRONG_PRINCIPAL', async () => {
  for (const version of ['-tls1_3', '-tls1_2']) {
    const start = (): Promise<Peer> =>
      spawnPeer('openssl', ['s_server', '-www', version, '-accept', '127.0.0.1:0', '-cert', pki.wrongHost.chainPath, '-key', pki.wrongHost.keyPath], {
        readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/,
        stream: 'stdout',
        name: `s_server wrong host ${version}`,
      });
    const roots = S.CertStore.fromPem(pki.ca.certPem);
    await withPeer(start(), async (srv) => {
      const { page } = await curlGet(portOf(srv), 'whole', { host: 'localhost', systemRoots: roots, revoke: 'best-effort', verifyHost: false });
      has(page, /200 ok/);
    });
    await withPeer(start(), async (srv) => {
      await assert.rejects(curlGet(portOf(srv), 'whole', { host: 'localhost', systemRoots: roots, revoke: 'best-effort' }), (e: unknown) => e instanceof CurlError && e.status >>> 0 === S.SEC_E_WRONG_PRINCIPAL >>> 0);
    });
  }
});
