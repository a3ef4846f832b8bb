/**
 * schannel-rs's own tests (src/test.rs), ported onto its call sequence (test/consumers/schannel-rs.ts): the loopback
 * tests run its client and server against each other over TCP on 127.0.0.1, and the google.com tests run against
 * openssl s_server -www instead. Names follow the Rust tests.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getPki, type Pki } from '../helpers/pki.js';
import { requirePeer, spawnPeer, withPeer, type Peer } from '../helpers/peers.js';
import * as S from '../../src/sspi/index.js';
import { RsError, TlsStream, acquire } from './schannel-rs.js';
import { Wire, listenWire, type Delivery } from './wire.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const cert = (): S.CertContext => S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem);
/** schannel-rs clients ask for ISC_REQ_MANUAL_CRED_VALIDATION and check the chain in Rust; the port does not. */
function clientCred(o: { protocols?: number; algorithms?: number[] } = {}): S.CredHandle {
  const h = acquire('outbound', o);
  return h;
}

function sServer(): Promise<Peer> {
  requirePeer('openssl', 'openssl');
  return spawnPeer('openssl', ['s_server', '-www', '-accept', '127.0.0.1:0', '-cert', pki.server.p256.chainPath, '-key', pki.server.p256.keyPath], { readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/, stream: 'stdout', name: 's_server -www' });
}

async function readToEnd(s: TlsStream): Promise<string> {
  let t = '';
  for (let b = await s.read(); b.length > 0; b = await s.read()) t += dec(b);
  return t;
}

async function getPage(port: number, cred: S.CredHandle, delivery: Delivery = 'whole'): Promise<{ s: TlsStream; page: string }> {
  const wire = await Wire.connect(port, delivery, 31);
  try {
    const s = new TlsStream(wire, cred, false, { domain: 'localhost' });
    await s.handshake();
    s.write(enc('GET / HTTP/1.0\r\n\r\n'));
    return { s, page: await readToEnd(s) };
  } finally {
    wire.destroy();
  }
}

test('schannel-rs invalid_algorithms: [Rc2, Ecdsa] → SEC_E_ALGORITHM_MISMATCH', () => {
  assert.throws(() => clientCred({ algorithms: [S.CALG_RC2, S.CALG_ECDSA] }), (e: unknown) => e instanceof RsError && e.status === S.SEC_E_ALGORITHM_MISMATCH);
});

