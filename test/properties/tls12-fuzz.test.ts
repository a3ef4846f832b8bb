/**
 * Mutation properties of the TLS 1.2 engine (fast-check), in the style of engine-fuzz.test.ts: ≥ 10,000 mutated
 * TLS 1.2-only ClientHellos (no supported_versions; extended_master_secret and renegotiation_info in the base) into a
 * server engine, and ≥ 10,000 mutated TLS 1.2 server first flights (ServerHello, Certificate, ServerKeyExchange,
 * ServerHelloDone — all plaintext in 1.2) into a client engine. The base flights are recorded once with deterministic
 * providers and an Ed25519 certificate (deterministic signatures), so they are reproducible byte for byte.
 * Properties: every call returns or throws promptly; whatever is thrown is a TlsError that is not our own bug (kind
 * Internal / InvalidConfig); a failed engine is latched (Failed, rethrows the same error, hands out at most one alert
 * record, once). And: delivering a valid 1.2 flight split at any byte (two TCP reads, or two handshake records) gives
 * exactly the same output, events and state as delivering it whole.
 *
 * FUZZ_RUNS overrides the number of runs of each mutation property (default 10,000).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TlsEngine } from '../../src/engine/connection.js';
import { prepareClientConfig, prepareServerConfig, type PreparedClientConfig, type PreparedServerConfig } from '../../src/engine/config.js';
import { TlsError } from '../../src/errors.js';
import { ContentType, ExtensionType, HandshakeType } from '../../src/wire/registry.js';
import { encodeRecords, pairOptions, parseRecords, splitHandshakeMessages, type WireRecord } from '../helpers/pair.js';
import { concatBytes } from '../helpers/hex.js';
import type { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { feedChecked, mutate, mutationsArb, RUNS } from '../helpers/mutate.js';

/** Feed `input` (feedChecked: prompt, TlsError only, latched), then check the one alert. */
function drive(engine: TlsEngine, input: Uint8Array): 'ok' | 'failed' {
  const err = feedChecked(engine, input);
  if (err === undefined) return 'ok';
  assert.equal(engine.failed, err);
  const alert = engine.takeAlert();
  assert.equal(engine.takeAlert(), null);
  if (alert !== null) {
    // Nothing protected has been sent in a 1.2 first flight exchange: the alert is a plaintext alert record.
    const recs = parseRecords(alert);
    assert.equal(recs.length, 1);
    assert.equal(recs[0]?.type, ContentType.Alert);
    assert.equal(recs[0]?.body.length, 2);
    assert.equal(recs[0]?.body[0], 2, 'fatal');
  } else {
    assert.ok(err.kind === 'AlertReceived' || err.kind === 'Closed', `no alert for ${err.reason}`);
  }
  assert.equal(engine.takeOutput().length, 0, 'nothing after the alert');
  return 'failed';
}

interface Recorded {
  readonly serverCfg: PreparedServerConfig;
  readonly clientCfg: PreparedClientConfig;
  readonly serverProvider: DeterministicProvider;
  readonly clientProvider: DeterministicProvider;
  /** The client's ClientHello record(s). */
  readonly clientHello: Uint8Array;
  /** The server's first flight: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone. */
  readonly serverFlight: Uint8Array;
  /** The client's second flight: ClientKeyExchange, ChangeCipherSpec, Finished. */
  readonly clientFinish: Uint8Array;
}

let recorded: Promise<Recorded> | undefined;

/** Extension types of a ClientHello handshake message (type + u24 length + body). */
function extensionTypes(ch: Uint8Array): number[] {
  let at = 4 + 2 + 32;
  at += 1 + (ch[at] as number); // session id
  at += 2 + (((ch[at] as number) << 8) | (ch[at + 1] as number)); // cipher suites
  at += 1 + (ch[at] as number); // compression methods
  const end = at + 2 + (((ch[at] as number) << 8) | (ch[at + 1] as number));
  at += 2;
  const out: number[] = [];
  while (at < end) {
    out.push(((ch[at] as number) << 8) | (ch[at + 1] as number));
    at += 4 + (((ch[at + 2] as number) << 8) | (ch[at + 3] as number));
  }
  return out;
}

