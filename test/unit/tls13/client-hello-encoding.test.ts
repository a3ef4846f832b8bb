/**
 * The client writes its first ClientHello's extensions straight into the message (src/tls13/client.ts
 * writeClientExtensions); with a `clientHelloHook` the same extension bytes are read back as a list and encoded by
 * wire/client-hello.ts encodeClientHello. Both forms must be the same bytes: an identity hook may not change the
 * wire, for every extension the client can send (TLS 1.2 and 1.3 offered together, ALPN, record_size_limit,
 * status_request, post_handshake_auth, key shares of two groups, and a resumed session's pre_shared_key with its
 * binder). The random values are seeded, so the two connections differ only in the path that encoded them, and
 * each flight's SHA-256 is pinned to what the client sent before it wrote its extensions in one pass (the
 * per-extension encoding of 9df6958), so a change inside the shared writer fails too.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { TlsClient, TlsServer, TlsConnection } from '../../../src/api/connection.js';
import type { ClientOptions } from '../../../src/vocabulary/options.js';
import { createClientEngine } from '../../../src/engine/connection.js';
import type { SessionTicket } from '../../../src/vocabulary/events.js';
import type { ClientHello } from '../../../src/wire/client-hello.js';
import { NamedGroup } from '../../../src/wire/registry.js';
import { DeterministicProvider } from '../../helpers/deterministic-provider.js';
import { fixedIdentities } from '../../helpers/fixed-identity.js';

const NOW = Date.UTC(2026, 0, 1);
const ids = fixedIdentities();

/** The first flight of a client made from `options` (and `session`), with or without an identity hook. */
function firstFlight(options: ClientOptions, hooked: boolean, session?: SessionTicket): { bytes: Uint8Array; hookCalls: number } {
  const prepared = new TlsClient({ ...options, provider: new DeterministicProvider({ seed: 'hello', now: NOW }) }).config;
  let hookCalls = 0;
  const hook = (ch: ClientHello): ClientHello => {
    hookCalls++;
    return ch;
  };
  const c = new TlsConnection(createClientEngine({ ...prepared, session, ...(hooked ? { clientHelloHook: hook } : {}) }));
  return { bytes: c.takeOutput(), hookCalls };
}

/** A ticket from a full handshake with our server (for the pre_shared_key case). */
function ticketFor(options: ClientOptions): SessionTicket {
  const server = new TlsServer({ provider: new DeterministicProvider({ seed: 'ticket/server', now: NOW }), certificates: [{ cert: [ids.server.certDer], key: ids.server.keyDer }], groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
  const client = new TlsClient(options);
  const c = client.connect();
  const s = server.accept();
  let ticket: SessionTicket | undefined;
  c.on('session', (t) => (ticket ??= t));
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput();
    if (a.length > 0) s.receive(a);
    const b = s.takeOutput();
    if (b.length > 0) c.receive(b);
    if (a.length === 0 && b.length === 0) break;
  }
  assert.ok(ticket !== undefined, 'the server sent a ticket');
  return ticket;
}

const BASE: ClientOptions = { servername: 'golden.test', ca: [ids.root.certDer], groups: [NamedGroup.x25519, NamedGroup.secp256r1] };

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const CASES: Record<string, ClientOptions> = {
  'TLS 1.3 only, defaults': BASE,
  'TLS 1.2 and 1.3 offered, two key shares, ALPN, record_size_limit, no status_request': {
    ...BASE,
    minVersion: 'TLSv1.2',
    keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
    ALPNProtocols: ['h2', 'http/1.1'],
    recordSizeLimit: 4096,
    requestOcsp: false,
  },
  'TLS 1.2 only': { ...BASE, maxVersion: 'TLSv1.2' },
  'an IP address (no server_name) and a client certificate (post_handshake_auth)': {
    ...BASE,
    servername: '127.0.0.1',
    checkServerName: false,
    clientCertificate: { cert: [ids.client.certDer], key: ids.client.keyDer },
  },
};

/** SHA-256 of each case's first flight as 9df6958 sent it (the same seeds and clock). */
const PINNED: Record<string, string> = {
  'TLS 1.3 only, defaults': '54400f93d3cf5f5fa923ea77ce958f9e4f63007cdd9035dfe8ba00fd44982e78',
  'TLS 1.2 and 1.3 offered, two key shares, ALPN, record_size_limit, no status_request': '29993f0b50b2460aa1a8f404cb039240227f9697f400afb1453f505d7028b1f6',
  'TLS 1.2 only': '6bdee3be379f3214fe4d5396795124771897a6c43ad6f3591fecbd1de354e1ef',
  'an IP address (no server_name) and a client certificate (post_handshake_auth)': '41c6819ac0eed473ebc69ae147e119cc9656d37cd287cf4a3db30fe87f34f657',
  'a resumed session': 'c0698f92e93e7f3e4476117ca41d15967aa0816dccf84e6546fc3b0981c41830',
};

for (const [name, options] of Object.entries(CASES)) {
  test(`first ClientHello, one writer = list form: ${name}`, () => {
    const direct = firstFlight(options, false);
    const listed = firstFlight(options, true);
    if (process.env['HELLO_PRINT'] === '1') console.log(JSON.stringify({ name, digest: sha256(direct.bytes), listed: sha256(listed.bytes) }));
    assert.equal(direct.hookCalls, 0);
    assert.equal(listed.hookCalls, 1);
    assert.ok(direct.bytes.length > 100);
    assert.deepEqual(direct.bytes, listed.bytes);
    assert.equal(sha256(direct.bytes), PINNED[name]);
  });
}

test('first ClientHello, one writer = list form: a resumed session (pre_shared_key last, binder patched)', () => {
  const ticket = ticketFor({ ...BASE, provider: new DeterministicProvider({ seed: 'ticket', now: NOW }) });
  const direct = firstFlight(BASE, false, ticket);
  const listed = firstFlight(BASE, true, ticket);
  assert.equal(listed.hookCalls, 1);
  if (process.env['HELLO_PRINT'] === '1') console.log(JSON.stringify({ name: 'a resumed session', digest: sha256(direct.bytes), listed: sha256(listed.bytes) }));
  assert.deepEqual(direct.bytes, listed.bytes);
  assert.equal(sha256(direct.bytes), PINNED['a resumed session']);
  // The pre_shared_key extension (type 41) was offered: its type appears in the hello.
  const hello = direct.bytes;
  let found = false;
  for (let i = 0; i + 1 < hello.length; i++) if (hello[i] === 0 && hello[i + 1] === 41) found = true;
  assert.ok(found, 'pre_shared_key present');
});