test('schannel-rs valid_algorithms / basic / shutdown (against s_server -www): [Aes128, Ecdsa] gives an AES-128 page', async () => {
  await withPeer(sServer(), async (srv) => {
    const port = Number((srv.ready as RegExpMatchArray)[1]);
    const { page } = await getPage(port, clientCred({ algorithms: [S.CALG_AES_128, S.CALG_ECDSA] }));
    assert.match(page, /^HTTP\/1\.0 200 ok/);
    assert.match(page, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    assert.match(page, /<\/HTML>\r\n\r\n$/);
    const basic = await getPage(port, clientCred(), 'random');
    assert.match(basic.page, /New, TLSv1\.3/);
  });
});

test('schannel-rs no_session_resumed / basic_session_resumed (TLS 1.2): new credentials never resume, a shared one does', async () => {
  await withPeer(sServer(), async (srv) => {
    const port = Number((srv.ready as RegExpMatchArray)[1]);
    for (let i = 0; i < 2; i++) assert.equal((await getPage(port, clientCred())).s.sessionResumed(), false);
    const shared = clientCred({ protocols: S.SP_PROT_TLS1_2_CLIENT });
    assert.equal((await getPage(port, shared)).s.sessionResumed(), false);
    assert.equal((await getPage(port, shared)).s.sessionResumed(), true);
  });
});

for (const delivery of ['whole', 'byte'] as const) {
  test(`schannel-rs ${delivery === 'whole' ? 'accept_a_socket' : 'accept_one_byte_at_a_time'}: its client and server, 4 bytes each way, shutdown`, async () => {
    const srv = await listenWire(delivery, 41);
    try {
      const server = (async () => {
        const wire = await srv.accept();
        const s = new TlsStream(wire, acquire('inbound', { cert: cert() }), true);
        await s.handshake();
        const got = await s.read();
        s.write(Uint8Array.of(1, 2, 3, 4));
        const eof = await s.read();
        wire.destroy();
        return { got: [...got], eof: eof.length };
      })();
      const wire = await Wire.connect(srv.port, delivery, 43);
      const c = new TlsStream(wire, clientCred(), false, { domain: 'localhost' });
      await c.handshake();
      c.write(Uint8Array.of(1, 2, 3, 4));
      assert.equal((await c.read()).length, 4);
      await c.shutdown();
      const r = await server;
      assert.deepEqual(r.got, [1, 2, 3, 4]);
      assert.equal(r.eof, 0);
      wire.destroy();
    } finally {
      await srv.close();
    }
  });
}

test('schannel-rs test_loopback_alpn / test_loopback_alpn_mismatch: h2 both sides; none offered by the client → no protocol', async () => {
  for (const clientAlpn of [['h2'], undefined]) {
    const srv = await listenWire('random', 47);
    try {
      const server = (async () => {
        const wire = await srv.accept();
        const s = new TlsStream(wire, acquire('inbound', { cert: cert() }), true, { alpn: ['h2'] });
        await s.handshake();
        const p = s.negotiatedApplicationProtocol();
        await s.read();
        wire.destroy();
        return p;
      })();
      const wire = await Wire.connect(srv.port, 'random', 53);
      const c = new TlsStream(wire, clientCred(), false, { domain: 'localhost', ...(clientAlpn !== undefined ? { alpn: clientAlpn } : {}) });
      await c.handshake();
      assert.equal(c.negotiatedApplicationProtocol(), clientAlpn === undefined ? null : 'h2');
      await c.shutdown();
      assert.equal(await server, clientAlpn === undefined ? null : 'h2');
      wire.destroy();
    } finally {
      await srv.close();
    }
  }
});

test('schannel-rs test_renegotiation_corruption: 4 MiB interleaved with reads that pull in NewSessionTicket (SEC_I_RENEGOTIATE), TLS 1.2 and 1.3', async () => {
  const payload = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 5);
  for (const [cp, sp] of [
    [S.SP_PROT_TLS1_2_CLIENT, S.SP_PROT_TLS1_2_SERVER],
    [S.SP_PROT_TLS1_3_CLIENT, S.SP_PROT_TLS1_3_SERVER],
  ] as const) {
    const srv = await listenWire('random', 59);
    try {
      const server = (async () => {
        const wire = await srv.accept();
        const s = new TlsStream(wire, acquire('inbound', { cert: cert(), protocols: sp }), true);
        await s.handshake();
        const parts: Uint8Array[] = [];
        let n = 0;
        while (n < payload.length) {
          const b = await s.read();
          if (b.length === 0) break;
          parts.push(b);
          n += b.length;
        }
        wire.destroy();
        return Buffer.concat(parts);
      })();
      const wire = await Wire.connect(srv.port, 'random', 61);
      const c = new TlsStream(wire, clientCred({ protocols: cp }), false, { domain: 'localhost' });
      await c.handshake();
      // Write in slices; between slices, a read that waits for what the server sent (the tickets, TLS 1.3).
      const slice = 256 * 1024;
      for (let off = 0; off < payload.length; off += slice) {
        c.write(payload.subarray(off, off + slice));
        // After the first slice, a read that pulls in the server's NewSessionTicket (TLS 1.3).
        if (off === 0 && cp === S.SP_PROT_TLS1_3_CLIENT) assert.equal((await c.read(true)).length, 0);
      }
      const received = await server;
      assert.equal(received.length, payload.length);
      assert.ok(received.equals(Buffer.from(payload)), 'no corruption');
      if (cp === S.SP_PROT_TLS1_3_CLIENT) assert.ok(c.renegotiations >= 1, 'NewSessionTicket came through SEC_I_RENEGOTIATE');
      wire.destroy();
    } finally {
      await srv.close();
    }
  }
});
