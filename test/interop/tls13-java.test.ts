/**
 * TLS 1.3 interop with Java's own TLS stack (JSSE, Java 17) through test/interop/Peer.java (cases in matrix.ts).
 * Peer.java sends/echoes the pattern byte[i] = i % 251 and prints `PROTOCOL … CIPHER … ALPN … SNI …`, `OK <sha256>`
 * and `CLOSED` (client) or `DONE <bytes> <sha256>` (server). JSSE sends KeyUpdate on SSLSocket.startHandshake().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPki } from '../helpers/pki.js';
import { javaPeer, requirePeer } from '../helpers/peers.js';
import { connectPump, listenPump, pattern, sha256Hex } from '../helpers/net.js';
import { GROUP_SPELLING, casesFor, type InteropCase } from './matrix.js';
import { CLIENT_ALPN, MiB, SERVER_ALPN, assertOurInfo, leafOf, ourClient, ourServer, runCase, serverNameOf, type CaseContext } from './harness.js';

const PROTOCOL_LINE = /PROTOCOL (\S+) CIPHER (\S+) ALPN (\S+) SNI (\S+)/;

function assertProtocolLine(c: InteropCase, m: RegExpMatchArray): void {
  assert.equal(m[1], 'TLSv1.3');
  if (c.feature === 'suite') assert.equal(m[2], c.suite);
  assert.equal(m[3], c.feature === 'alpn' ? 'h2' : '-');
}

function commonArgs(c: InteropCase, peerIsServer: boolean): string[] {
  const args = ['--protocols', 'TLSv1.3'];
  if (c.feature === 'suite') args.push('--ciphers', c.suite);
  if (c.feature === 'group' || (c.feature === 'hrr' && peerIsServer)) args.push('--groups', GROUP_SPELLING.java[c.group]);
  if (c.feature === 'alpn') args.push('--alpn', (peerIsServer ? SERVER_ALPN : CLIENT_ALPN).join(','));
  return args;
}

async function ourServerCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const server = ourServer(c, pki, ctx.keyLog);
  let updated = false;
  const ps = await listenPump(
    () => server.accept(),
    {
      echo: true,
      closeOnPeerClose: true,
      onData: (pump) => {
        if (c.feature === 'keyupdate-ours' && !updated) {
          updated = true;
          pump.updateKeys(true);
        }
      },
    },
    ctx.keyLog,
  );
  ctx.servers.push(ps);
  const n = c.feature === 'transfer' ? MiB : c.feature.startsWith('keyupdate') ? 65536 : 4096;
  const args = ['--port', String(ps.port), '--trust-pem', pki.ca.certPath, '--sni', serverNameOf(c), ...commonArgs(c, false), '--send-bytes', String(n)];
  if (c.feature === 'keyupdate-peer') args.push('--key-update');
  const cl = ctx.add(await javaPeer('client', args));
  const pump = await ps.next(30_000);
  const info = await pump.handshake(30_000);
  assertOurInfo(c, info, pki);
  assertProtocolLine(c, await cl.waitFor(PROTOCOL_LINE, 30_000));
  const ok = await cl.waitFor(/OK ([0-9a-f]{64})/, 30_000);
  assert.equal(ok[1], sha256Hex(pattern(n)), 'Java got its bytes back intact');
  assert.equal(pump.digest(), sha256Hex(pattern(n)), 'our server received the bytes intact');
  if (c.feature === 'keyupdate-peer') assert.ok(pump.keyUpdates.length >= 1, 'KeyUpdate from Java');
  if (c.feature === 'keyupdate-ours') assert.ok(pump.keyUpdates.length >= 1, 'Java answered our update_requested');
  // Java sends close_notify (shutdownOutput), we answer, Java sees EOF.
  await cl.waitFor(/^CLOSED$/m, 30_000);
  assert.equal(pump.peerClosed, true);
  const exit = await cl.waitExit(30_000);
  assert.equal(exit.code, 0);
}

async function ourClientCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const leaf = leafOf(c, pki);
  const p12 = c.feature === 'sni' ? `${leaf.p12Path},${pki.alt.p12Path}` : leaf.p12Path;
  const args = ['--cert-p12', p12, '--pass', leaf.p12Password, ...commonArgs(c, true)];
  if (c.feature === 'keyupdate-peer') args.push('--key-update-after', '1');
  const srv = ctx.add(await javaPeer('server', args));
  const client = ourClient(c, pki, ctx.keyLog);
  const pump = await connectPump(srv.port, client.connect(), {}, ctx.keyLog);
  ctx.pumps.push(pump);
  const info = await pump.handshake(30_000);
  assertOurInfo(c, info, pki);
  const line = await srv.waitFor(PROTOCOL_LINE, 30_000);
  assertProtocolLine(c, line);
  assert.equal(line[4], serverNameOf(c));

  const n = c.feature === 'transfer' ? MiB : 4096;
  pump.writePattern(n);
  await pump.bytes(n, 30_000);
  if (c.feature === 'keyupdate-peer') {
    await pump.until('KeyUpdate from Java', () => pump.keyUpdates.length > 0);
    pump.write(pattern(4096, n));
    await pump.bytes(n + 4096);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(pattern(4096, n));
    await pump.bytes(n + 4096);
    assert.ok(pump.keyUpdates.length >= 1, 'Java answered our update_requested');
  }
  const total = pump.receivedBytes;
  assert.equal(pump.digest(), sha256Hex(pattern(total)), 'the bytes came back intact');
  pump.close();
  const done = await srv.waitFor(/DONE (\d+) ([0-9a-f]{64})/, 30_000);
  assert.equal(Number(done[1]), total);
  assert.equal(done[2], sha256Hex(pattern(total)));
  await pump.peerClose(30_000);
}

test('interop: java is installed', () => {
  requirePeer('java', 'openjdk-17-jdk-headless');
});

for (const c of casesFor('java')) {
  test(c.title, () => runCase((ctx) => (c.ours === 'server' ? ourServerCase(ctx, c) : ourClientCase(ctx, c))));
}
