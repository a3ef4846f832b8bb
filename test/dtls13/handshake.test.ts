/**
 * DTLS 1.3 end to end (RFC 9147), our client and our server over a virtual datagram network: the stateless HRR
 * cookie, the hybrid PQ group, fragmentation, loss, ACKs, KeyUpdate, application data, close_notify.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from './network.js';

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
