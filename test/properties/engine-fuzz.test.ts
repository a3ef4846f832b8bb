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
import { test } from 'node:test';
import fc from 'fast-check';
import { TlsEngine } from '../../src/engine/connection.js';
import { prepareClientConfig, prepareServerConfig, type PreparedClientConfig, type PreparedServerConfig } from '../../src/engine/config.js';
import { ContentType } from '../../src/wire/registry.js';
import { pairOptions, parseRecords } from '../helpers/pair.js';
import type { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { feedChecked, mutate, mutationsArb, RUNS } from '../helpers/mutate.js';

/** Feed `input` (feedChecked: prompt, TlsError only, latched), then check the one alert. */
function drive(engine: TlsEngine, input: Uint8Array): 'ok' | 'failed' {
  const err = feedChecked(engine, input);
  if (err === undefined) return 'ok';
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
