/**
 * Per-connection trace and key log are passed in (issue 13: node/duplex.ts routed them through a module-level
 * `activeSink`). Two connections of one TlsServer, driven interleaved, each report to their own observer only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairOptions } from '../../helpers/pair.js';
import { TlsClient, TlsServer, type TlsConnection } from '../../../src/api/connection.js';
import type { TraceEvent } from '../../../src/api/types.js';

function step(c: TlsConnection, s: TlsConnection): void {
  const a = c.takeOutput();
  if (a.length > 0) s.receive(a);
  const b = s.takeOutput();
  if (b.length > 0) c.receive(b);
}

test('two connections of one TlsServer, interleaved, each log to their own observer', async () => {
  const configLines: string[] = [];
  const o = await pairOptions({ keyLog: (l) => configLines.push(l) });
  const server = new TlsServer(o.server);
  const client = new TlsClient(o.client);
  const logs: string[][] = [[], []];
  const traces: TraceEvent[][] = [[], []];
  const pairs = [0, 1].map((i) => ({
    s: server.accept({ keyLog: (l) => logs[i]?.push(l), trace: (e) => traces[i]?.push(e) }),
    c: client.connect(),
  }));
  for (let r = 0; r < 4; r++) for (const p of pairs) step(p.c, p.s);
  for (const p of pairs) assert.equal(p.s.isHandshakeComplete, true);
  assert.equal(configLines.length, 0, "an observer replaces the configuration's key log");
  for (const i of [0, 1]) {
    const randoms = new Set((logs[i] ?? []).map((l) => l.split(' ')[1]));
    assert.equal(logs[i]?.length, 5, 'five TLS 1.3 secrets');
    assert.equal(randoms.size, 1, 'every line of one observer is about one connection');
    assert.ok((traces[i] ?? []).some((e) => e.message === 'ClientHello' && e.direction === 'received'));
  }
  assert.notDeepEqual(logs[0], logs[1]);
  // A connection without an observer uses the configuration's.
  const third = { s: server.accept(), c: client.connect() };
  for (let r = 0; r < 4; r++) step(third.c, third.s);
  assert.equal(configLines.length, 5);
});

test("an observer's keyLog is read at each line: lines go to it only while it offers one, none are formatted otherwise", async () => {
  const o = await pairOptions();
  const server = new TlsServer(o.server);
  const client = new TlsClient(o.client);
  let listening = false;
  let reads = 0;
  const lines: string[] = [];
  const sink = (l: string): void => {
    lines.push(l);
  };
  const observer = {
    get keyLog(): ((line: string) => void) | undefined {
      reads++;
      return listening ? sink : undefined;
    },
  };
  const c = client.connect(undefined, undefined, observer);
  const s = server.accept({});
  // ClientHello out, server flight back: nobody listens yet (a node:tls 'keylog' listener added later, say).
  s.receive(c.takeOutput());
  listening = true;
  c.receive(s.takeOutput());
  s.receive(c.takeOutput());
  assert.equal(c.isHandshakeComplete, true);
  assert.equal(s.isHandshakeComplete, true);
  assert.ok(reads >= 5, 'the getter is consulted per line');
  assert.deepEqual(
    lines.map((l) => l.split(' ')[0]).sort(),
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'],
  );
  // Listener gone: a KeyUpdate's new secret is not logged (nor formatted).
  listening = false;
  const before = lines.length;
  c.updateKeys(false);
  s.receive(c.takeOutput());
  assert.equal(lines.length, before);
});
