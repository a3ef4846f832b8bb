/**
 * Extensions in the wrong message, unsolicited extensions, SNI with wildcard certificates, and the rsa_pss_pss
 * schemes with an RSA-PSS key (RFC 8446 §4.2, §4.2.3, §4.4.2; RFC 6066 §3).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsClient, TlsServer, TlsError, type TlsConnection } from '../../../src/index.js';
import { ContentType, ExtensionType, HandshakeType, SignatureScheme } from '../../../src/wire/registry.js';
import { assertRejected, doHandshake, encodeRecord, makePair, openNull, parseRecords, receiveCatching, sealNull, splitHandshakeMessages, transfer, type WireRecord } from '../../helpers/pair.js';
import { concatBytes } from '../../helpers/hex.js';

function withBody(msg: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([msg[0] as number, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff]), body);
}

/** The server's first flight (null cipher) with its EncryptedExtensions replaced by one holding `exts`. */
function flightWithEe(records: readonly WireRecord[], exts: readonly [number, Uint8Array][]): Uint8Array {
  const sh = records[0] as WireRecord;
  const messages = records.filter((r) => r.type === ContentType.ApplicationData).flatMap((r) => splitHandshakeMessages(openNull(r).content));
  const ee = messages[0] as Uint8Array;
  assert.equal(ee[0], HandshakeType.EncryptedExtensions);
  let list: Uint8Array = new Uint8Array(0);
  for (const [type, data] of exts) list = concatBytes(list, new Uint8Array([type >> 8, type & 0xff, data.length >> 8, data.length & 0xff]), data);
  messages[0] = withBody(ee, concatBytes(new Uint8Array([list.length >> 8, list.length & 0xff]), list));
  return concatBytes(encodeRecord(sh), encodeRecord(sealNull(ContentType.Handshake, concatBytes(...messages.slice(0, 4)))));
}

describe('extensions where the RFC forbids them', () => {
  test('key_share in EncryptedExtensions (offered, but not allowed there) → illegal_parameter', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const bytes = flightWithEe(parseRecords(p.server.takeOutput()), [[ExtensionType.key_share, new Uint8Array([0, 0x1d, 0, 1, 9])]]);
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'illegal_parameter', reason: 'PeerMisbehaved.ExtensionNotAllowedHere' });
  });

  test('an extension the client did not offer, in EncryptedExtensions → unsupported_extension', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const bytes = flightWithEe(parseRecords(p.server.takeOutput()), [[ExtensionType.heartbeat, new Uint8Array([1])]]);
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'unsupported_extension', reason: 'PeerMisbehaved.UnsolicitedExtension' });
  });

  test('a duplicated extension in EncryptedExtensions → illegal_parameter', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const sn: [number, Uint8Array] = [ExtensionType.server_name, new Uint8Array(0)];
    const bytes = flightWithEe(parseRecords(p.server.takeOutput()), [sn, sn]);
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'illegal_parameter', reason: 'PeerMisbehaved.DuplicateExtension' });
  });
});

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed certificate for `names` with a key of `alg` (openssl genpkey arguments). */
function selfSigned(dir: string, name: string, sans: string, keyArgs: string[]): { cert: string; key: string; der: Uint8Array } {
  openssl(dir, ['genpkey', ...keyArgs, '-out', `${name}.key`]);
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=${sans}`, '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'keyUsage=critical,digitalSignature']);
  const der = new Uint8Array(execFileSync('openssl', ['x509', '-in', join(dir, `${name}.pem`), '-outform', 'DER']));
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8'), der };
}

function handshake(c: TlsConnection, s: TlsConnection): TlsError | undefined {
  try {
    doHandshake({ client: c, server: s });
    return undefined;
  } catch (e) {
    return e as TlsError;
  }
}

describe('certificate choice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-neg-'));
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const dflt = selfSigned(dir, 'default', 'DNS:localhost', ec);
  const wild = selfSigned(dir, 'wildcard', 'DNS:*.example.test', ec);
  const pss = selfSigned(dir, 'pss', 'DNS:localhost', ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048']);
  rmSync(dir, { recursive: true, force: true });
  const server = new TlsServer({ certificates: [{ cert: dflt.cert, key: dflt.key }, { cert: wild.cert, key: wild.key }] });

  for (const [name, want, acked] of [
    ['a.example.test', 'wildcard', true],
    ['b.c.example.test', 'default', false], // one label only (RFC 6125 §6.4.3)
    ['example.test', 'default', false],
    ['localhost', 'default', true],
    ['unknown.test', 'default', false],
  ] as const) {
    test(`SNI ${name} → the ${want} certificate`, () => {
      const c = new TlsClient({ servername: name, rejectUnauthorized: false }).connect();
      const s = server.accept();
      assert.equal(handshake(c, s), undefined);
      assert.deepEqual(c.info?.peerCertificates[0], want === 'wildcard' ? wild.der : dflt.der);
      assert.equal(s.info?.serverName, name);
      void acked;
    });
  }

  test('an RSA-PSS key signs with rsa_pss_pss_sha256 and our client verifies it', () => {
    const s = new TlsServer({ certificates: [{ cert: pss.cert, key: pss.key }] }).accept();
    const c = new TlsClient({ servername: 'localhost', ca: pss.cert }).connect();
    assert.equal(handshake(c, s), undefined);
    assert.equal(c.info?.signatureScheme, SignatureScheme.rsa_pss_pss_sha256);
    assert.equal(c.info?.authorized, true);
  });

  test('a client that offers only rsa_pss_rsae schemes cannot use an RSA-PSS key → handshake_failure', () => {
    const s = new TlsServer({ certificates: [{ cert: pss.cert, key: pss.key }] }).accept();
    const c = new TlsClient({ servername: 'localhost', ca: pss.cert, signatureSchemes: [SignatureScheme.rsa_pss_rsae_sha256] }).connect();
    const err = handshake(c, s);
    assert.ok(err instanceof TlsError);
    assert.equal(s.engine.failed?.alert, 'handshake_failure');
  });
});