/** Handshake message types carried by plaintext handshake records. */
function handshakeTypes(bytes: Uint8Array): number[] {
  const content = concatBytes(...parseRecords(bytes).filter((r) => r.type === ContentType.Handshake).map((r) => r.body));
  return splitHandshakeMessages(content).map((m) => m[0] as number);
}

/** A fresh client engine whose ClientHello is byte-identical to the recorded one. */
function freshClient(r: Recorded): TlsEngine {
  r.clientProvider.rng.reset();
  const c = new TlsEngine(r.clientCfg);
  c.start();
  return c;
}

/** A fresh server engine that answers the recorded ClientHello with the recorded flight. */
function freshServer(r: Recorded): TlsEngine {
  r.serverProvider.rng.reset();
  return new TlsEngine(r.serverCfg);
}

/** One valid TLS 1.2 exchange (client limited to TLS 1.2, Ed25519 server certificate), recorded once. */
function record(): Promise<Recorded> {
  recorded ??= (async () => {
    const o = await pairOptions({}, { maxVersion: 'TLSv1.2' }, { seed: 'fuzz12', cert: 'ed25519' });
    const serverCfg = prepareServerConfig(o.server);
    const clientCfg = prepareClientConfig(o.client);
    const partial = { serverCfg, clientCfg, serverProvider: o.serverProvider, clientProvider: o.clientProvider } as Recorded;
    o.clientProvider.rng.reset();
    const client = new TlsEngine(clientCfg);
    const clientHello = client.start();
    const server = freshServer(partial);
    const serverFlight = server.process(clientHello).output;
    const clientFinish = client.process(serverFlight).output;
    const last = server.process(clientFinish);
    const done = client.process(last.output);
    assert.ok(done.events.some((e) => e.type === 'HandshakeComplete'), 'the recorded exchange is valid');
    assert.ok(last.events.some((e) => e.type === 'HandshakeComplete'));
    assert.equal(client.info?.version, 'TLSv1.2');
    assert.equal(server.info?.version, 'TLSv1.2');
    // The base ClientHello is TLS 1.2-only and carries EMS and renegotiation_info.
    const ch = splitHandshakeMessages(concatBytes(...parseRecords(clientHello).map((x) => x.body)))[0] as Uint8Array;
    const exts = extensionTypes(ch);
    assert.ok(!exts.includes(ExtensionType.supported_versions), 'no supported_versions');
    assert.ok(exts.includes(ExtensionType.extended_master_secret), 'extended_master_secret');
    assert.ok(exts.includes(ExtensionType.renegotiation_info), 'renegotiation_info');
    assert.deepEqual(handshakeTypes(serverFlight), [HandshakeType.ServerHello, HandshakeType.Certificate, HandshakeType.ServerKeyExchange, HandshakeType.ServerHelloDone]);
    return { ...partial, clientHello, serverFlight, clientFinish };
  })();
  return recorded;
}

test(`property: ${RUNS} mutated TLS 1.2 ClientHellos → the server returns or fails cleanly with a TlsError`, async () => {
  const r = await record();
  const outcomes = { ok: 0, failed: 0 };
  fc.assert(
    fc.property(mutationsArb, (ms) => {
      outcomes[drive(new TlsEngine(r.serverCfg), mutate(r.clientHello, ms))]++;
    }),
    { numRuns: RUNS, seed: 0x12c4 },
  );
  assert.ok(outcomes.failed > RUNS / 10, `many mutations are rejected (${JSON.stringify(outcomes)})`);
});

test(`property: ${RUNS} mutated TLS 1.2 server flights → the client returns or fails cleanly with a TlsError`, async () => {
  const r = await record();
  const outcomes = { ok: 0, failed: 0 };
  fc.assert(
    fc.property(mutationsArb, (ms) => {
      outcomes[drive(freshClient(r), mutate(r.serverFlight, ms))]++;
    }),
    { numRuns: RUNS, seed: 0x125f },
  );
  assert.ok(outcomes.failed > RUNS / 2, `most mutations are rejected (${JSON.stringify(outcomes)})`);
});

