/**
 * Mutation properties of the engine (fast-check): ≥ 10,000 mutated ClientHellos into a server engine and
 * ≥ 10,000 mutated server flights into a client engine. The inputs are one valid flight recorded once with
 * deterministic providers and the null cipher (so mutations inside "protected" records reach the parsers, as with
 * rustls's fuzzing provider), then bit-flipped, overwritten, truncated, extended and cut — bounded mutations, so
 * every run is small. Properties: the engine returns or throws promptly; whatever it throws is a TlsError that is
 * not our own bug (kind Internal / InvalidConfig); a failed engine is latched (Failed, rethrows the same error,
 * hands out at most one alert record, once).
 *
 * FUZZ_RUNS overrides the number of runs of each mutation property (default 10,000).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import fc from 'fast-check';
import { TlsEngine } from '../../src/engine/connection.js';
import { prepareClientConfig, prepareServerConfig, type PreparedClientConfig, type PreparedServerConfig } from '../../src/engine/config.js';
import { TlsError } from '../../src/errors.js';
import { ContentType } from '../../src/wire/registry.js';
import { pairOptions, parseRecords } from '../helpers/pair.js';
import type { DeterministicProvider } from '../helpers/deterministic-provider.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
/** A single process() of a few kilobytes takes well under a millisecond; anything near this is a hang. */
const PROMPT_MS = 1_000;

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number };

const interesting = fc.constantFrom(0, 1, 0x7f, 0x80, 0xfe, 0xff);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }) },
);
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = input.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert': {
        const n = new Uint8Array(b.length + m.bytes.length);
        n.set(b.subarray(0, at), 0);
        n.set(m.bytes, at);
        n.set(b.subarray(at), at + m.bytes.length);
        b = n;
        break;
      }
      case 'delete': {
        const end = Math.min(b.length, at + m.len);
        const n = new Uint8Array(b.length - (end - at));
        n.set(b.subarray(0, at), 0);
        n.set(b.subarray(end), at);
        b = n;
        break;
      }
    }
  }
  return b;
}

/** Feed `input` as a peer would (process until all of it is used or a record is incomplete) and check the contract. */
function drive(engine: TlsEngine, input: Uint8Array): 'ok' | 'failed' {
  const t0 = performance.now();
  let err: unknown;
  try {
    let off = 0;
    for (let i = 0; i < 64 && off < input.length; i++) {
      const r = engine.process(input.subarray(off));
      off += r.consumed;
      if (r.missing !== undefined || r.consumed === 0) break;
    }
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  assert.ok(ms < PROMPT_MS, `process() took ${ms.toFixed(0)} ms`);
  if (err === undefined) return 'ok';
  assert.ok(err instanceof TlsError, `threw a non-TlsError: ${String(err)}`);
  assert.ok(err.kind !== 'Internal' && err.kind !== 'InvalidConfig', `our own bug surfaced: ${err.reason}: ${err.message}\n${String((err.cause as Error | undefined)?.stack ?? '')}`);
  assert.equal(engine.stateName, 'Failed');
  assert.throws(() => engine.process(new Uint8Array([22, 3, 3, 0, 0])), (e) => e === err);
  const alert = engine.takeAlert();
  assert.equal(engine.takeAlert(), null);
  if (alert !== null) {
    const recs = parseRecords(alert);
    assert.equal(recs.length, 1);
    assert.ok(recs[0]?.type === ContentType.Alert || recs[0]?.type === ContentType.ApplicationData);
  } else {
    assert.ok(err.kind === 'AlertReceived' || err.kind === 'Closed', `no alert for ${err.reason}`);
  }
  return 'failed';
}

interface Recorded {
  readonly serverCfg: PreparedServerConfig;
  readonly clientCfg: PreparedClientConfig;
  readonly clientProvider: DeterministicProvider;
  readonly clientHello: Uint8Array;
  readonly serverFlight: Uint8Array;
}

let recorded: Promise<Recorded> | undefined;

/** One valid ClientHello and server flight (null cipher, Ed25519), recorded once. */
function record(): Promise<Recorded> {
  recorded ??= (async () => {
    const o = await pairOptions({}, {}, { seed: 'fuzz', nullCipher: true });
    const serverCfg = prepareServerConfig(o.server);
    const clientCfg = prepareClientConfig(o.client);
    o.clientProvider.rng.reset();
    const client = new TlsEngine(clientCfg);
    const clientHello = client.start();
    const server = new TlsEngine(serverCfg);
    const serverFlight = server.process(clientHello).output;
    const fin = client.process(serverFlight);
    assert.ok(fin.events.some((e) => e.type === 'HandshakeComplete'), 'the recorded flight is valid');
    server.process(fin.output);
    assert.equal(server.stateName, 'Traffic');
    return { serverCfg, clientCfg, clientProvider: o.clientProvider, clientHello, serverFlight };
  })();
  return recorded;
}

test(`property: ${RUNS} mutated ClientHellos → the server returns or fails cleanly with a TlsError`, async () => {
  const r = await record();
  const outcomes = { ok: 0, failed: 0 };
  fc.assert(
    fc.property(mutationsArb, (ms) => {
      outcomes[drive(new TlsEngine(r.serverCfg), mutate(r.clientHello, ms))]++;
    }),
    { numRuns: RUNS, seed: 0x5eed },
  );
  assert.ok(outcomes.failed > RUNS / 10, `many mutations are rejected (${JSON.stringify(outcomes)})`);
});

test(`property: ${RUNS} mutated server flights → the client returns or fails cleanly with a TlsError`, async () => {
  const r = await record();
  const outcomes = { ok: 0, failed: 0 };
  fc.assert(
    fc.property(mutationsArb, (ms) => {
      r.clientProvider.rng.reset();
      const client = new TlsEngine(r.clientCfg);
      client.start();
      outcomes[drive(client, mutate(r.serverFlight, ms))]++;
    }),
    { numRuns: RUNS, seed: 0xf1a7 },
  );
  assert.ok(outcomes.failed > RUNS / 10, `many mutations are rejected (${JSON.stringify(outcomes)})`);
});

test('property: random bytes into a fresh server or client only ever fail with a TlsError', async () => {
  const r = await record();
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom(20, 21, 22, 23, 0, 99), (server, bytes, type) => {
      const input = bytes.slice();
      if (input.length >= 3) {
        input[0] = type;
        input[1] = 3;
      }
      const e = new TlsEngine(server ? r.serverCfg : r.clientCfg);
      if (!server) {
        r.clientProvider.rng.reset();
        e.start();
      }
      drive(e, input);
    }),
    { numRuns: 2_000, seed: 7 },
  );
});
