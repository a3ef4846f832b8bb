/**
 * EAP-TLS in our RADIUS server (examples/radius-eap-server.ts over examples/eap-tls.ts) authenticating Debian's
 * eapol_test (wpa_supplicant's EAP peer + a RADIUS client) with a client certificate, over TLS 1.3 (RFC 9190) and
 * TLS 1.2 (RFC 5216). Both sides fragment (our 400-byte fragments, eapol_test's fragment_size=300), eapol_test checks
 * our certificate and its name (domain_match), and it must print SUCCESS, "MPPE keys OK: 1  mismatch: 0" and, in its
 * debug output, the same MSK and EMSK we derived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsServer } from '../../src/index.js';
import { RadiusEapServer, decryptMppeKey, encryptMppeKey, type RadiusResult } from '../../examples/radius-eap-server.js';
import { EapTlsServerSession, MAX_TLS_MESSAGE } from '../../examples/eap-tls.js';
import { getPki, type Pki, type LeafFiles } from '../helpers/pki.js';
import { annotate, projectRoot, requirePeer, runPeer, spawnPeer } from '../helpers/peers.js';

const SECRET = 'sspi-tls radius secret';

interface Supplicant {
  readonly cert?: LeafFiles;
  readonly domain?: string;
  readonly secret?: string;
  readonly timeoutS?: number;
  /** Ask for EAP-Key-Name (the EAP Session-Id) and compare it with the one eapol_test derived. */
  readonly keyName?: boolean;
  /** Re-authentications after the first (eapol_test -r): wpa_supplicant resumes its TLS session for them. */
  readonly reauth?: number;
}

