/**
 * .NET SslStream's Schannel calls (test/consumers/dotnet-sslstream.ts) against real peers on 127.0.0.1, with the
 * peer's bytes delivered whole, one byte at a time and in random chunks: the client against openssl s_server -www
 * and a node:tls echo server, the server against openssl s_client and node:tls clients. Covers AllowTlsResume
 * (all three switches .NET uses), a required client certificate present and absent, TLS 1.3
 * NegotiateClientCertificateAsync, ALPN and shutdown.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { getPki, type Pki } from '../helpers/pki.js';
import { requirePeer, spawnPeer, withPeer, type Peer } from '../helpers/peers.js';
import * as S from '../../src/sspi/index.js';
import { DotnetError, DotnetSslStream, acquireCredentials, type SslAuthenticationOptions } from './dotnet-sslstream.js';
import { DELIVERIES, Wire, listenWire, type Delivery } from './wire.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const portOf = (p: Peer): number => Number((p.ready as RegExpMatchArray)[1]);

function sServer(extra: string[] = []): Promise<Peer> {
  requirePeer('openssl', 'openssl');
  return spawnPeer('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', pki.server.p256.chainPath, '-key', pki.server.p256.keyPath, ...extra], {
    readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/,
    stream: 'stdout',
    name: `s_server ${extra.join(' ')}`,
  });
}

const clientOpts = (o: Partial<SslAuthenticationOptions> = {}): SslAuthenticationOptions => ({ isServer: false, targetHost: 'localhost', trustedCaPem: pki.ca.certPem, ...o });

async function readAll(s: DotnetSslStream, until?: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 100_000; i++) {
    const b = await s.read();
    if (b.length === 0) break;
    text += dec(b);
    if (until?.test(text) === true) break;
  }
  return text;
}

async function get(port: number, delivery: Delivery, o: SslAuthenticationOptions, cred?: S.CredHandle): Promise<{ s: DotnetSslStream; page: string }> {
  const wire = await Wire.connect(port, delivery, port + 3);
  try {
    const s = new DotnetSslStream(wire, o, cred);
    await s.authenticate();
    s.write(enc('GET / HTTP/1.0\r\n\r\n'));
    return { s, page: await readAll(s) };
  } finally {
    wire.destroy();
  }
}

/** Poll a condition (bounded, 10 s): for effects that print nothing, such as s_client writing -sess_out. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const has = (page: string, re: RegExp): void => assert.ok(re.test(page), `${re} not in: ${page.slice(-500)}`);

for (const delivery of DELIVERIES) {
  test(`.NET client ↔ openssl s_server -www, ${delivery}: TLS 1.3 page, close_notify, our own chain check`, async () => {
    await withPeer(sServer(['-www']), async (srv) => {
      const { s, page } = await get(portOf(srv), delivery, clientOpts());
      has(page, /New, TLSv1\.3,/);
      assert.ok(s.closeNotify);
      assert.equal(s.info().protocol, S.SP_PROT_TLS1_3_CLIENT);
    });
  });

  test(`.NET server ↔ node:tls client, ${delivery}: echo with ALPN h2, a required client certificate, shutdown`, async () => {
    const srv = await listenWire(delivery, 5);
    try {
      const cred = acquireCredentials({ isServer: true, certificate: S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem) });
      const serverSide = (async () => {
        const wire = await srv.accept();
        const s = new DotnetSslStream(wire, { isServer: true, remoteCertRequired: true, trustedCaPem: pki.ca.certPem, alpn: ['h2', 'http/1.1'] }, cred);
        await s.authenticate();
        const got = await readAll(s, /ping\n/);
        s.write(enc(`echo:${got}`));
        s.shutdown();
        return s.info();
      })();
      const c = tls.connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, cert: pki.client.chainPem, key: pki.client.keyPem, ALPNProtocols: ['h2'] });
      try {
        await new Promise<void>((resolve, reject) => {
          c.once('secureConnect', resolve);
          c.once('error', reject);
        });
        assert.equal(c.alpnProtocol, 'h2');
        c.write('ping\n');
        const reply = await new Promise<string>((resolve, reject) => {
          let t = '';
          c.on('data', (d: Buffer) => (t += d.toString()));
          c.on('end', () => resolve(t));
          c.on('error', reject);
        });
        assert.equal(reply, 'echo:ping\n');
        const info = await serverSide;
        assert.equal(info.alpn, 'h2');
      } finally {
        c.destroy();
      }
    } finally {
      await srv.close();
    }
  });
}

test('.NET AllowTlsResume: true resumes the second connection; false (lifespan -1 + ApplyControlToken after the first ISC) never does', async () => {
  await withPeer(sServer(['-www']), async (srv) => {
    const cred = acquireCredentials(clientOpts());
    await get(portOf(srv), 'whole', clientOpts(), cred);
    const second = await get(portOf(srv), 'random', clientOpts(), cred);
    has(second.page, /Reused, TLSv1\.3/);
    assert.ok(second.s.info().resumed);
    const noResume = clientOpts({ allowTlsResume: false });
    const cred2 = acquireCredentials(noResume);
    await get(portOf(srv), 'whole', noResume, cred2);
    const again = await get(portOf(srv), 'byte', noResume, cred2);
    has(again.page, /New, TLSv1\.3/);
    assert.ok(!again.s.info().resumed);
  });
});

test('.NET server AllowTlsResume = false (SCH_CRED_DISABLE_RECONNECTS) ↔ openssl s_client -sess_out/-sess_in: never "Reused", TLS 1.3 and 1.2', async () => {
  requirePeer('openssl', 'openssl');
  for (const [flag, protocols] of [['-tls1_3', S.SP_PROT_TLS1_3_SERVER], ['-tls1_2', S.SP_PROT_TLS1_2_SERVER]] as const) {
    for (const allowTlsResume of [true, false]) {
      const srv = await listenWire('random', 9);
      try {
        const o: SslAuthenticationOptions = { isServer: true, allowTlsResume, protocols, certificate: S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem) };
        const cred = acquireCredentials(o);
        const serve = async (): Promise<boolean> => {
          const wire = await srv.accept();
          const s = new DotnetSslStream(wire, o, cred);
          await s.authenticate();
          s.write(enc('dotnet-says-hello\n'));
          await readAll(s);
          wire.destroy();
          return s.info().resumed;
        };
        const sess = join(pki.dir, `dotnet-sess-${srv.port}.pem`);
        const base = ['s_client', flag, '-connect', `127.0.0.1:${srv.port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost'];
        const first = serve();
        const c1 = await spawnPeer('openssl', [...base, '-sess_out', sess], { name: 's_client 1' });
        // TLS 1.3 without reconnects: no NewSessionTicket at all, so s_client has no session to save.
        const noTicket = flag === '-tls1_3' && !allowTlsResume;
        await withPeer(c1, async () => {
          await c1.waitFor(/dotnet-says-hello/, 10_000, 'stdout');
          if (!noTicket) await until(() => existsSync(sess), 'the session file');
          c1.closeStdin();
          await c1.waitExit(10_000);
        });
        assert.equal(await first, false);
        if (noTicket) {
          assert.equal(existsSync(sess), false, 'no ticket was issued');
          continue;
        }
        const second = serve();
        const c2 = await spawnPeer('openssl', [...base, '-sess_in', sess], { name: 's_client 2' });
        await withPeer(c2, async () => {
          await c2.waitFor(/dotnet-says-hello/, 10_000, 'stdout');
          if (allowTlsResume) assert.match(c2.stdout(), /Reused, TLSv1\.[23]/);
          else assert.match(c2.stdout(), /New, TLSv1\.[23]/);
          c2.closeStdin();
          await c2.waitExit(10_000);
        });
        assert.equal(await second, allowTlsResume, `${flag} allowTlsResume=${allowTlsResume}`);
      } finally {
        await srv.close();
      }
    }
  }
});

test('.NET server with a required client certificate ↔ openssl s_client without one: Schannel completes, SslStream refuses (RemoteCertificateNotAvailable)', async () => {
  requirePeer('openssl', 'openssl');
  const srv = await listenWire('whole', 13);
  try {
    const o: SslAuthenticationOptions = { isServer: true, remoteCertRequired: true, trustedCaPem: pki.ca.certPem, certificate: S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem) };
    const serverSide = (async () => {
      const wire = await srv.accept();
      const s = new DotnetSslStream(wire, o);
      try {
        await s.authenticate();
        return 'authenticated';
      } catch (e) {
        return e instanceof DotnetError ? e.message : String(e);
      } finally {
        setTimeout(() => wire.destroy(), 200).unref();
      }
    })();
    const c = await spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost'], { name: 's_client' });
    await withPeer(c, async () => {
      assert.match(await serverSide, /RemoteCertificateNotAvailable \(0x8009030e\)/);
      await c.waitFor(/alert certificate required|certificate required/i, 10_000);
    });
  } finally {
    await srv.close();
  }
});

test('.NET NegotiateClientCertificateAsync (TLS 1.3 post-handshake auth) ↔ openssl s_client -enable_pha -cert', async () => {
  requirePeer('openssl', 'openssl');
  const srv = await listenWire('random', 17);
  try {
    const o: SslAuthenticationOptions = { isServer: true, remoteCertRequired: true, trustedCaPem: pki.ca.certPem, certificate: S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem) };
    const serverSide = (async () => {
      const wire = await srv.accept();
      const s = new DotnetSslStream(wire, { ...o, remoteCertRequired: false }, acquireCredentials(o));
      await s.authenticate();
      const first = await readAll(s, /before\n/);
      (s as unknown as { o: SslAuthenticationOptions }).o = o; // NegotiateClientCertificateAsync sets RemoteCertRequired
      await s.negotiateClientCertificate();
      const peer = new S.Ref<S.CertContext | null>(null);
      const st = S.QueryContextAttributes(s.ctx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, peer);
      s.write(enc('got-cert\n'));
      wire.destroy();
      return { first, st, subject: peer.value?.subject ?? '' };
    })();
    const c = await spawnPeer('openssl', ['s_client', '-enable_pha', '-cert', pki.client.chainPath, '-key', pki.client.keyPath, '-connect', `127.0.0.1:${srv.port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost'], { name: 's_client -enable_pha' });
    await withPeer(c, async () => {
      await c.waitFor(/Verify return code: 0/, 10_000, 'stdout');
      c.write('before\n');
      const r = await serverSide;
      assert.equal(r.first, 'before\n');
      assert.equal(r.st, S.SEC_E_OK);
      assert.match(r.subject, /CN=/);
      await c.waitFor(/got-cert/, 10_000, 'stdout');
    });
  } finally {
    await srv.close();
  }
});
