/**
 * TLS 1.3 interop with OpenSSL's s_client and s_server (test/interop/matrix.ts lists the cases).
 * s_client/s_server take `k`/`K` lines on stdin (KeyUpdate without/with update_requested) and `Q` to quit; in their
 * default (non-quiet) mode received data goes to stdout raw, between diagnostic lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPki } from '../helpers/pki.js';
import { opensslClient, opensslServer, requirePeer } from '../helpers/peers.js';
import { connectPump, listenPump, pattern, sha256Hex } from '../helpers/net.js';
import { GROUP_SPELLING, casesFor, type InteropCase } from './matrix.js';
import { CLIENT_ALPN, MiB, SERVER_ALPN, assertOurInfo, latin1, leafOf, ourClient, ourServer, runCase, serverNameOf, sliceFrom, type CaseContext, keyUpdateWithCliPeer } from './harness.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Server→client payload through s_server/s_client stdin: hex text, which never looks like a stdin command. */
const HEX_PAYLOAD = latin1(enc(Buffer.from(pattern(MiB / 2)).toString('hex')));

const TEMP_KEY: Record<string, RegExp> = {
  x25519: /Server Temp Key: X25519/,
  secp256r1: /Server Temp Key: ECDH, prime256v1/,
  secp384r1: /Server Temp Key: ECDH, secp384r1/,
};

async function ourServerCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const server = ourServer(c, pki, ctx.keyLog);
  const transfer = c.feature === 'transfer';
  const ps = await listenPump(() => server.accept(), { keepData: !transfer, closeOnPeerClose: true }, ctx.keyLog);
  ctx.servers.push(ps);
  const name = serverNameOf(c);
  const args = ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', name, '-verify_return_error', '-verify_hostname', name];
  if (c.feature === 'suite') args.push('-ciphersuites', c.suite);
  if (c.feature === 'group') args.push('-groups', GROUP_SPELLING.openssl[c.group]);
  if (c.feature === 'alpn') args.push('-alpn', CLIENT_ALPN.join(','));
  // -brief -quiet: no stdin commands and raw data only on stdout; the summary goes to stderr.
  if (transfer) args.push('-brief', '-quiet');
  const cl = ctx.add(await opensslClient(ps.port, args));
  const pump = await ps.next();
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);

  if (transfer) {
    await cl.waitFor(/Protocol version: TLSv1\.3/, undefined, 'stderr');
    await cl.waitFor(/Verification: OK/, undefined, 'stderr');
    const payload = pattern(MiB);
    cl.write(payload);
    pump.writePattern(MiB);
    await pump.bytes(MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(payload), 'our server received the 1 MiB intact');
    let got: Uint8Array | undefined;
    await cl.waitUntil('1 MiB on s_client stdout', () => (got = sliceFrom(cl.stdout(), payload.subarray(0, 64), MiB)) !== undefined, 30_000);
    assert.equal(sha256Hex(got ?? new Uint8Array(0)), sha256Hex(payload), 's_client received the 1 MiB intact');
    pump.close();
    await pump.peerClose();
    await cl.waitExit();
    return;
  }

  // s_client's own view of the handshake.
  const m = await cl.waitFor(/New, TLSv1\.3, Cipher is (\S+)/, undefined, 'stdout');
  if (c.feature === 'suite') assert.equal(m[1], c.suite);
  await cl.waitFor(/Verification: OK/, undefined, 'stdout');
  if (c.feature === 'group' || c.feature === 'hrr') await cl.waitFor(TEMP_KEY[c.group] ?? /$^/, undefined, 'stdout');
  if (c.feature === 'alpn') await cl.waitFor(/ALPN protocol: h2/, undefined, 'stdout');
  if (c.feature === 'sni') await cl.waitFor(/subject=.*CN ?= ?alt\.test/, undefined, 'stdout');

  cl.write('ping\n');
  await pump.text(/ping\n/);
  pump.write(enc('pong\n'));
  await cl.waitFor(/pong/);

  await keyUpdateWithCliPeer(c, pump, cl, 'K\n', 's_client');

  // Q: s_client sends close_notify and exits; we answer with ours.
  cl.write('Q\n');
  await pump.peerClose();
  await cl.waitExit();
  // s_client prints the session (with its Protocol line) for each NewSessionTicket of ours; its stdout BIO is
  // buffered, so this is complete only after it exited.
  assert.match(cl.stdout(), /Post-Handshake New Session Ticket arrived:\s*SSL-Session:\s*Protocol *: TLSv1\.3/);
}

async function ourClientCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const leaf = leafOf(c, pki);
  const args = ['-tls1_3'];
  if (c.feature === 'suite') args.push('-ciphersuites', c.suite);
  if (c.feature === 'group' || c.feature === 'hrr') args.push('-groups', GROUP_SPELLING.openssl[c.group]);
  if (c.feature === 'alpn') args.push('-alpn', SERVER_ALPN.join(','));
  if (c.feature === 'sni') args.push('-servername', 'alt.test', '-cert2', pki.alt.certPath, '-key2', pki.alt.keyPath);
  const srv = ctx.add(await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, args }));
  const transfer = c.feature === 'transfer';
  const client = ourClient(c, pki, ctx.keyLog);
  const pump = await connectPump(srv.port, client.connect(), { keepData: !transfer }, ctx.keyLog);
  ctx.pumps.push(pump);
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);

  const m = await srv.waitFor(/CIPHER is (\S+)/, undefined, 'stdout');
  if (c.feature === 'suite') assert.equal(m[1], c.suite);
  if (c.feature === 'alpn') await srv.waitFor(/ALPN protocols selected: h2/);
  if (c.feature === 'sni') await srv.waitFor(/Hostname in TLS extension: "alt\.test"/);

  if (transfer) {
    const payload = pattern(MiB);
    pump.writePattern(MiB);
    srv.write(HEX_PAYLOAD);
    await pump.bytes(MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(enc(HEX_PAYLOAD)), 'our client received the 1 MiB intact');
    let got: Uint8Array | undefined;
    await srv.waitUntil('1 MiB on s_server stdout', () => (got = sliceFrom(srv.stdout(), payload.subarray(0, 64), MiB)) !== undefined, 30_000);
    assert.equal(sha256Hex(got ?? new Uint8Array(0)), sha256Hex(payload), 's_server received the 1 MiB intact');
  } else {
    pump.write(enc('ping\n'));
    await srv.waitFor(/ping/);
    srv.write('pong\n');
    await pump.text(/pong\n/);
  }

  if (c.feature === 'keyupdate-peer') {
    srv.write('K\n');
    await pump.until('KeyUpdate from s_server', () => pump.keyUpdates.length > 0);
    assert.equal(pump.keyUpdates[0], true, 'update_requested');
    srv.write('after-update\n');
    await pump.text(/after-update\n/);
    pump.write(enc('reply-after-update\n'));
    await srv.waitFor(/reply-after-update/);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(enc('after-our-update\n'));
    await srv.waitFor(/after-our-update/);
    srv.write('reply\n');
    await pump.text(/reply\n/);
    assert.ok(pump.keyUpdates.length >= 1, 's_server answered our update_requested with its own KeyUpdate');
  }

  // We close; s_server prints DONE and answers with its close_notify.
  pump.close();
  await pump.peerClose();
  await srv.waitFor(/DONE/);
}

test('interop: openssl is installed', () => {
  requirePeer('openssl', 'openssl');
});

for (const c of casesFor('openssl')) {
  test(c.title, () => runCase((ctx) => (c.ours === 'server' ? ourServerCase(ctx, c) : ourClientCase(ctx, c))));
}
