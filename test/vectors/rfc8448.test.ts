/**
 * RFC 8448 §3 (Simple 1-RTT Handshake) and §5 (HelloRetryRequest), parsed from the RFC text at test time
 * (test/vectors/rfc8448.ts). Checked byte for byte: ephemeral keys from injected random bytes, every secret of the
 * key schedule, traffic keys and IVs, transcript hashes (with the HRR message_hash rollup), Finished values, the
 * resumption PSK, record protection of every protected record of the trace, the server's CertificateVerify, and
 * the codec (decode → encode gives the RFC's bytes back). Finally our CLIENT ENGINE replays the server's side of
 * each trace and must answer with the RFC's records — that part needs the ClientHello override hook (see
 * `clientHelloHookSupported`) and is skipped, saying so, until the engine has it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClientEngine } from '../../src/engine/connection.js';
import { prepareClientConfig } from '../../src/engine/config.js';
import { suiteById, type SuiteInfo } from '../../src/crypto/suites.js';
import { DirectionState } from '../../src/record/protection.js';
import { Transcript, TranscriptBuffer } from '../../src/handshake/transcript.js';
import { verifyCertificateVerify13 } from '../../src/handshake/verify.js';
import {
  EarlySecret,
  finishedVerifyData,
  hkdfExpandLabel,
  Label,
  ticketPsk,
  trafficKeys,
} from '../../src/tls13/key-schedule.js';
import { decodeClientHello, encodeClientHello, type ClientHello } from '../../src/wire/client-hello.js';
import { decodeServerHello, encodeServerHello, isHelloRetryRequest } from '../../src/wire/server-hello.js';
import { decodeCertificate13, decodeCertificateVerify, encodeCertificate13, encodeCertificateVerify } from '../../src/wire/certificate.js';
import { decodeEncryptedExtensions, decodeNewSessionTicket13, encodeEncryptedExtensions, encodeNewSessionTicket13 } from '../../src/wire/tls13-messages.js';
import { ContentType, NamedGroup, SignatureScheme } from '../../src/wire/registry.js';
import { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { concatBytes, toHex } from '../helpers/hex.js';
import { splitHandshakeMessages } from '../helpers/pair.js';
import { parseVector, type Trace } from './rfc8448.js';

const AES128 = suiteById(0x1301) as SuiteInfo;

function eqHex(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(toHex(actual), toHex(expected), what);
}

function header(record: Uint8Array): Uint8Array {
  return record.subarray(0, 5);
}

/** Protect `plaintext` as the `seq`-th record under key/iv. */
function sealAt(p: DeterministicProvider, key: Uint8Array, iv: Uint8Array, seq: number, type: number, plaintext: Uint8Array): Uint8Array {
  const d = new DirectionState();
  d.install13(p, AES128, key, iv);
  for (let i = 0; i < seq; i++) d.seal(ContentType.ApplicationData, new Uint8Array(0));
  return d.seal(type, plaintext);
}

function openAt(p: DeterministicProvider, key: Uint8Array, iv: Uint8Array, seq: number, record: Uint8Array): { type: number; fragment: Uint8Array } {
  const d = new DirectionState();
  d.install13(p, AES128, key, iv);
  d.seq = seq;
  return d.open(header(record), record[0] as number, record.subarray(5));
}

function transcriptOf(p: DeterministicProvider, ...messages: Uint8Array[]): Transcript {
  const t = new Transcript(p.createHash('sha256'));
  for (const m of messages) t.add(m);
  return t;
}

/** Checks of one "derive write/read traffic keys" step against a traffic secret. */
function checkKeys(p: DeterministicProvider, trace: Trace, who: 'client' | 'server', title: string, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const k = trafficKeys(p, AES128, secret);
  eqHex(trace.get(who, title, 'PRK'), secret, `${title}: PRK is the traffic secret`);
  eqHex(k.key, trace.get(who, title, 'key expanded'), `${title}: key`);
  eqHex(k.iv, trace.get(who, title, 'iv expanded'), `${title}: iv`);
  return k;
}

