/**
 * TLS 1.3 interop with GnuTLS's gnutls-cli and gnutls-serv (an independent TLS stack; cases in matrix.ts).
 * gnutls-cli takes `^rekey^` (KeyUpdate with update_requested; `^rekey1^` updates only its own keys) on stdin with --inline-commands; gnutls-serv --echo
 * answers `**REHANDSHAKE**` with a KeyUpdate under TLS 1.3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPki } from '../helpers/pki.js';
import { gnutlsClient, gnutlsServer, requirePeer } from '../helpers/peers.js';
import { connectPump, listenPump, pattern, sha256Hex } from '../helpers/net.js';
import { GNUTLS_CIPHER, GROUP_SPELLING, casesFor, type InteropCase } from './matrix.js';
import { CLIENT_ALPN, MiB, SERVER_ALPN, assertOurInfo, leafOf, ourClient, ourServer, runCase, serverNameOf, sliceFrom, type CaseContext, keyUpdateWithCliPeer } from './harness.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The GnuTLS priority string for a case (as the peer: our side is configured separately). */
function priority(c: InteropCase, peerIsServer: boolean): string {
  let p = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';
  if (c.feature === 'suite') p += `:-CIPHER-ALL:+${GNUTLS_CIPHER[c.suite]}`;
  if (c.feature === 'group' || (c.feature === 'hrr' && peerIsServer)) p += `:-GROUP-ALL:+${GROUP_SPELLING.gnutls[c.group]}`;
  return p;
}

const DESCRIPTION = /- Description: \(TLS1\.3-X\.509\)-\(ECDHE-([^)]+)\)-\(([^)]+)\)-\(([^)]+)\)/;
const GNUTLS_GROUP: Record<string, string> = { x25519: 'X25519', secp256r1: 'SECP256R1', secp384r1: 'SECP384R1' };

function assertDescription(c: InteropCase, m: RegExpMatchArray): void {
  if (c.feature === 'suite') assert.equal(m[3], GNUTLS_CIPHER[c.suite]);
  if (c.feature === 'group' || c.feature === 'hrr') assert.equal(m[1], GNUTLS_GROUP[c.group]);
}

async function ourServerCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const server = ourServer(c, pki, ctx.keyLog);
  const transfer = c.feature === 'transfer';
  const ps = await listenPump(() => server.accept(), { keepData: !transfer, closeOnPeerClose: true }, ctx.keyLog);
  ctx.servers.push(ps);
  const name = serverNameOf(c);
  const args = ['--x509cafile', pki.ca.certPath, '--sni-hostname', name, '--verify-hostname', name, '--priority', priority(c, false)];
  if (c.feature === 'alpn') for (const a of CLIENT_ALPN) args.push('--alpn', a);
  if (c.feature === 'keyupdate-peer') args.push('--inline-commands');
  const cl = ctx.add(await gnutlsClient(ps.port, args));
  const pump = await ps.next();
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);
  assertDescription(c, await cl.waitFor(DESCRIPTION));
  await cl.waitFor(/- Status: The certificate is trusted/);
  if (c.feature === 'alpn') await cl.waitFor(/- Application protocol: h2/);
  await cl.waitFor(/- Simple Client Mode:/);

  if (transfer) {
    const payload = pattern(MiB);
    cl.write(payload);
    pump.writePattern(MiB);
    await pump.bytes(MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(payload), 'our server received the 1 MiB intact');
    let got: Uint8Array | undefined;
    await cl.waitUntil('1 MiB on gnutls-cli stdout', () => (got = sliceFrom(cl.stdout(), payload.subarray(0, 64), MiB)) !== undefined, 30_000);
    assert.equal(sha256Hex(got ?? new Uint8Array(0)), sha256Hex(payload), 'gnutls-cli received the 1 MiB intact');
  } else {
    cl.write('ping\n');
    await pump.text(/ping\n/);
    pump.write(enc('pong\n'));
    await cl.waitFor(/pong/);
  }

  await keyUpdateWithCliPeer(c, pump, cl, '^rekey^\n', 'gnutls-cli');

  // We send close_notify; gnutls-cli reports it and exits.
  pump.close();
  await cl.waitFor(/Peer has closed the GnuTLS connection/);
  await cl.waitExit();
}

async function ourClientCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const leaf = leafOf(c, pki);
  const args = ['--echo', '--priority', priority(c, true)];
  if (c.feature === 'alpn') for (const a of SERVER_ALPN) args.push('--alpn', a);
  // GnuTLS picks among several certificates by the client's SNI.
  if (c.feature === 'sni') args.push('--x509certfile', pki.alt.certPath, '--x509keyfile', pki.alt.keyPath);
  const srv = ctx.add(await gnutlsServer({ cert: leaf.certPath, key: leaf.keyPath, args }));
  const transfer = c.feature === 'transfer';
  const client = ourClient(c, pki, ctx.keyLog);
  const pump = await connectPump(srv.port, client.connect(), { keepData: !transfer }, ctx.keyLog);
  ctx.pumps.push(pump);
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);
  assertDescription(c, await srv.waitFor(DESCRIPTION));
  if (c.feature === 'alpn') await srv.waitFor(/- Application protocol: h2/);
  await srv.waitFor(new RegExp(`Given server name\\[1\\]: ${serverNameOf(c).replace('.', '\\.')}`));

  if (transfer) {
    // The echo server sends the 1 MiB back: 1 MiB each way. gnutls-serv --echo echoes text lines (a NUL ends a
    // line's data, and a line must fit its buffer), so the payload is hex text in lines of 64 bytes.
    const hex = enc(Buffer.from(pattern(MiB / 2)).toString('hex').replace(/(.{63})/g, '$1\n'));
    for (let off = 0; off < hex.length; off += 65536) pump.write(hex.subarray(off, off + 65536));
    await pump.bytes(hex.length, 30_000);
    assert.equal(pump.digest(), sha256Hex(hex), 'the 1 MiB came back intact');
  } else {
    pump.write(enc('ping\n'));
    await pump.text(/ping\n/);
  }

  if (c.feature === 'keyupdate-peer') {
    pump.write(enc('**REHANDSHAKE**\n'));
    await pump.until('KeyUpdate from gnutls-serv', () => pump.keyUpdates.length > 0);
    pump.write(enc('after-update\n'));
    await pump.text(/after-update\n/);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(enc('after-our-update\n'));
    await pump.text(/after-our-update\n/);
    assert.ok(pump.keyUpdates.length >= 1, 'gnutls-serv answered our update_requested with its own KeyUpdate');
  }

  pump.close();
  await pump.peerClose();
}

test('interop: gnutls-cli and gnutls-serv are installed', () => {
  requirePeer('gnutls-cli', 'gnutls-bin');
  requirePeer('gnutls-serv', 'gnutls-bin');
});

for (const c of casesFor('gnutls')) {
  test(c.title, () => runCase((ctx) => (c.ours === 'server' ? ourServerCase(ctx, c) : ourClientCase(ctx, c))));
}
