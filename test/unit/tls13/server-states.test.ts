/**
 * The TLS 1.3 server machine driven from hand-built states with a recording context (no engine): the flight's
 * named steps emit in wire order and end in the right state, and a state refuses what it does not expect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsEngine } from '../../../src/engine/connection.js';
import { prepareClientConfig, prepareServerConfig } from '../../../src/engine/config.js';
import { HandshakeJoiner } from '../../../src/record/handshake-joiner.js';
import { serverHandle13, type ServerCx, type ServerState13 } from '../../../src/tls13/server.js';
import type { ServerOptions } from '../../../src/vocabulary/options.js';
import type { HandshakeMessage } from '../../../src/wire/handshake.js';
import { HandshakeType } from '../../../src/wire/registry.js';
import { TlsError } from '../../../src/errors.js';
import { fixedIdentities } from '../../helpers/fixed-identity.js';

const ids = fixedIdentities();
const serverCert = { cert: [ids.server.certDer], key: ids.server.keyDer };

/** A server context that records what the machine does instead of sealing it. */
function recordingCx(options: Partial<ServerOptions>): { cx: ServerCx; log: string[] } {
  const config = prepareServerConfig({ certificates: [serverCert], ...options });
  const log: string[] = [];
  const cx: ServerCx = {
    config,
    provider: config.provider,
    emit: (_raw, name) => log.push(name),
    sendChangeCipherSpec: () => log.push('ChangeCipherSpec'),
    installReadKeys13: () => log.push('read keys'),
    installWriteKeys13: () => log.push('write keys'),
    installReadKeys12: () => assert.fail('TLS 1.2 keys in TLS 1.3'),
    installWriteKeys12: () => assert.fail('TLS 1.2 keys in TLS 1.3'),
    event: () => undefined,
    keyLog: () => undefined,
    traceReceived: () => undefined,
    setPeerRecordSizeLimit: () => undefined,
    setPeerOcspResponse: () => undefined,
    setSkipEarlyData: () => undefined,
  };
  return { cx, log };
}

/** Our client's ClientHello, as one handshake message. */
function clientHello(): HandshakeMessage {
  const client = new TlsEngine(prepareClientConfig({ servername: 'server.test', checkServerName: false, minVersion: 'TLSv1.3' }));
  const record = client.start();
  const [m] = new HandshakeJoiner().push(record.subarray(5));
  assert.ok(m !== undefined && m.type === HandshakeType.ClientHello);
  return m;
}

test('the server flight: ServerHello, CCS, handshake keys, EncryptedExtensions, Certificate, CertificateVerify, Finished, then ExpectFinished', () => {
  const { cx, log } = recordingCx({});
  const next = serverHandle13({ kind: 'ExpectClientHello' }, clientHello(), cx);
  assert.equal(next.kind, 'ExpectFinished');
  assert.deepEqual(log, ['ServerHello', 'ChangeCipherSpec', 'write keys', 'read keys', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished', 'write keys']);
});

test('with client authentication the flight carries a CertificateRequest and waits for the client Certificate', () => {
  const { cx, log } = recordingCx({ clientAuth: 'optional', ca: [ids.root.certDer] });
  const next = serverHandle13({ kind: 'ExpectClientHello' }, clientHello(), cx);
  assert.equal(next.kind, 'ExpectCertificate');
  assert.deepEqual(log.filter((n) => !n.endsWith('keys')), ['ServerHello', 'ChangeCipherSpec', 'EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished']);
});

test('a hand-built state refuses a message it does not expect with unexpected_message and emits nothing', () => {
  const { cx, log } = recordingCx({});
  const flight = serverHandle13({ kind: 'ExpectClientHello' }, clientHello(), cx);
  assert.equal(flight.kind, 'ExpectFinished');
  log.length = 0;
  const states: ServerState13[] = [{ kind: 'ExpectClientHello' }, flight];
  for (const s of states) {
    assert.throws(
      () => serverHandle13(s, { type: HandshakeType.Certificate, body: new Uint8Array(4), raw: new Uint8Array([HandshakeType.Certificate, 0, 0, 4, 0, 0, 0, 0]) }, cx),
      (e: unknown) => e instanceof TlsError && e.alert === 'unexpected_message',
    );
  }
  assert.deepEqual(log, []);
});
