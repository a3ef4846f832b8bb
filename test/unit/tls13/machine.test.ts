/**
 * The TLS 1.3 machines behind the one machine contract (src/tls13/machine.ts), driven without an engine: the
 * version is decided on the ClientHello (TLS 1.3 here, the TLS 1.2 machine passed in otherwise, none: refused),
 * a change_cipher_spec's role follows the state, and requests the version or side cannot serve throw without
 * changing the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsEngine } from '../../../src/engine/connection.js';
import { prepareClientConfig, prepareServerConfig } from '../../../src/engine/config.js';
import { TlsError } from '../../../src/errors.js';
import type { HandshakeMachine } from '../../../src/handshake/machine.js';
import { HandshakeJoiner } from '../../../src/record/handshake-joiner.js';
import { ServerMachine13, type Tls12ServerFactory } from '../../../src/tls13/machine.js';
import type { ServerCx } from '../../../src/tls13/server.js';
import type { ClientOptions } from '../../../src/vocabulary/options.js';
import type { HandshakeMessage } from '../../../src/wire/handshake.js';
import { HandshakeType, ProtocolVersion } from '../../../src/wire/registry.js';
import { fixedIdentities } from '../../helpers/fixed-identity.js';

const ids = fixedIdentities();

function serverCx(): ServerCx {
  const config = prepareServerConfig({ certificates: [{ cert: [ids.server.certDer], key: ids.server.keyDer }] });
  return {
    config,
    provider: config.provider,
    emit: () => undefined,
    sendChangeCipherSpec: () => undefined,
    installReadKeys13: () => undefined,
    installWriteKeys13: () => undefined,
    installReadKeys12: () => undefined,
    installWriteKeys12: () => undefined,
    event: () => undefined,
    keyLog: () => undefined,
    traceReceived: () => undefined,
    setPeerRecordSizeLimit: () => undefined,
    setPeerOcspResponse: () => undefined,
    setSkipEarlyData: () => undefined,
  };
}

function clientHello(options: Partial<ClientOptions>): HandshakeMessage {
  const client = new TlsEngine(prepareClientConfig({ servername: 'server.test', checkServerName: false, ...options }));
  const [m] = new HandshakeJoiner().push(client.start().subarray(5));
  assert.ok(m !== undefined && m.type === HandshakeType.ClientHello);
  return m;
}

/** A stand-in TLS 1.2 machine that records that it was chosen. */
function fake12(chosen: string[]): Tls12ServerFactory {
  return (decoded) => {
    chosen.push(`tls12 for legacy_version ${decoded.hello.legacyVersion.toString(16)}`);
    return { version: ProtocolVersion.TLS12, stateName: 'Fake12' } as unknown as HandshakeMachine;
  };
}

test('a server machine before the ClientHello: no version, a change_cipher_spec is unexpected', () => {
  const m = new ServerMachine13({ kind: 'ExpectClientHello' }, serverCx(), undefined);
  assert.equal(m.version, undefined);
  assert.equal(m.changeCipherSpecRole, 'unexpected');
  assert.equal(m.isTraffic, false);
});

test('a ClientHello offering TLS 1.3 stays with the TLS 1.3 server; then a CCS is a compatibility record', () => {
  const chosen: string[] = [];
  const m = new ServerMachine13({ kind: 'ExpectClientHello' }, serverCx(), fake12(chosen)).handle(clientHello({}));
  assert.deepEqual(chosen, []);
  assert.equal(m.version, ProtocolVersion.TLS13);
  assert.equal(m.stateName, 'ExpectFinished');
  assert.equal(m.changeCipherSpecRole, 'compatibility');
});

test('a TLS 1.2-only ClientHello goes to the TLS 1.2 machine passed in, or is refused without one', () => {
  const hello = clientHello({ maxVersion: 'TLSv1.2' });
  const chosen: string[] = [];
  const m = new ServerMachine13({ kind: 'ExpectClientHello' }, serverCx(), fake12(chosen)).handle(hello);
  assert.deepEqual(chosen, ['tls12 for legacy_version 303']);
  assert.equal(m.stateName, 'Fake12');
  assert.throws(
    () => new ServerMachine13({ kind: 'ExpectClientHello' }, serverCx(), undefined).handle(hello),
    (e: unknown) => e instanceof TlsError && e.reason === 'PeerIncompatible.NoCommonVersion',
  );
});

test('what TLS 1.3 cannot do is refused with an internal error and leaves the machine as it was', () => {
  const m = new ServerMachine13({ kind: 'ExpectClientHello' }, serverCx(), undefined).handle(clientHello({}));
  assert.equal(m.canRenegotiate, false);
  assert.throws(() => m.requestRenegotiation({ clientAuth: 'required', enforce: true }), (e: unknown) => e instanceof TlsError && e.kind === 'Internal');
  assert.throws(() => m.requestClientCertificate(), (e: unknown) => e instanceof TlsError && e.kind === 'Internal');
  assert.throws(() => m.updateKeys(false), (e: unknown) => e instanceof TlsError && e.kind === 'Internal');
  assert.throws(() => m.changeCipherSpec(), (e: unknown) => e instanceof TlsError && e.reason === 'PeerMisbehaved.IllegalChangeCipherSpec');
  assert.equal(m.stateName, 'ExpectFinished');
  assert.equal(m.tlsUnique, undefined);
});