// ---------------------------------------------------------------------------------------------------------------
// Splitting.

const toJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));

/** Deliver `chunks` as successive TCP reads (carrying an incomplete record over); everything observable. */
function deliver(engine: TlsEngine, chunks: readonly Uint8Array[]): string {
  const out: Uint8Array[] = [];
  const events: unknown[] = [];
  let carry = new Uint8Array(0);
  let error: string | undefined;
  try {
    for (const chunk of chunks) {
      let input = concatBytes(carry, chunk);
      while (input.length > 0) {
        const r = engine.process(input);
        out.push(r.output);
        events.push(...r.events);
        assert.equal(r.plaintext.length, 0);
        input = input.subarray(r.consumed);
        if (r.missing !== undefined) {
          assert.ok(r.missing > 0);
          break;
        }
        assert.ok(r.consumed > 0, 'progress without a missing count');
      }
      carry = input.slice();
    }
  } catch (e) {
    assert.ok(e instanceof TlsError, String(e));
    error = `${e.kind}/${e.reason}`;
    out.push(engine.takeAlert() ?? new Uint8Array(0));
  }
  out.push(engine.takeOutput());
  return toJson({ output: concatBytes(...out), events, state: engine.stateName, carry: carry.length, error, info: engine.info });
}

/** Re-encode the handshake records of `flight` with the handshake content cut into two records at `at`. */
function refragment(flight: Uint8Array, at: number): Uint8Array {
  const recs = parseRecords(flight);
  const hs = recs.filter((x) => x.type === ContentType.Handshake);
  assert.equal(hs.length, recs.length, 'a plaintext handshake flight');
  const content = concatBytes(...hs.map((x) => x.body));
  const version = (recs[0] as WireRecord).version;
  return encodeRecords([
    { type: ContentType.Handshake, version, body: content.subarray(0, at) },
    { type: ContentType.Handshake, version, body: content.subarray(at) },
  ]);
}

const contentLength = (flight: Uint8Array): number => parseRecords(flight).reduce((n, x) => n + x.body.length, 0);

test('property: a valid TLS 1.2 flight split at any byte (two reads, or two records) gives the same result as whole', async () => {
  const r = await record();
  const cases: { name: string; flight: Uint8Array; engine: () => TlsEngine }[] = [
    { name: 'ClientHello → server', flight: r.clientHello, engine: () => freshServer(r) },
    { name: 'ServerHello..ServerHelloDone → client', flight: r.serverFlight, engine: () => freshClient(r) },
  ];
  for (const c of cases) {
    const whole = deliver(c.engine(), [c.flight]);
    assert.doesNotMatch(whole, /"error":/, `${c.name}: accepted whole`);
    assert.match(whole, /"carry":0/);
    // Every byte position, exhaustively: TCP reads split there.
    for (let at = 0; at <= c.flight.length; at++) {
      const split = deliver(c.engine(), [c.flight.subarray(0, at), c.flight.subarray(at)]);
      assert.equal(split, whole, `${c.name}: split read at byte ${at} of ${c.flight.length}`);
    }
    // Every byte position of the handshake content: two handshake records (fragmentation across records; a cut
    // at 0 or at the end makes an empty handshake record, which TLS 1.2 forbids, so those are left out).
    const len = contentLength(c.flight);
    for (let at = 1; at < len; at++) {
      const split = deliver(c.engine(), [refragment(c.flight, at)]);
      assert.equal(split, whole, `${c.name}: handshake content cut into two records at byte ${at} of ${len}`);
    }
    // And a few random multi-way splits of the reads.
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: c.flight.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), c.flight.length];
        const chunks = points.slice(1).map((p, i) => c.flight.subarray(points[i] as number, p));
        assert.equal(deliver(c.engine(), chunks), whole, `${c.name}: cut at ${points.join(',')}`);
      }),
      { numRuns: 200, seed: 0x5b17 },
    );
  }
});
