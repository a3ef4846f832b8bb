/**
 * Answers to the peer's KeyUpdate requests (RFC 8446 §4.6.3: "the receiver MUST send a KeyUpdate of its own with
 * request_update set to update_not_requested prior to sending its next Application Data record"). Requests that
 * arrive together are answered by one KeyUpdate, sent before anything else of ours: a flood of them costs one update
 * of our keys, not one each. Requests that arrive apart are each answered at once, as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concat } from '../../src/codec/bytes.js';
import { ContentType } from '../../src/wire/registry.js';
import { doHandshake, makePair, parseRecords } from '../helpers/pair.js';

async function established() {
  const p = await makePair();
  doHandshake(p);
  p.client.takeOutput();
  p.server.takeOutput();
  return p;
}

/** Data both ways after the updates: each side's keys agree with the other's. */
function roundTrip(p: Awaited<ReturnType<typeof established>>): void {
  const atClient: number[] = [];
  const atServer: number[] = [];
  p.client.on('data', (d) => atClient.push(...d));
  p.server.on('data', (d) => atServer.push(...d));
  p.server.write(Uint8Array.of(1, 2, 3));
  p.client.receive(p.server.takeOutput());
  p.client.write(Uint8Array.of(4, 5));
  p.server.receive(p.client.takeOutput());
  assert.deepEqual(atClient, [1, 2, 3]);
  assert.deepEqual(atServer, [4, 5]);
}

test('ten update_requested KeyUpdates in one read: one KeyUpdate back, every request reported, keys agree', async () => {
  const p = await established();
  const requested: boolean[] = [];
  p.server.on('keyUpdate', (r) => requested.push(r));
  const batch = concat(...Array.from({ length: 10 }, () => p.client.engine.updateKeys(true)));
  p.server.receive(batch);
  const answer = p.server.takeOutput();
  const records = parseRecords(answer);
  assert.equal(records.length, 1, 'one record: one KeyUpdate');
  assert.equal(records[0]?.type, ContentType.ApplicationData);
  assert.deepEqual(requested, Array(10).fill(true));
  const atClient: boolean[] = [];
  p.client.on('keyUpdate', (r) => atClient.push(r));
  p.client.receive(answer);
  assert.deepEqual(atClient, [false], 'the client read one KeyUpdate, update_not_requested');
  roundTrip(p);
});

test('update_requested KeyUpdates in separate reads are each answered at once', async () => {
  const p = await established();
  for (let i = 0; i < 3; i++) {
    p.server.receive(p.client.engine.updateKeys(true));
    const answer = p.server.takeOutput();
    assert.equal(parseRecords(answer).length, 1, `answer ${i + 1}`);
    p.client.receive(answer);
  }
  roundTrip(p);
});

test('a request, then data, then a request in one read: one answer, the data delivered, keys agree', async () => {
  const p = await established();
  const k1 = p.client.engine.updateKeys(true);
  p.client.write(Uint8Array.of(9));
  const data = p.client.takeOutput();
  const k2 = p.client.engine.updateKeys(true);
  const got: number[] = [];
  p.server.on('data', (d) => got.push(...d));
  p.server.receive(concat(k1, data, k2));
  assert.deepEqual(got, [9]);
  const answer = p.server.takeOutput();
  assert.equal(parseRecords(answer).length, 1);
  p.client.receive(answer);
  roundTrip(p);
});

test('after our close_notify a KeyUpdate request is read but not answered (nothing of ours follows close_notify)', async () => {
  const p = await established();
  p.server.close();
  const closeNotify = p.server.takeOutput();
  assert.equal(parseRecords(closeNotify).length, 1);
  p.client.receive(closeNotify);
  const requested: boolean[] = [];
  p.server.on('keyUpdate', (r) => requested.push(r));
  p.server.receive(p.client.engine.updateKeys(true));
  assert.deepEqual(requested, [true]);
  assert.equal(p.server.takeOutput().length, 0, 'no KeyUpdate after close_notify');
  // The half-open direction still works: the client's data under its new keys reaches the server.
  const got: number[] = [];
  p.server.on('data', (d) => got.push(...d));
  p.client.write(Uint8Array.of(7));
  p.server.receive(p.client.takeOutput());
  assert.deepEqual(got, [7]);
});
