/**
 * DTLS 1.3 end to end (RFC 9147), our client and our server over a virtual datagram network: the stateless HRR
 * cookie, the hybrid PQ group, fragmentation, loss, ACKs, KeyUpdate, application data, close_notify.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { splitDatagram } from '../../src/dtls/v13/header.js';
import { NamedGroup } from '../../src/wire/registry.js';
import { Dtls13Connection } from '../../src/dtls/v13/connection.js';
import { Dtls13Listener } from '../../src/dtls/v13/listener.js';
import { prepareClientConfig, prepareServerConfig } from '../../src/engine/config.js';
import { clientOptions, Network, serverOptions, transfer } from './network.js';

test('handshake without impairment: stateless HRR with a cookie, then the full flight; both established', () => {
  const net = new Network();
  net.handshake();
  assert.equal(net.client.failed, undefined, String(net.client.failed));
  assert.equal(net.server?.failed, undefined, String(net.server?.failed));
  assert.ok(net.client.isEstablished && net.server?.isEstablished);
  assert.equal(net.client.info?.cipherSuite, net.server?.info?.cipherSuite);
  assert.deepEqual(net.client.epochs, { send: 3, receive: 3 });
  // Application data both ways.
  net.client.send(new TextEncoder().encode('ping'));
  net.collect();
  net.deliver();
  assert.deepEqual(net.server?.takeApplicationData().map((d) => new TextDecoder().decode(d)), ['ping']);
  net.server?.send(new TextEncoder().encode('pong'));
  net.collect();
  net.deliver();
  assert.deepEqual(net.client.takeApplicationData().map((d) => new TextDecoder().decode(d)), ['pong']);
});

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

test('1 MiB each way, compared by hash, under 20% loss, duplication and reordering (handshake included)', () => {
  const net = new Network({ loss: 0.2, duplicate: 0.1, reorder: 0.5, seed: 7 });
  net.handshake();
  assert.ok(net.client.isEstablished && net.server?.isEstablished, `client ${net.client.failed?.message} server ${net.server?.failed?.message}`);
  const up = randomBytes(1 << 20);
  const down = randomBytes(1 << 20);
  const { atServer, atClient } = transfer(net, up, down);
  assert.equal(sha256(atServer), sha256(up));
  assert.equal(sha256(atClient), sha256(down));
  assert.ok(net.stats.dropped > 0, 'the network did drop datagrams');
});

test('KeyUpdate (§8): acknowledged before the sender moves to the next epoch; the peer answers update_requested', () => {
  const net = new Network();
  net.handshake();
  const server = net.server;
  assert.ok(server?.isEstablished);
  assert.ok(net.client.updateKeys(true));
  assert.equal(net.client.updateKeys(false), false, 'a second KeyUpdate waits for the first ACK');
  // Until the ACK arrives the client still sends under epoch 3.
  assert.equal(net.client.epochs.send, 3);
  net.run(() => net.client.epochs.send === 4 && server.epochs.send === 4 && net.client.nextTimeout() === null && server.nextTimeout() === null);
  assert.deepEqual(net.client.epochs, { send: 4, receive: 4 });
  assert.deepEqual(server.epochs, { send: 4, receive: 4 });
  // The records say so: the unified header's epoch bits are 4 & 3 = 0.
  net.client.send(new Uint8Array([1, 2, 3]));
  const [d] = net.client.takeDatagrams();
  assert.ok(d !== undefined);
  const [r] = splitDatagram(d).records;
  assert.ok(r?.kind === 'ciphertext' && r.epochBits === 0);
  server.receive(d);
  assert.deepEqual(server.takeApplicationData().map((x) => [...x]), [[1, 2, 3]]);
  assert.ok(net.client.updateKeys(false));
  net.run(() => net.client.epochs.send === 5 && net.client.nextTimeout() === null);
  assert.deepEqual(net.client.epochs, { send: 5, receive: 4 });
  assert.deepEqual(server.epochs, { send: 4, receive: 5 });
});

test('KeyUpdate under loss: lost ACKs and KeyUpdates are retransmitted until acknowledged', () => {
  for (const seed of [3, 11, 19]) {
    const net = new Network({ loss: 0.3, seed });
    net.handshake();
    const server = net.server;
    assert.ok(server?.isEstablished, `seed ${seed}`);
    for (let i = 0; i < 3; i++) {
      assert.ok(net.client.updateKeys(true), `seed ${seed} update ${i}`);
      net.run(() => net.client.epochs.send === 4 + i && server.epochs.send === 4 + i && net.client.nextTimeout() === null && server.nextTimeout() === null);
      assert.deepEqual([net.client.epochs, server.epochs], [{ send: 4 + i, receive: 4 + i }, { send: 4 + i, receive: 4 + i }], `seed ${seed} update ${i}`);
    }
  }
});

test('HelloRetryRequest for a group the client sent no share for, with the cookie: the group changes', () => {
  const net = new Network({}, { client: { keyShareGroups: [NamedGroup.secp256r1] }, server: { groups: [NamedGroup.x25519] } });
  net.handshake();
  assert.ok(net.client.isEstablished && net.server?.isEstablished, `${net.client.failed?.message} ${net.server?.failed?.message}`);
  assert.equal(net.client.info?.group, NamedGroup.x25519);
});

test('the hybrid group X25519MLKEM768 by default; a ClientHello fragmented over datagrams reaches the stateless listener', () => {
  const net = new Network({}, { dtls: { mtu: 600 } });
  net.handshake();
  assert.ok(net.client.isEstablished && net.server?.isEstablished);
  assert.equal(net.server?.info?.group, NamedGroup.X25519MLKEM768);
});

test('a second ClientHello with a cookie from another address is refused with illegal_parameter; a valid one makes a connection', () => {
  const client = Dtls13Connection.client(prepareClientConfig(clientOptions()));
  const listener = new Dtls13Listener(prepareServerConfig(serverOptions()));
  const address = '192.0.2.7:5000';
  const hrr = client.takeDatagrams().flatMap((d) => listener.accept(d, address).reply);
  assert.equal(hrr.length, 1);
  for (const d of hrr) client.receive(d);
  const ch2 = client.takeDatagrams();
  const fromElsewhere = ch2.map((d) => listener.accept(d, '192.0.2.8:5000')).at(-1);
  assert.equal(fromElsewhere?.connection, undefined);
  assert.equal(fromElsewhere?.error?.alert, 'illegal_parameter');
  assert.equal(fromElsewhere?.reply[0]?.[0], 21, 'a plaintext alert record');
  const ok = ch2.map((d) => listener.accept(d, address)).at(-1);
  assert.ok(ok?.connection !== undefined && ok.error === undefined);
  // A first ClientHello makes nothing but a HelloRetryRequest: the listener keeps no connection state.
  const again = Dtls13Connection.client(prepareClientConfig(clientOptions()));
  const r = again.takeDatagrams().map((d) => listener.accept(d, '192.0.2.9:5000'));
  assert.ok(r.every((x) => x.connection === undefined));
});

test('close_notify: the peer sees it; sending after close fails', () => {
  const net = new Network();
  net.handshake();
  net.client.close();
  net.collect();
  net.deliver();
  assert.ok(net.server?.peerClosed);
  assert.throws(() => net.client.send(new Uint8Array(1)));
});

test('after our close_notify a peer\'s update_requested is read (its epoch moves) but not answered', () => {
  const net = new Network();
  net.handshake();
  const server = net.server;
  assert.ok(server?.isEstablished);
  server.close();
  net.collect();
  net.deliver();
  assert.ok(net.client.peerClosed);
  assert.ok(net.client.updateKeys(true));
  for (let i = 0; i < 10; i++) {
    net.collect();
    net.deliver();
  }
  assert.equal(server.failed, undefined, String(server.failed));
  assert.equal(server.epochs.receive, 4, 'the server reads the client\'s new epoch');
  assert.equal(server.epochs.send, 3, 'and sends no KeyUpdate of its own after close_notify');
});

test('after the handshake a plaintext alert is dropped (an attacker could send one), an encrypted one is read', () => {
  const net = new Network();
  net.handshake();
  const server = net.server;
  assert.ok(server?.isEstablished);
  // A fatal handshake_failure alert in a DTLSPlaintext record, epoch 0.
  server.receive(new Uint8Array([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 99, 0, 2, 2, 40]));
  assert.equal(server.failed, undefined);
  assert.ok(server.isEstablished);
});

test('without loss no timer fires and nothing is resent, whatever the MTU (records after a ServerHello in one datagram open with its keys)', () => {
  for (const mtu of [256, 500, 1200, 1500]) {
    const net = new Network({}, { dtls: { mtu } });
    const start = net.now;
    net.handshake();
    assert.ok(net.client.isEstablished && net.server?.isEstablished, `mtu ${mtu}`);
    assert.equal(net.now, start, `mtu ${mtu}: the handshake needed a retransmission timer`);
    assert.deepEqual([net.client.retransmissions, net.server?.retransmissions], [0, 0], `mtu ${mtu}: something was sent twice`);
  }
});
