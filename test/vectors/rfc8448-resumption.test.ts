/**
 * RFC 8448 §4 "Resumed 0-RTT Handshake", parsed from the RFC text at test time (test/vectors/rfc8448.ts), checked
 * byte for byte against our key schedule (src/tls13/key-schedule.ts): the PSK from §3's resumption master secret and
 * ticket nonce, the early secret, binder_key, the PSK binder computed over §4's truncated ClientHello (RFC 8446
 * §4.2.11.2) and found in the ClientHello, client_early_traffic_secret / early_exporter_master_secret and the 0-RTT
 * record, then the handshake and application secrets of §4 (with its x25519 shared secret), EndOfEarlyData in the
 * transcript, both Finished values, the resumption master secret, and the protected handshake records.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { suiteById, type SuiteInfo } from '../../src/crypto/suites.js';
import { DirectionState } from '../../src/record/protection.js';
import { Transcript } from '../../src/handshake/transcript.js';
import { deriveSecret, EarlySecret, finishedVerifyData, hkdfExpandLabel, Label, ticketPsk, trafficKeys } from '../../src/tls13/key-schedule.js';
import { decodeClientHello } from '../../src/wire/client-hello.js';
import { decodeServerHello } from '../../src/wire/server-hello.js';
import { decodeOfferedPsks, decodeSelectedPsk, findExtension } from '../../src/wire/extensions.js';
import { decodeNewSessionTicket13 } from '../../src/wire/tls13-messages.js';
import { ContentType, ExtensionType, NamedGroup } from '../../src/wire/registry.js';
import { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { concatBytes, toHex } from '../helpers/hex.js';
import { parseVector, type Trace } from './rfc8448.js';

const AES128 = suiteById(0x1301) as SuiteInfo;

function eqHex(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(toHex(actual), toHex(expected), what);
}

function seal(p: DeterministicProvider, keys: { key: Uint8Array; iv: Uint8Array }, seq: number, type: number, plaintext: Uint8Array): Uint8Array {
  const d = new DirectionState();
  d.install13(p, AES128, keys.key, keys.iv);
  d.seq = seq;
  return d.seal(type, plaintext);
}

function open(p: DeterministicProvider, keys: { key: Uint8Array; iv: Uint8Array }, seq: number, record: Uint8Array): { type: number; fragment: Uint8Array } {
  const d = new DirectionState();
  d.install13(p, AES128, keys.key, keys.iv);
  d.seq = seq;
  return d.open(record.subarray(0, 5), record[0] as number, record.subarray(5));
}

function checkKeys(p: DeterministicProvider, t: Trace, who: 'client' | 'server', title: string, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const k = trafficKeys(p, AES128, secret);
  eqHex(t.get(who, title, 'PRK'), secret, `${title}: PRK is the traffic secret`);
  eqHex(k.key, t.get(who, title, 'key expanded'), `${title}: key`);
  eqHex(k.iv, t.get(who, title, 'iv expanded'), `${title}: iv`);
  return k;
}

describe('RFC 8448 §4 Resumed 0-RTT Handshake', () => {
  const t3 = parseVector('3');
  const t4 = parseVector('4');
  const p = new DeterministicProvider({ seed: 'rfc8448 §4' });
  const sha256 = (b: Uint8Array): Uint8Array => p.hash('sha256', b);

  // §3's resumption master secret and ticket nonce → the PSK of §4.
  const resumptionMaster = t3.get('client', 'derive secret "tls13 res master"', 'expanded');
  const nonce = decodeNewSessionTicket13(t3.get('server', 'construct a NewSessionTicket', 'NewSessionTicket').subarray(4)).ticketNonce;
  const psk = ticketPsk(p, AES128, resumptionMaster, nonce);
  const early = new EarlySecret(p, AES128, psk);

  const chPrefix = t4.get('client', 'construct a ClientHello', 'ClientHello');
  const chRecord = t4.get('client', 'send handshake record', 'complete record', 0);
  const ch = t4.get('client', 'send handshake record', 'payload', 0);
  const sh = t4.get('server', 'construct a ServerHello', 'ServerHello');
  const ee = t4.get('server', 'construct an EncryptedExtensions', 'EncryptedExtensions');
  const sfin = t4.get('server', 'construct a Finished', 'Finished');
  const eoed = t4.get('client', 'construct an EndOfEarlyData', 'EndOfEarlyData');
  const cfin = t4.get('client', 'construct a Finished', 'Finished');

  test('PSK from §3 (resumption master secret, ticket nonce); early secret; binder_key', () => {
    eqHex(psk, t4.get('client', 'extract secret "early"', 'IKM'), 'PSK = HKDF-Expand-Label(res master, "resumption", nonce)');
    eqHex(early.secret, t4.get('client', 'extract secret "early"', 'secret'), 'early secret');
    eqHex(early.resumptionBinderKey(), t4.get('client', 'calculate PSK binder', 'PRK'), 'binder_key ("res binder")');
  });

  test('the PSK binder over the truncated ClientHello matches the trace and the ClientHello, byte for byte', () => {
    eqHex(chRecord.subarray(5), ch, 'the record carries the complete ClientHello');
    const hello = decodeClientHello(ch.subarray(4));
    const pskExt = hello.extensions[hello.extensions.length - 1];
    assert.equal(pskExt?.type, ExtensionType.pre_shared_key, 'pre_shared_key is the last extension');
    const offered = decodeOfferedPsks(pskExt.data);
    assert.equal(offered.identities.length, 1);
    assert.equal(offered.binders.length, 1);
    // RFC 8446 §4.2.11.2: the binder covers the ClientHello up to and including the identities (not the binders list).
    const truncated = ch.subarray(0, ch.length - offered.bindersLen);
    eqHex(truncated, chPrefix, 'truncated ClientHello = the trace ClientHello prefix');
    eqHex(truncated, t4.get('client', 'calculate PSK binder', 'ClientHello prefix'), 'truncated ClientHello = binder step prefix');
    const th = sha256(truncated);
    eqHex(th, t4.get('client', 'calculate PSK binder', 'binder hash'), 'Transcript-Hash(truncated ClientHello)');
    const binderKey = early.resumptionBinderKey();
    eqHex(hkdfExpandLabel(p, AES128, binderKey, Label.finished, new Uint8Array(0), 32), t4.get('client', 'calculate PSK binder', 'expanded'), 'binder finished_key');
    const binder = finishedVerifyData(p, AES128, binderKey, th);
    eqHex(binder, t4.get('client', 'calculate PSK binder', 'finished'), 'binder value');
    eqHex(offered.binders[0] as Uint8Array, binder, 'the binder in the ClientHello');
    eqHex(concatBytes(truncated, new Uint8Array([0, 33, 32]), binder), ch, 'truncated ‖ binders = ClientHello');
    // Computing it over the whole ClientHello (binders included) would be wrong.
    assert.notEqual(toHex(finishedVerifyData(p, AES128, binderKey, sha256(ch))), toHex(binder));
  });

  test('c e traffic, e exp master, early traffic keys and the 0-RTT record', () => {
    const th = sha256(ch);
    eqHex(th, t4.get('client', 'derive secret "tls13 c e traffic"', 'hash'), 'Transcript-Hash(ClientHello)');
    const cEarly = deriveSecret(p, AES128, early.secret, Label.clientEarlyTraffic, th);
    eqHex(cEarly, t4.get('client', 'derive secret "tls13 c e traffic"', 'expanded'), 'client_early_traffic_secret');
    eqHex(t4.get('client', 'derive secret "tls13 c e traffic"', 'PRK'), early.secret, 'c e traffic PRK = early secret');
    eqHex(deriveSecret(p, AES128, early.secret, Label.earlyExporter, th), t4.get('client', 'derive secret "tls13 e exp master"', 'expanded'), 'early_exporter_master_secret');
    const k = checkKeys(p, t4, 'client', 'derive write traffic keys for early application data', cEarly);
    const data = t4.get('client', 'send application_data record', 'payload', 0);
    eqHex(seal(p, k, 0, ContentType.ApplicationData, data), t4.get('client', 'send application_data record', 'complete record', 0), '0-RTT record (seq 0)');
    eqHex(seal(p, k, 1, ContentType.Handshake, eoed), t4.get('client', 'send handshake record', 'complete record', 1), 'EndOfEarlyData record (early key, seq 1)');
  });

  test('handshake and application secrets with §4 x25519 shared secret; Finished; res master; records', () => {
    // ServerHello: the PSK was accepted (identity 0) with an x25519 share.
    const shv = decodeServerHello(sh.subarray(4));
    assert.equal(decodeSelectedPsk(findExtension(shv.extensions, ExtensionType.pre_shared_key) ?? new Uint8Array(0)), 0);
    eqHex(t4.get('server', 'send handshake record', 'payload', 0), sh, 'ServerHello record payload');

    const cp = new DeterministicProvider();
    cp.rng.script(t4.get('client', 'create an ephemeral x25519', 'private key'));
    const ckx = cp.keyExchangeClient(NamedGroup.x25519);
    assert.ok(ckx !== undefined);
    eqHex(ckx.publicKey, t4.get('client', 'create an ephemeral x25519', 'public key'), 'client public key');
    const sp = new DeterministicProvider();
    sp.rng.script(t4.get('server', 'create an ephemeral x25519', 'private key'));
    const skx = sp.keyExchangeServer(NamedGroup.x25519, ckx.publicKey);
    eqHex(skx.publicKey, t4.get('server', 'create an ephemeral x25519', 'public key'), 'server public key');
    const shared = ckx.complete(skx.publicKey);
    eqHex(shared, skx.sharedSecret, 'both ends agree');
    eqHex(shared, t4.get('server', 'extract secret "handshake"', 'IKM'), 'ECDHE shared secret = trace IKM');

    eqHex(
      hkdfExpandLabel(p, AES128, early.secret, Label.derived, sha256(new Uint8Array(0)), 32),
      t4.get('server', 'derive secret for handshake "tls13 derived"', 'expanded'),
      'derived (early)',
    );
    const hs = early.handshakeSecret(shared);
    eqHex(hs.secret, t4.get('server', 'extract secret "handshake"', 'secret'), 'handshake secret');
    const tr = new Transcript(p.createHash('sha256'));
    tr.add(ch);
    tr.add(sh);
    const thSh = tr.current();
    eqHex(thSh, t4.get('server', 'derive secret "tls13 c hs traffic"', 'hash'), 'Transcript-Hash(ClientHello, ServerHello)');
    const cHs = hs.clientHandshakeTrafficSecret(thSh);
    const sHs = hs.serverHandshakeTrafficSecret(thSh);
    eqHex(cHs, t4.get('server', 'derive secret "tls13 c hs traffic"', 'expanded'), 'client_handshake_traffic_secret');
    eqHex(sHs, t4.get('server', 'derive secret "tls13 s hs traffic"', 'expanded'), 'server_handshake_traffic_secret');
    const master = hs.masterSecret();
    eqHex(master.secret, t4.get('server', 'extract secret "master"', 'secret'), 'master secret');
    const sHsK = checkKeys(p, t4, 'server', 'derive write traffic keys for handshake data', sHs);
    const cHsK = checkKeys(p, t4, 'client', 'derive write traffic keys for handshake data', cHs);

    // Server flight: EncryptedExtensions ‖ Finished (no Certificate/CertificateVerify in a PSK handshake).
    const flight = t4.get('server', 'send handshake record', 'complete record', 1);
    const opened = open(p, sHsK, 0, flight);
    assert.equal(opened.type, ContentType.Handshake);
    eqHex(opened.fragment, concatBytes(ee, sfin), 'server flight decrypts to EE ‖ Finished');
    eqHex(seal(p, sHsK, 0, ContentType.Handshake, concatBytes(ee, sfin)), flight, 'server flight seals to the trace record');
    tr.add(ee);
    const sVerify = finishedVerifyData(p, AES128, sHs, tr.current());
    eqHex(sVerify, t4.get('server', 'calculate finished', 'finished'), 'server verify_data');
    eqHex(sfin.subarray(4), sVerify, 'server Finished');
    tr.add(sfin);

    const thSf = tr.current();
    eqHex(thSf, t4.get('server', 'derive secret "tls13 c ap traffic"', 'hash'), 'Transcript-Hash(..server Finished)');
    const cAp = master.clientApplicationTrafficSecret(thSf);
    const sAp = master.serverApplicationTrafficSecret(thSf);
    eqHex(cAp, t4.get('server', 'derive secret "tls13 c ap traffic"', 'expanded'), 'client_application_traffic_secret_0');
    eqHex(sAp, t4.get('server', 'derive secret "tls13 s ap traffic"', 'expanded'), 'server_application_traffic_secret_0');
    eqHex(master.exporterMasterSecret(thSf), t4.get('server', 'derive secret "tls13 exp master"', 'expanded'), 'exporter_master_secret');
    const sApK = checkKeys(p, t4, 'server', 'derive write traffic keys for application data', sAp);
    const cApK = checkKeys(p, t4, 'client', 'derive write traffic keys for application data', cAp);

    // The client's Finished covers EndOfEarlyData (RFC 8446 §4.4.1).
    tr.add(eoed);
    const cVerify = finishedVerifyData(p, AES128, cHs, tr.current());
    eqHex(cVerify, t4.get('client', 'calculate finished "tls13 finished"', 'finished', 1), 'client verify_data');
    eqHex(cfin.subarray(4), cVerify, 'client Finished');
    eqHex(seal(p, cHsK, 0, ContentType.Handshake, cfin), t4.get('client', 'send handshake record', 'complete record', 2), 'client Finished record');
    tr.add(cfin);
    eqHex(tr.current(), t4.get('client', 'derive secret "tls13 res master"', 'hash'), 'Transcript-Hash(..client Finished)');
    eqHex(master.resumptionMasterSecret(tr.current()), t4.get('client', 'derive secret "tls13 res master"', 'expanded'), 'resumption_master_secret');

    const data = t4.get('client', 'send application_data record', 'payload', 1);
    eqHex(seal(p, cApK, 0, ContentType.ApplicationData, data), t4.get('client', 'send application_data record', 'complete record', 1), 'client data');
    eqHex(seal(p, sApK, 0, ContentType.ApplicationData, t4.get('server', 'send application_data record', 'payload')), t4.get('server', 'send application_data record', 'complete record'), 'server data');
    eqHex(seal(p, cApK, 1, ContentType.Alert, new Uint8Array([1, 0])), t4.get('client', 'send alert record', 'complete record'), 'client close_notify');
    eqHex(seal(p, sApK, 1, ContentType.Alert, new Uint8Array([1, 0])), t4.get('server', 'send alert record', 'complete record'), 'server close_notify');
  });
});