async function eapolTest(pki: Pki, port: number, s: Supplicant = {}) {
  const bin = requirePeer('eapol_test', 'eapoltest');
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-eapol-'));
  const cert = s.cert ?? pki.client;
  try {
    const conf = join(dir, 'eap-tls.conf');
    writeFileSync(conf, [
      'network={',
      '  ssid="sspi-tls"',
      '  key_mgmt=WPA-EAP',
      '  eap=TLS',
      '  identity="alice@example.test"',
      `  ca_cert="${pki.ca.certPath}"`,
      `  client_cert="${cert.certPath}"`,
      `  private_key="${cert.keyPath}"`,
      `  domain_match="${s.domain ?? 'localhost'}"`,
      '  phase1="tls_disable_tlsv1_3=0"',
      '  fragment_size=300',
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'));
    const timeout = s.timeoutS ?? 10;
    return await runPeer(bin, ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-s', s.secret ?? SECRET, '-t', String(timeout), '-r', String(s.reauth ?? 0), ...(s.keyName === true ? ['-e'] : [])], {
      name: 'eapol_test',
      timeoutMs: (timeout + 10) * 1000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The hex of one of eapol_test's debug hexdumps, e.g. "EAP-TLS: Derived key". */
function hexdump(output: string, label: string): string | undefined {
  const m = output.match(new RegExp(`${label} - hexdump\\(len=\\d+\\): ([0-9a-f ]+)`));
  return m?.[1]?.replace(/ /g, '');
}

async function withRadius<T>(
  pki: Pki,
  maxVersion: 'TLSv1.2' | 'TLSv1.3',
  fn: (port: number, results: RadiusResult[]) => Promise<T>,
  ticketCount = 0,
): Promise<T> {
  const tls = new TlsServer({
    certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }],
    ca: pki.ca.certPem,
    clientAuth: 'required',
    ticketCount,
    maxVersion,
  });
  const results: RadiusResult[] = [];
  const server = new RadiusEapServer({ secret: SECRET, tls, fragmentSize: 400, onResult: (r) => results.push(r) });
  const port = await server.listen(0);
  try {
    return await fn(port, results);
  } finally {
    await server.close();
  }
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`EAP-TLS ${version}: eapol_test authenticates with its client certificate; same MSK and EMSK on both sides`, async () => {
    const pki = await getPki();
    await withRadius(pki, version, async (port, results) => {
      const r = await eapolTest(pki, port, { keyName: version === 'TLSv1.3' });
      try {
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^SUCCESS$/m);
        assert.match(r.stdout, /MPPE keys OK: 1 {2}mismatch: 0/);
        assert.match(r.stdout, new RegExp(`SSL: Using TLS version ${version.replace('.', '\\.')}`));
        // Fragmentation both ways: our first fragment carries L and M, theirs needed our acknowledgements.
        assert.match(r.stdout, /SSL: Received packet\(len=\d+\) - Flags 0xc0/);
        assert.match(r.stdout, /SSL: sending 300 bytes, more fragments will follow/);
        assert.equal(results.length, 1);
        const res = results[0] as RadiusResult;
        assert.equal(res.accepted, true, res.reason);
        assert.equal(res.identity, 'alice@example.test');
        assert.equal(res.info?.version, version);
        assert.ok(res.msk && res.emsk);
        assert.equal(hexdump(r.stdout, 'EAP-TLS: Derived key'), Buffer.from(res.msk).toString('hex'), 'MSK');
        assert.equal(hexdump(r.stdout, 'EAP-TLS: Derived EMSK'), Buffer.from(res.emsk).toString('hex'), 'EMSK');
        assert.equal(hexdump(r.stdout, 'MS-MPPE-Recv-Key \\(crypt\\)'), Buffer.from(res.msk.subarray(0, 32)).toString('hex'));
        assert.equal(hexdump(r.stdout, 'MS-MPPE-Send-Key \\(sign\\)'), Buffer.from(res.msk.subarray(32, 64)).toString('hex'));
        if (version === 'TLSv1.3') {
          // RFC 9190 §2.3 Session-Id (0x0D ‖ Method-Id), returned as EAP-Key-Name (RFC 4072) and checked by eapol_test.
          assert.match(r.stdout, /Locally derived EAP Session-Id matches EAP-Key-Name from server/);
        }
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- eapol_test output (tail) ---\n${r.output.split('\n').slice(-60).join('\n')}`, { cause: e });
      }
    });
  });
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`EAP-TLS ${version} resumption: eapol_test re-authenticates by resuming its TLS session`, async () => {
    const pki = await getPki();
    await withRadius(pki, version, async (port, results) => {
      const r = await eapolTest(pki, port, { reauth: 1 });
      try {
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^SUCCESS$/m);
        assert.match(r.stdout, /MPPE keys OK: 2 {2}mismatch: 0/);
        assert.match(r.stdout, /OpenSSL: Handshake finished - resumed=0[\s\S]*OpenSSL: Handshake finished - resumed=1/);
        assert.deepEqual(results.map((x) => [x.accepted, x.info?.version, x.info?.resumed]), [[true, version, false], [true, version, true]]);
        assert.ok((results[1]?.info?.peerCertificates.length ?? 0) > 0, 'the resumed session still names the client certificate');
        assert.notDeepEqual(results[0]?.msk, results[1]?.msk, 'fresh keys for the resumed session');
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- eapol_test output (tail) ---\n${r.output.split('\n').slice(-60).join('\n')}`, { cause: e });
      }
    }, 1);
  });
}

test('EAP-TLS: eapol_test refuses our certificate for another name (domain_match)', async () => {
  const pki = await getPki();
  await withRadius(pki, 'TLSv1.3', async (port, results) => {
    const r = await eapolTest(pki, port, { domain: 'radius.example.com' });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /^FAILURE$/m);
    assert.match(r.stdout, /CTRL-EVENT-EAP-TLS-CERT-ERROR reason=\d+ depth=0 subject='[^']*CN=localhost' err='Domain mismatch'/);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.accepted, false, "the peer's alert ends the conversation with EAP-Failure");
    assert.match(String(results[0]?.reason), /received fatal alert/);
  });
});

test('EAP-TLS: our server rejects a client certificate from an unknown CA (Access-Reject, EAP-Failure)', async () => {
  const pki = await getPki();
  await withRadius(pki, 'TLSv1.3', async (port, results) => {
    const r = await eapolTest(pki, port, { cert: pki.untrustedClient });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /^FAILURE$/m);
    assert.match(r.stdout, /code=3 \(Access-Reject\)/);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.accepted, false);
    assert.match(String(results[0]?.reason), /TLS: /);
  });
});

