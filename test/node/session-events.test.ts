/**
 * node:tls's external session cache on our createServer: 'newSession' stores a TLS 1.2 session, 'resumeSession'
 * looks it up. Two servers sharing one Map (and one ticket secret) resume each other's sessions for openssl
 * s_client (-no_ticket, -sess_out on one, -sess_in on the other: "Reused"); a resumeSession callback that fails
 * costs a full handshake, not the connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { getDefaultProvider } from '../../src/index.js';
import { createServer, RotatingTicketKeys, type Server } from '../../src/node/index.js';
import { annotate, opensslClient, type Peer } from '../helpers/peers.js';
import { getPki, type Pki } from '../helpers/pki.js';

const SECRET = new Uint8Array(32).fill(42);

function makeServer(pki: Pki, sessions: Map<string, Buffer>, failLookups = false): Server {
  const s = createServer({
    key: pki.server.p256.keyPem,
    cert: pki.server.p256.chainPem,
    ticketKeySource: new RotatingTicketKeys(getDefaultProvider(), SECRET),
  });
  s.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    sessions.set(id.toString('hex'), data);
    done();
  });
  s.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
    if (failLookups) cb(new Error('cache down'), null);
    else cb(null, sessions.get(id.toString('hex')) ?? null);
  });
  s.on('secureConnection', (sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  return s;
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return (s.address() as AddressInfo).port;
}

async function handshake(peers: Peer[], port: number, args: readonly string[]): Promise<string> {
  const c = await opensslClient(port, ['-tls1_2', '-no_ticket', '-servername', 'localhost', ...args]);
  peers.push(c);
  const m = await c.waitFor(/^(New|Reused), TLSv1\.2, Cipher is/m, 15_000, 'stdout');
  c.write('ping\n');
  await c.waitFor(/ping/, 15_000, 'stdout');
  c.write('Q\n');
  await c.waitExit(15_000);
  return m[1] as string;
}

test("newSession / resumeSession: a TLS 1.2 session ID stored by server A's listener is Reused on server B", { timeout: 60_000 }, async () => {
  const pki = await getPki();
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-sess-events-'));
  const sessions = new Map<string, Buffer>();
  const a = makeServer(pki, sessions);
  const b = makeServer(pki, sessions);
  const broken = makeServer(pki, sessions, true);
  const peers: Peer[] = [];
  try {
    const [pa, pb, pbroken] = [await listen(a), await listen(b), await listen(broken)];
    const sess = join(dir, 's12.pem');
    assert.equal(await handshake(peers, pa, ['-sess_out', sess]), 'New');
    assert.equal(sessions.size, 1, 'newSession stored the session');
    assert.equal(await handshake(peers, pb, ['-sess_in', sess]), 'Reused');
    assert.equal(await handshake(peers, pbroken, ['-sess_in', sess]), 'New');
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    for (const s of [a, b, broken]) await new Promise<void>((r) => s.shutdown(1000, r));
    rmSync(dir, { recursive: true, force: true });
  }
});