/**
 * The engine is made to send the trace's ClientHello with the test-only `clientHelloHook` of the prepared client
 * config (applied before encoding; the offer is taken from the hooked hello; an empty legacy_session_id turns the
 * compatibility-mode CCS off, RFC 8446 D.4). Everything after it is our engine's own work.
 */

describe('RFC 8448 §3 Simple 1-RTT Handshake', () => {
  const t3 = parseVector('3');
  const p = new DeterministicProvider({ seed: 'rfc8448 §3' });
  const ch = t3.get('client', 'construct a ClientHello', 'ClientHello');
  const sh = t3.get('server', 'construct a ServerHello', 'ServerHello');
  const ee = t3.get('server', 'construct an EncryptedExtensions', 'EncryptedExtensions');
  const cert = t3.get('server', 'construct a Certificate', 'Certificate');
  const cv = t3.get('server', 'construct a CertificateVerify', 'CertificateVerify');
  const sfin = t3.get('server', 'construct a Finished', 'Finished');
  const cfin = t3.get('client', 'construct a Finished', 'Finished');
  const nst = t3.get('server', 'construct a NewSessionTicket', 'NewSessionTicket');

  test('the trace parses: records frame their messages', () => {
    eqHex(t3.get('client', 'send handshake record', 'complete record'), concatBytes(new Uint8Array([22, 3, 1, 0, 0xc4]), ch), 'ClientHello record');
    eqHex(t3.get('server', 'send handshake record', 'complete record'), concatBytes(new Uint8Array([22, 3, 3, 0, 0x5a]), sh), 'ServerHello record');
    eqHex(t3.get('server', 'send handshake record', 'payload', 1), concatBytes(ee, cert, cv, sfin), 'server flight payload');
  });

  test('x25519 key pairs come from the injected random bytes; the shared secret is the trace IKM', () => {
    const ikm = t3.get('server', 'extract secret "handshake"', 'IKM');
    const cp = new DeterministicProvider();
    cp.rng.script(t3.get('client', 'create an ephemeral x25519', 'private key'));
    const ckx = cp.keyExchangeClient(NamedGroup.x25519);
    assert.ok(ckx !== undefined);
    eqHex(ckx.publicKey, t3.get('client', 'create an ephemeral x25519', 'public key'), 'client public key');
    const sp = new DeterministicProvider();
    sp.rng.script(t3.get('server', 'create an ephemeral x25519', 'private key'));
    const sres = sp.keyExchangeServer(NamedGroup.x25519, ckx.publicKey);
    eqHex(sres.publicKey, t3.get('server', 'create an ephemeral x25519', 'public key'), 'server public key');
    eqHex(sres.sharedSecret, ikm, 'server shared secret');
    eqHex(ckx.complete(sres.publicKey), ikm, 'client shared secret');
  });

  test('key schedule: every secret, key, IV and Finished', () => {
    const early = new EarlySecret(p, AES128, null);
    eqHex(early.secret, t3.get('server', 'extract secret "early"', 'secret'), 'early secret');
    eqHex(
      hkdfExpandLabel(p, AES128, early.secret, Label.derived, p.hash('sha256', new Uint8Array(0)), 32),
      t3.get('server', 'derive secret for handshake "tls13 derived"', 'expanded'),
      'derived (early)',
    );
    const hs = early.handshakeSecret(t3.get('server', 'extract secret "handshake"', 'IKM'));
    eqHex(hs.secret, t3.get('server', 'extract secret "handshake"', 'secret'), 'handshake secret');

    const tr = transcriptOf(p, ch, sh);
    const thSh = tr.current();
    eqHex(thSh, t3.get('server', 'derive secret "tls13 c hs traffic"', 'hash'), 'Transcript-Hash(ClientHello..ServerHello)');
    const cHs = hs.clientHandshakeTrafficSecret(thSh);
    const sHs = hs.serverHandshakeTrafficSecret(thSh);
    eqHex(cHs, t3.get('server', 'derive secret "tls13 c hs traffic"', 'expanded'), 'client_handshake_traffic_secret');
    eqHex(sHs, t3.get('server', 'derive secret "tls13 s hs traffic"', 'expanded'), 'server_handshake_traffic_secret');
    checkKeys(p, t3, 'server', 'derive write traffic keys for handshake data', sHs);
    checkKeys(p, t3, 'server', 'derive read traffic keys for handshake data', cHs);

    const master = hs.masterSecret();
    eqHex(master.secret, t3.get('server', 'extract secret "master"', 'secret'), 'master secret');

    tr.add(ee);
    tr.add(cert);
    tr.add(cv);
    eqHex(hkdfExpandLabel(p, AES128, sHs, Label.finished, new Uint8Array(0), 32), t3.get('server', 'calculate finished', 'expanded'), 'server finished_key');
    const sVerify = finishedVerifyData(p, AES128, sHs, tr.current());
    eqHex(sVerify, t3.get('server', 'calculate finished', 'finished'), 'server verify_data');
    eqHex(sfin.subarray(4), sVerify, 'server Finished message');
    tr.add(sfin);

    const thSf = tr.current();
    eqHex(thSf, t3.get('server', 'derive secret "tls13 c ap traffic"', 'hash'), 'Transcript-Hash(ClientHello..server Finished)');
    const cAp = master.clientApplicationTrafficSecret(thSf);
    const sAp = master.serverApplicationTrafficSecret(thSf);
    eqHex(cAp, t3.get('server', 'derive secret "tls13 c ap traffic"', 'expanded'), 'client_application_traffic_secret_0');
    eqHex(sAp, t3.get('server', 'derive secret "tls13 s ap traffic"', 'expanded'), 'server_application_traffic_secret_0');
    eqHex(master.exporterMasterSecret(thSf), t3.get('server', 'derive secret "tls13 exp master"', 'expanded'), 'exporter_master_secret');
    checkKeys(p, t3, 'server', 'derive write traffic keys for application data', sAp);
    checkKeys(p, t3, 'client', 'derive write traffic keys for application data', cAp);

    eqHex(hkdfExpandLabel(p, AES128, cHs, Label.finished, new Uint8Array(0), 32), t3.get('client', 'calculate finished "tls13 finished"', 'expanded', 1), 'client finished_key');
    const cVerify = finishedVerifyData(p, AES128, cHs, thSf);
    eqHex(cVerify, t3.get('client', 'calculate finished "tls13 finished"', 'finished', 1), 'client verify_data');
    eqHex(cfin.subarray(4), cVerify, 'client Finished message');
    tr.add(cfin);

    const thCf = tr.current();
    eqHex(thCf, t3.get('client', 'derive secret "tls13 res master"', 'hash'), 'Transcript-Hash(ClientHello..client Finished)');
    const res = master.resumptionMasterSecret(thCf);
    eqHex(res, t3.get('client', 'derive secret "tls13 res master"', 'expanded'), 'resumption_master_secret');
    const ticket = decodeNewSessionTicket13(nst.subarray(4));
    eqHex(ticket.ticketNonce, t3.get('server', 'generate resumption secret', 'hash'), 'ticket_nonce');
    eqHex(ticketPsk(p, AES128, res, ticket.ticketNonce), t3.get('server', 'generate resumption secret', 'expanded'), 'ticket PSK');
    // §4's resumed handshake starts from that PSK: its early secret.
    const t4 = parseVector('4');
    eqHex(t4.get('client', 'extract secret "early"', 'IKM'), ticketPsk(p, AES128, res, ticket.ticketNonce), '§4 PSK = §3 ticket PSK');
    eqHex(new EarlySecret(p, AES128, ticketPsk(p, AES128, res, ticket.ticketNonce)).secret, t4.get('client', 'extract secret "early"', 'secret'), '§4 early secret');
  });

  test('record protection: every protected record of the trace', () => {
    const hs = new EarlySecret(p, AES128, null).handshakeSecret(t3.get('server', 'extract secret "handshake"', 'IKM'));
    const tr = transcriptOf(p, ch, sh);
    const sHsK = trafficKeys(p, AES128, hs.serverHandshakeTrafficSecret(tr.current()));
    const cHsK = trafficKeys(p, AES128, hs.clientHandshakeTrafficSecret(tr.current()));
    const serverFlight = t3.get('server', 'send handshake record', 'complete record', 1);
    const opened = openAt(p, sHsK.key, sHsK.iv, 0, serverFlight);
    assert.equal(opened.type, ContentType.Handshake);
    eqHex(opened.fragment, concatBytes(ee, cert, cv, sfin), 'server flight decrypts to EE‖Certificate‖CertificateVerify‖Finished');
    eqHex(sealAt(p, sHsK.key, sHsK.iv, 0, ContentType.Handshake, concatBytes(ee, cert, cv, sfin)), serverFlight, 'server flight seals to the trace record');
    eqHex(sealAt(p, cHsK.key, cHsK.iv, 0, ContentType.Handshake, cfin), t3.get('client', 'send handshake record', 'complete record', 1), 'client Finished record');

    for (const m of [ee, cert, cv, sfin]) tr.add(m);
    const master = hs.masterSecret();
    const sApK = trafficKeys(p, AES128, master.serverApplicationTrafficSecret(tr.current()));
    const cApK = trafficKeys(p, AES128, master.clientApplicationTrafficSecret(tr.current()));
    eqHex(sealAt(p, sApK.key, sApK.iv, 0, ContentType.Handshake, nst), t3.get('server', 'send handshake record', 'complete record', 2), 'NewSessionTicket record (server seq 0)');
    const data = t3.get('client', 'send application_data record', 'payload');
    eqHex(sealAt(p, cApK.key, cApK.iv, 0, ContentType.ApplicationData, data), t3.get('client', 'send application_data record', 'complete record'), 'client data (seq 0)');
    eqHex(sealAt(p, sApK.key, sApK.iv, 1, ContentType.ApplicationData, data), t3.get('server', 'send application_data record', 'complete record'), 'server data (seq 1)');
    eqHex(sealAt(p, cApK.key, cApK.iv, 1, ContentType.Alert, new Uint8Array([1, 0])), t3.get('client', 'send alert record', 'complete record'), 'client close_notify (seq 1)');
    eqHex(sealAt(p, sApK.key, sApK.iv, 2, ContentType.Alert, new Uint8Array([1, 0])), t3.get('server', 'send alert record', 'complete record'), 'server close_notify (seq 2)');
    // One flipped bit anywhere in the ciphertext or tag fails authentication.
    const bad = serverFlight.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    assert.throws(() => openAt(p, sHsK.key, sHsK.iv, 0, bad), { name: 'TlsError', alert: 'bad_record_mac' });
  });

  test("the server's RSA-1024 rsa_pss_rsae_sha256 CertificateVerify verifies (and fails when altered)", () => {
    const leaf = decodeCertificate13(cert.subarray(4)).certificateList[0]?.certData;
    assert.ok(leaf !== undefined);
    const v = decodeCertificateVerify(cv.subarray(4));
    assert.equal(v.algorithm, SignatureScheme.rsa_pss_rsae_sha256);
    const th = transcriptOf(p, ch, sh, ee, cert).current();
    verifyCertificateVerify13(p, leaf, v.algorithm, v.signature, [SignatureScheme.rsa_pss_rsae_sha256], true, th);
    const sig = v.signature.slice();
    sig[10] = (sig[10] as number) ^ 0x80;
    assert.throws(() => verifyCertificateVerify13(p, leaf, v.algorithm, sig, [SignatureScheme.rsa_pss_rsae_sha256], true, th), { alert: 'decrypt_error' });
  });

  test('codec: the trace messages decode and re-encode to the same bytes', () => {
    const chv = decodeClientHello(ch.subarray(4));
    assert.equal(chv.legacySessionId.length, 0, 'RFC 8448 §3 ClientHello has an empty legacy_session_id');
    eqHex(encodeClientHello(chv), ch, 'ClientHello');
    eqHex(encodeServerHello(decodeServerHello(sh.subarray(4))), sh, 'ServerHello');
    eqHex(encodeEncryptedExtensions(decodeEncryptedExtensions(ee.subarray(4))), ee, 'EncryptedExtensions');
    eqHex(encodeCertificate13(decodeCertificate13(cert.subarray(4))), cert, 'Certificate');
    eqHex(encodeCertificateVerify(decodeCertificateVerify(cv.subarray(4))), cv, 'CertificateVerify');
    eqHex(encodeNewSessionTicket13(decodeNewSessionTicket13(nst.subarray(4))), nst, 'NewSessionTicket');
  });

  test('client engine replays the server side and sends the trace client records', (t) => {
    const rfcHello = decodeClientHello(ch.subarray(4));
    const provider = new DeterministicProvider({ seed: 'rfc8448 §3 engine' });
    const client = createClientEngine({
      ...prepareClientConfig({
        provider,
        servername: 'server',
        rejectUnauthorized: false,
        cipherSuites: [0x1301, 0x1303, 0x1302],
        groups: [NamedGroup.x25519],
        recordSizeLimit: 16385,
      }),
      clientHelloHook: (_: ClientHello) => rfcHello,
    });
    // randomBytes order in startClient13: random(32), legacy_session_id(32), then the x25519 private key(32).
    provider.rng.script(rfcHello.random, new Uint8Array(32), t3.get('client', 'create an ephemeral x25519', 'private key'));
    const first = client.start();
    const ourHello = splitHandshakeMessages(first.subarray(5))[0] as Uint8Array;
    eqHex(ourHello, ch, 'ClientHello');
    eqHex(first, t3.get('client', 'send handshake record', 'complete record'), 'ClientHello record');
    const r1 = client.process(t3.get('server', 'send handshake record', 'complete record'));
    assert.equal(r1.output.length, 0, 'no CCS: the ClientHello had an empty session id');
    const r2 = client.process(t3.get('server', 'send handshake record', 'complete record', 1));
    eqHex(r2.output, t3.get('client', 'send handshake record', 'complete record', 1), 'client Finished record');
    assert.ok(r2.events.some((e) => e.type === 'HandshakeComplete'));
    const r3 = client.process(t3.get('server', 'send handshake record', 'complete record', 2));
    assert.ok(r3.events.some((e) => e.type === 'NewTicket'));
    const data = t3.get('client', 'send application_data record', 'payload');
    eqHex(client.seal(data), t3.get('client', 'send application_data record', 'complete record'), 'client application data');
    const r4 = client.process(t3.get('server', 'send application_data record', 'complete record'));
    eqHex(concatBytes(...r4.plaintext), data, 'server application data');
    eqHex(client.close(), t3.get('client', 'send alert record', 'complete record'), 'client close_notify');
    const r5 = client.process(t3.get('server', 'send alert record', 'complete record'));
    assert.ok(r5.events.some((e) => e.type === 'PeerClosed'));
  });
});

