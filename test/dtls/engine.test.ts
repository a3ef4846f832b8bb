import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CipherSuite } from '../../src/wire/registry.js';
import { splitDatagram } from '../../src/dtls/index.js';
import { dtlsPair, Link, NONE, runHandshake } from './pair.js';

test('DTLS 1.2: client and server complete a handshake with a cookie exchange and move data both ways', async () => {
  const p = await dtlsPair();
  const link = new Link(NONE, 1);
  runHandshake(p, link);
  assert.ok(p.client.isEstablished && p.server.isEstablished);
  assert.equal(p.client.info?.cipherSuite, p.server.info?.cipherSuite);
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  const datagrams = p.client.seal(data);
  assert.ok(datagrams.every((d) => d.length <= p.client.mtu));
  const got = datagrams.flatMap((d) => p.server.process(d).plaintext);
  assert.deepEqual(Buffer.concat(got), Buffer.from(data));
  const back = p.server.seal(new Uint8Array([1, 2, 3])).flatMap((d) => p.client.process(d).plaintext);
  assert.deepEqual(Buffer.concat(back), Buffer.from([1, 2, 3]));
});

test('DTLS 1.2: every AEAD suite', async () => {
  for (const suite of [
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  ]) {
    const p = await dtlsPair({}, { cipherSuites: [suite] }, {}, `suite-${suite}`);
    runHandshake(p, new Link(NONE, 2));
    assert.equal(p.client.info?.cipherSuite, suite);
  }
});

test('after a HelloVerifyRequest the server continues from the ClientHello\'s record sequence number (the client\'s replay window saw the HVR\'s)', async () => {
  const p = await dtlsPair();
  const ch1 = p.client.start(1).datagrams;
  const hvr = ch1.flatMap((d) => p.server.process(d, 1).datagrams);
  assert.equal(hvr.length, 1);
  const hvrSeq = splitDatagram(hvr[0] as Uint8Array)[0]?.seq;
  const ch2 = hvr.flatMap((d) => p.client.process(d, 2).datagrams);
  const ch2Seq = splitDatagram(ch2[0] as Uint8Array)[0]?.seq ?? -1;
  const flight = ch2.flatMap((d) => p.server.process(d, 3).datagrams);
  const seqs = flight.flatMap((d) => splitDatagram(d).map((r) => r.seq));
  assert.ok(hvrSeq !== undefined && seqs.every((s) => s > hvrSeq && s >= ch2Seq), `HVR ${hvrSeq}, ClientHello ${ch2Seq}, flight ${seqs.join(',')}`);
  // The client takes the whole flight: nothing was dropped as a replay.
  for (const d of flight) p.client.process(d, 4);
  assert.equal(p.client.drops.replayed, 0);
  assert.match(p.client.stateName, /^Expect(NewSessionTicket|ChangeCipherSpec)$/);
});

test('a repeat of the peer\'s final flight is not answered (no echo loop); a repeat of the flight we answered is', async () => {
  const p = await dtlsPair({ ticketCount: 1 } as never);
  let now = 1;
  const toServer = p.client.start(now).datagrams;
  let toClient: Uint8Array[] = [];
  let lastServerFlight: Uint8Array[] = [];
  for (let i = 0; i < 6 && !(p.client.isEstablished && p.server.isEstablished); i++) {
    toClient = toServer.splice(0).flatMap((d) => p.server.process(d, ++now).datagrams);
    if (toClient.length > 0) lastServerFlight = toClient;
    const back = toClient.flatMap((d) => p.client.process(d, ++now).datagrams);
    toServer.push(...back);
  }
  assert.ok(p.client.isEstablished && p.server.isEstablished, `${p.client.stateName} ${p.server.stateName}`);
  // The same datagrams again are replays, dropped whatever they hold.
  assert.deepEqual(lastServerFlight.flatMap((d) => p.client.process(d, ++now).datagrams), []);
  assert.ok(p.client.drops.replayed > 0);
  // The server's final flight sent again (fresh record numbers, as OpenSSL does when its timer fires): the client,
  // whose flight that was the answer to, stays silent.
  const answer = p.server.retransmit(++now).flatMap((d) => p.client.process(d, ++now).datagrams);
  assert.deepEqual(answer, []);
  // The client's last flight sent again (its timer fired: our final flight was lost): the server answers with its
  // final flight once more.
  const again = p.client.retransmit(++now).flatMap((d) => p.server.process(d, ++now).datagrams);
  assert.ok(again.length > 0);
});

test('the retransmission timer keeps running while the peer\'s flight is only partly here', async () => {
  const p = await dtlsPair();
  let now = 1;
  let toServer = p.client.start(now).datagrams;
  // Cookie round trip, then the server's first flight, which the client receives only the first datagram of.
  const hvr = toServer.flatMap((d) => p.server.process(d, ++now).datagrams);
  toServer = hvr.flatMap((d) => p.client.process(d, ++now).datagrams);
  p.server.mtu = 256;
  const flight = toServer.flatMap((d) => p.server.process(d, ++now).datagrams);
  assert.ok(flight.length > 1);
  p.client.process(flight[0] as Uint8Array, ++now);
  const deadline = p.client.nextTimeout();
  assert.ok(deadline !== null, 'the timer still runs');
  const resent = p.client.handleTimeout(deadline).datagrams;
  assert.ok(resent.length > 0, 'the ClientHello goes again');
});

test('a lost HelloVerifyRequest: the repeated first ClientHello gets another one', async () => {
  const p = await dtlsPair();
  const ch1 = p.client.start(1).datagrams;
  const lost = ch1.flatMap((d) => p.server.process(d, 1).datagrams);
  assert.equal(lost.length, 1);
  const deadline = p.client.nextTimeout() as number;
  const again = p.client.handleTimeout(deadline).datagrams;
  const hvr = again.flatMap((d) => p.server.process(d, deadline).datagrams);
  assert.equal(hvr.length, 1, 'HelloVerifyRequest again');
  const ch2 = hvr.flatMap((d) => p.client.process(d, deadline + 1).datagrams);
  assert.ok(ch2.flatMap((d) => p.server.process(d, deadline + 2).datagrams).length > 0, 'the server flight');
});

test('20% loss, reordering and duplication: every one of 100 seeded handshakes completes (default timers, virtual clock)', async () => {
  const times: number[] = [];
  for (let seed = 1; seed <= 100; seed++) {
    const p = await dtlsPair({}, {}, { client: { mtu: 1200 }, server: { mtu: 1200 } }, 'loss20');
    times.push(runHandshake(p, new Link({ loss: 0.2, duplicate: 0.2, reorder: 0.2 }, seed)));
  }
  assert.equal(times.length, 100);
});
