/**
 * `--groups` for `sspi-tls serve` and `connect`: names (case-insensitive) map to NamedGroup values, mistakes are one
 * line and exit 2, and serve/connect against each other negotiate what the lists say (the serve connection line
 * and connect's summary both show the group; a HelloRetryRequest when the client's first share does not fit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdhCurveOf, groupList, UsageError } from '../../src/cli/args.js';
import { NamedGroup } from '../../src/wire/registry.js';
import { getPki } from '../helpers/pki.js';
import { annotate, runPeer, type Peer } from '../helpers/peers.js';
import { CLI, cli, startServe } from './run.js';

test('groupList: names case-insensitive, in order, mapped to NamedGroup values; unknown or repeated names are usage errors', () => {
  assert.deepEqual(groupList('serve', 'x25519mlkem768,x25519,p256,p384'), [
    NamedGroup.X25519MLKEM768,
    NamedGroup.x25519,
    NamedGroup.secp256r1,
    NamedGroup.secp384r1,
  ]);
  assert.deepEqual(groupList('connect', 'P384, X25519MLKEM768 ,X25519'), [NamedGroup.secp384r1, NamedGroup.X25519MLKEM768, NamedGroup.x25519]);
  assert.equal(ecdhCurveOf(groupList('serve', 'X25519MLKEM768,x25519,p256,P384')), 'X25519MLKEM768:X25519:P-256:P-384');
  assert.throws(() => groupList('serve', 'x448'), (e) => e instanceof UsageError && /serve: unknown group 'x448' in --groups/.test(e.message));
  assert.throws(() => groupList('serve', 'x25519,'), UsageError);
  assert.throws(() => groupList('connect', 'p256,P256'), (e) => e instanceof UsageError && /listed twice/.test(e.message));
});

test('--groups mistakes on the command line: one line, exit 2', async () => {
  for (const [args, re] of [
    [['serve', '--groups', 'bogus'], /serve: unknown group 'bogus' in --groups \(known: x25519mlkem768, x25519, p256, p384\)/],
    [['connect', '127.0.0.1:1', '--groups', 'x25519,X25519'], /connect: group 'x25519' listed twice/],
    [['serve', '--groups'], /'--groups' needs a value/],
  ] as const) {
    const r = await runPeer(process.execPath, [CLI, ...args], { timeoutMs: 15_000 });
    assert.equal(r.code, 2, r.output);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

async function negotiate(serveGroups: string, connectGroups: string, group: string): Promise<void> {
  const pki = await getPki();
  const serve = await startServe(['--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, '--groups', serveGroups]);
  let client: Peer | undefined;
  try {
    client = await cli(['connect', `127.0.0.1:${serve.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath, '--groups', connectGroups]);
    await client.waitFor(new RegExp(`connected to 127\\.0\\.0\\.1:\\d+ version=TLSv1\\.3 .*group=${group}\\b`), 15_000, 'stderr');
    await serve.waitFor(new RegExp(`conn=1 .*group=${group}\\b`), 15_000, 'stdout');
    client.write('ping\n');
    await client.waitFor(/ping/, 15_000, 'stdout');
  } catch (e) {
    throw annotate(e, client ? [serve, client] : [serve]);
  } finally {
    await client?.stop();
    await serve.stop();
  }
}

test('serve --groups / connect --groups: X25519MLKEM768, x25519, and P-384 after a HelloRetryRequest', { timeout: 90_000 }, async () => {
  await negotiate('X25519MLKEM768,x25519', 'x25519mlkem768,x25519', 'X25519MLKEM768');
  await negotiate('x25519mlkem768,x25519', 'x25519', 'x25519');
  await negotiate('p256', 'p256', 'secp256r1');
  // connect sends a share for its first group only (x25519); serve accepts P-384 only: HRR.
  await negotiate('p384', 'x25519,p384', 'secp384r1');
});

test('serve --groups p384 against connect --groups x25519: no common group, connect exits 1', { timeout: 30_000 }, async () => {
  const pki = await getPki();
  const serve = await startServe(['--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, '--groups', 'p384']);
  try {
    const r = await runPeer(process.execPath, [CLI, 'connect', `127.0.0.1:${serve.port}`, '--ca', pki.ca.certPath, '--servername', 'localhost', '--groups', 'x25519'], {
      timeoutMs: 15_000,
      closeStdin: false,
    });
    assert.equal(r.code, 1, r.output);
    assert.match(r.stderr, /handshake failed: .*handshake_failure/);
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
  }
});