describe('RFC 8448 §5 HelloRetryRequest', () => {
  const t5 = parseVector('5');
  const p = new DeterministicProvider({ seed: 'rfc8448 §5' });
  const ch1 = t5.get('client', 'construct a ClientHello', 'ClientHello', 0);
  const hrr = t5.get('server', 'construct a ServerHello', 'ServerHello', 0);
  const ch2 = t5.get('client', 'construct a ClientHello', 'ClientHello', 1);
  const sh = t5.get('server', 'construct a ServerHello', 'ServerHello', 1);
  const serverFlightRecord = t5.get('server', 'send handshake record', 'complete record', 2);

  test('the first ServerHello is a HelloRetryRequest; codec round-trips all four hellos', () => {
    assert.ok(isHelloRetryRequest(decodeServerHello(hrr.subarray(4))));
    assert.ok(!isHelloRetryRequest(decodeServerHello(sh.subarray(4))));
    eqHex(encodeClientHello(decodeClientHello(ch1.subarray(4))), ch1, 'ClientHello1');
    eqHex(encodeServerHello(decodeServerHello(hrr.subarray(4))), hrr, 'HelloRetryRequest');
    eqHex(encodeClientHello(decodeClientHello(ch2.subarray(4))), ch2, 'ClientHello2');
    eqHex(encodeServerHello(decodeServerHello(sh.subarray(4))), sh, 'ServerHello');
  });

  test('P-256 key pairs come from the injected random bytes; the shared secret is the trace IKM', () => {
    const cp = new DeterministicProvider();
    cp.rng.script(t5.get('client', 'create an ephemeral P-256', 'private key'));
    const ckx = cp.keyExchangeClient(NamedGroup.secp256r1);
    assert.ok(ckx !== undefined);
    eqHex(ckx.publicKey, t5.get('client', 'create an ephemeral P-256', 'public key'), 'client public key');
    const sp = new DeterministicProvider();
    sp.rng.script(t5.get('server', 'create an ephemeral P-256', 'private key'));
    const s = sp.keyExchangeServer(NamedGroup.secp256r1, ckx.publicKey);
    eqHex(s.publicKey, t5.get('server', 'create an ephemeral P-256', 'public key'), 'server public key');
    eqHex(s.sharedSecret, t5.get('server', 'extract secret "handshake"', 'IKM'), 'shared secret');
    cp.rng.script(t5.get('client', 'create an ephemeral x25519', 'private key'));
    eqHex(cp.keyExchangeClient(NamedGroup.x25519)?.publicKey ?? new Uint8Array(0), t5.get('client', 'create an ephemeral x25519', 'public key'), 'first x25519 share');
  });

  test('key schedule over the message_hash rollup: secrets, keys, IVs, Finished, records', () => {
    const tr = TranscriptBuffer.hrrRollup(p, 'sha256', 32, ch1);
    tr.add(hrr);
    tr.add(ch2);
    tr.add(sh);
    const thSh = tr.current();
    eqHex(thSh, t5.get('server', 'derive secret "tls13 c hs traffic"', 'hash'), 'Transcript-Hash(message_hash, HRR, ClientHello2, ServerHello)');
    const early = new EarlySecret(p, AES128, null);
    eqHex(early.secret, t5.get('server', 'extract secret "early"', 'secret'), 'early secret');
    const hs = early.handshakeSecret(t5.get('server', 'extract secret "handshake"', 'IKM'));
    eqHex(hs.secret, t5.get('server', 'extract secret "handshake"', 'secret'), 'handshake secret');
    const cHs = hs.clientHandshakeTrafficSecret(thSh);
    const sHs = hs.serverHandshakeTrafficSecret(thSh);
    eqHex(cHs, t5.get('server', 'derive secret "tls13 c hs traffic"', 'expanded'), 'client hs traffic');
    eqHex(sHs, t5.get('server', 'derive secret "tls13 s hs traffic"', 'expanded'), 'server hs traffic');
    const sHsK = checkKeys(p, t5, 'server', 'derive write traffic keys for handshake data', sHs);
    const cHsK = checkKeys(p, t5, 'server', 'derive read traffic keys for handshake data', cHs);
    const master = hs.masterSecret();
    eqHex(master.secret, t5.get('server', 'extract secret "master"', 'secret'), 'master secret');

    const opened = openAt(p, sHsK.key, sHsK.iv, 0, serverFlightRecord);
    const msgs = splitHandshakeMessages(opened.fragment);
    assert.deepEqual(msgs.map((m) => m[0]), [8, 11, 15, 20], 'EE, Certificate, CertificateVerify, Finished');
    eqHex(msgs[0] as Uint8Array, t5.get('server', 'construct an EncryptedExtensions', 'EncryptedExtensions'), 'EE');
    for (const m of msgs.slice(0, 3)) tr.add(m);
    const sVerify = finishedVerifyData(p, AES128, sHs, tr.current());
    eqHex(sVerify, t5.get('server', 'calculate finished', 'finished'), 'server verify_data');
    tr.add(msgs[3] as Uint8Array);
    const thSf = tr.current();
    eqHex(thSf, t5.get('server', 'derive secret "tls13 c ap traffic"', 'hash'), 'Transcript-Hash(..server Finished)');
    const cAp = master.clientApplicationTrafficSecret(thSf);
    const sAp = master.serverApplicationTrafficSecret(thSf);
    eqHex(cAp, t5.get('server', 'derive secret "tls13 c ap traffic"', 'expanded'), 'client ap traffic');
    eqHex(sAp, t5.get('server', 'derive secret "tls13 s ap traffic"', 'expanded'), 'server ap traffic');
    eqHex(master.exporterMasterSecret(thSf), t5.get('server', 'derive secret "tls13 exp master"', 'expanded'), 'exporter master');
    checkKeys(p, t5, 'server', 'derive write traffic keys for application data', sAp);
    const cApK = checkKeys(p, t5, 'client', 'derive write traffic keys for application data', cAp);
    const cVerify = finishedVerifyData(p, AES128, cHs, thSf);
    eqHex(cVerify, t5.get('client', 'calculate finished "tls13 finished"', 'finished', 1), 'client verify_data');
    const cfin = t5.get('client', 'construct a Finished', 'Finished');
    eqHex(sealAt(p, cHsK.key, cHsK.iv, 0, ContentType.Handshake, cfin), t5.get('client', 'send handshake record', 'complete record', 2), 'client Finished record');
    tr.add(cfin);
    eqHex(tr.current(), t5.get('client', 'derive secret "tls13 res master"', 'hash'), 'Transcript-Hash(..client Finished)');
    eqHex(master.resumptionMasterSecret(tr.current()), t5.get('client', 'derive secret "tls13 res master"', 'expanded'), 'resumption master');
    eqHex(sealAt(p, cApK.key, cApK.iv, 0, ContentType.Alert, new Uint8Array([1, 0])), t5.get('client', 'send alert record', 'complete record'), 'client close_notify');
  });

  test('client engine replays the HRR trace', (t) => {
    const rfc1 = decodeClientHello(ch1.subarray(4));
    const rfc2 = decodeClientHello(ch2.subarray(4));
    const provider = new DeterministicProvider({ seed: 'rfc8448 §5 engine' });
    const client = createClientEngine({
      ...prepareClientConfig({
        provider,
        servername: 'server',
        rejectUnauthorized: false,
        cipherSuites: [0x1301, 0x1303, 0x1302],
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.x25519],
        recordSizeLimit: 16385,
      }),
      clientHelloHook: (_: ClientHello, retry: boolean) => (retry ? rfc2 : rfc1),
    });
    provider.rng.script(rfc1.random, new Uint8Array(32), t5.get('client', 'create an ephemeral x25519', 'private key'));
    const first = client.start();
    eqHex(splitHandshakeMessages(first.subarray(5))[0] as Uint8Array, ch1, 'ClientHello1');
    provider.rng.script(t5.get('client', 'create an ephemeral P-256', 'private key'));
    const r1 = client.process(t5.get('server', 'send handshake record', 'complete record', 0));
    // RFC 8446 §5.1: a ClientHello sent after a HelloRetryRequest has legacy_record_version 0x0303.
    eqHex(r1.output, t5.get('client', 'send handshake record', 'complete record', 1), 'ClientHello2 record');
    client.process(t5.get('server', 'send handshake record', 'complete record', 1));
    const r3 = client.process(serverFlightRecord);
    eqHex(r3.output, t5.get('client', 'send handshake record', 'complete record', 2), 'client Finished record');
  });
});