test('EAP-TLS: a wrong RADIUS secret gets no answer (Message-Authenticator checked, packets discarded)', async () => {
  const pki = await getPki();
  await withRadius(pki, 'TLSv1.3', async (port, results) => {
    const r = await eapolTest(pki, port, { secret: 'not the secret', timeoutS: 2 });
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /Received RADIUS message/);
    assert.equal(results.length, 0);
  });
});

test('EAP-TLS: the README command, node dist/examples/radius-eap-server.js, with eapol_test', async () => {
  const pki = await getPki();
  const p = await spawnPeer(process.execPath, [join(projectRoot, 'dist', 'examples', 'radius-eap-server.js'), '--port', '0', '--secret', SECRET,
    '--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, '--ca', pki.ca.certPath], {
    name: 'radius-eap-server example', readyPattern: /READY (\d+)/, stream: 'stdout',
  });
  try {
    const r = await eapolTest(pki, Number(p.ready?.[1]));
    assert.match(r.stdout, /^SUCCESS$/m, r.output.split('\n').slice(-40).join('\n'));
    await p.waitFor(/^accept alice@example\.test TLSv1\.3 TLS_\w+ .*CN=test client/m);
  } catch (e) {
    throw annotate(e, [p]);
  } finally {
    await p.stop();
  }
});

test('MS-MPPE key encryption (RFC 2548 §2.4.2) round-trips, salt first with its high bit set', () => {
  const key = new Uint8Array(32).map((_, i) => i);
  const auth = new Uint8Array(16).fill(7);
  const enc = encryptMppeKey(key, 's3cret', auth, Buffer.from([0x80, 0x01]));
  assert.equal(enc.length, 2 + 48);
  assert.equal(enc[0], 0x80);
  assert.deepEqual(new Uint8Array(decryptMppeKey(enc, 's3cret', auth)), key);
  assert.notDeepEqual(new Uint8Array(decryptMppeKey(enc, 'other', auth)), key);
});

test('EAP-TLS framing: bounds and order are enforced before any TLS work', async () => {
  const pki = await getPki();
  const tls = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }] });
  const start = (): { s: EapTlsServerSession; id: number } => {
    const s = new EapTlsServerSession({ tls });
    const out = s.handle(new Uint8Array([2, 1, 0, 9, 1, 0x61, 0x6c, 0x69, 0x63]));
    assert.equal(out.kind, 'request');
    assert.equal(out.packet[5], 0x20, 'EAP-TLS Start');
    return { s, id: out.packet[1] as number };
  };
  const tlsResponse = (id: number, flags: number, data: Uint8Array, total?: number): Uint8Array => {
    const head = total !== undefined ? 10 : 6;
    const p = new Uint8Array(head + data.length);
    p.set([2, id, p.length >> 8, p.length & 0xff, 13, flags]);
    if (total !== undefined) new DataView(p.buffer).setUint32(6, total);
    p.set(data, head);
    return p;
  };
  {
    const { s, id } = start();
    const out = s.handle(tlsResponse(id, 0xc0, new Uint8Array(10), MAX_TLS_MESSAGE + 1));
    assert.equal(out.kind, 'failure');
    assert.match(out.kind === 'failure' ? out.reason : '', /exceeds/);
  }
  {
    const { s, id } = start();
    assert.equal(s.handle(tlsResponse((id + 1) & 0xff, 0, new Uint8Array(10))).kind, 'failure', 'wrong Identifier');
  }
  {
    const { s, id } = start();
    const ack = s.handle(tlsResponse(id, 0xc0, new Uint8Array(10), 15));
    assert.equal(ack.kind, 'request');
    assert.equal(ack.packet.length, 6, 'an empty acknowledgement');
    const out = s.handle(tlsResponse(ack.packet[1] as number, 0, new Uint8Array(10)));
    assert.equal(out.kind, 'failure', 'more bytes than the TLS Message Length');
  }
  {
    const { s, id } = start();
    const p = tlsResponse(id, 0, new Uint8Array(10));
    p[3] = (p[3] as number) + 1;
    assert.equal(s.handle(p).kind, 'failure', 'EAP Length mismatch');
  }
});
