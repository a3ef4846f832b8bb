/**
 * Client/server pairs over the idiomatic API, moved by hand (rustls `make_pair` / `transfer` / `do_handshake` /
 * `transfer_altered`, DESIGN C.12). Each side has its own DeterministicProvider (same seed → same bytes), and the
 * server's certificate comes from the per-process test PKI (test/helpers/pki.ts, made with the openssl CLI).
 *
 * Tampering works on parsed records. With `nullCipher: true` (both ends) protected records carry their
 * TLSInnerPlaintext in clear, followed by a 16-byte zero tag, so `openNull`/`sealNull` let a test rewrite
 * encrypted handshake messages too (rustls's fuzzing provider plays the same role).
 */
import assert from 'node:assert/strict';
import { TlsClient, TlsConnection, TlsServer } from '../../src/api/connection.js';
import type { ClientOptions, ServerOptions } from '../../src/api/types.js';
import { TlsError } from '../../src/errors.js';
import { AlertDescription, ContentType, NamedGroup, type AlertName } from '../../src/wire/registry.js';
import { DeterministicProvider } from './deterministic-provider.js';
import { getPki, type Pki } from './pki.js';
import { concatBytes } from './hex.js';

/** One TLS record as seen on the wire. */
export interface WireRecord {
  readonly type: number;
  /** legacy_record_version. */
  readonly version: number;
  readonly body: Uint8Array;
}

/** Split bytes into whole records; throws if the bytes do not end on a record boundary. */
export function parseRecords(bytes: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    assert.ok(bytes.length - at >= 5, `parseRecords: ${bytes.length - at} trailing bytes, not a record header`);
    const len = ((bytes[at + 3] as number) << 8) | (bytes[at + 4] as number);
    assert.ok(bytes.length - at >= 5 + len, 'parseRecords: truncated record');
    out.push({
      type: bytes[at] as number,
      version: ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number),
      body: bytes.slice(at + 5, at + 5 + len),
    });
    at += 5 + len;
  }
  return out;
}

/** Encode one record (the length is taken from the body). */
export function encodeRecord(r: WireRecord): Uint8Array {
  const out = new Uint8Array(5 + r.body.length);
  out[0] = r.type;
  out[1] = r.version >>> 8;
  out[2] = r.version & 0xff;
  out[3] = r.body.length >>> 8;
  out[4] = r.body.length & 0xff;
  out.set(r.body, 5);
  return out;
}

export function encodeRecords(rs: readonly WireRecord[]): Uint8Array {
  return concatBytes(...rs.map(encodeRecord));
}

/** Null cipher: the content type and content of a protected (type 23) record. */
export function openNull(r: WireRecord): { readonly innerType: number; readonly content: Uint8Array } {
  assert.equal(r.type, ContentType.ApplicationData, 'openNull: not a protected record');
  let end = r.body.length - 16;
  while (end > 0 && r.body[end - 1] === 0) end--;
  assert.ok(end > 0, 'openNull: no inner content type');
  return { innerType: r.body[end - 1] as number, content: r.body.slice(0, end - 1) };
}

/** Null cipher: a protected record carrying `content` of `innerType`. */
export function sealNull(innerType: number, content: Uint8Array): WireRecord {
  return { type: ContentType.ApplicationData, version: 0x0303, body: concatBytes(content, new Uint8Array([innerType]), new Uint8Array(16)) };
}

/** Split handshake-record content into whole messages (type + u24 length + body). */
export function splitHandshakeMessages(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < content.length) {
    const len = ((content[at + 1] as number) << 16) | ((content[at + 2] as number) << 8) | (content[at + 3] as number);
    out.push(content.slice(at, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** Server certificates available from the test PKI. Ed25519 (the default) signs deterministically. */
export type ServerCertKind = 'ed25519' | 'p256' | 'p384' | 'rsa2048';

export interface PairOptions {
  readonly seed?: string;
  readonly nullCipher?: boolean;
  readonly cert?: ServerCertKind;
}

export interface Pair {
  readonly server: TlsConnection;
  readonly client: TlsConnection;
  readonly tlsServer: TlsServer;
  readonly tlsClient: TlsClient;
  readonly serverProvider: DeterministicProvider;
  readonly clientProvider: DeterministicProvider;
  readonly pki: Pki;
}

let pairNow: number | undefined;

/** The instant every pair's clock shows: fixed for the process, after the PKI was made (so it is valid). */
export async function pairClock(): Promise<{ pki: Pki; now: number }> {
  const pki = await getPki();
  pairNow ??= Date.now() + 60_000;
  return { pki, now: pairNow };
}

/** Options for a server and a client that trust each other (x25519 only, to keep handshakes cheap). */
export async function pairOptions(
  serverOpts: Partial<ServerOptions> = {},
  clientOpts: ClientOptions = {},
  opts: PairOptions = {},
): Promise<{ server: ServerOptions; client: ClientOptions; serverProvider: DeterministicProvider; clientProvider: DeterministicProvider; pki: Pki }> {
  const { pki, now } = await pairClock();
  const seed = opts.seed ?? 'pair';
  const nullCipher = opts.nullCipher ?? false;
  const serverProvider = new DeterministicProvider({ seed: `${seed}/server`, now, nullCipher });
  const clientProvider = new DeterministicProvider({ seed: `${seed}/client`, now, nullCipher });
  const leaf = pki.server[opts.cert ?? 'ed25519'];
  const server: ServerOptions = {
    certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }],
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    provider: serverProvider,
    ...serverOpts,
  };
  const client: ClientOptions = {
    servername: 'localhost',
    ca: pki.ca.certPem,
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    provider: clientProvider,
    ...clientOpts,
  };
  return { server, client, serverProvider, clientProvider, pki };
}

/** A server and a client connection; the client's ClientHello is already queued. */
export async function makePair(serverOpts: Partial<ServerOptions> = {}, clientOpts: ClientOptions = {}, opts: PairOptions = {}): Promise<Pair> {
  const o = await pairOptions(serverOpts, clientOpts, opts);
  const tlsServer = new TlsServer(o.server);
  const tlsClient = new TlsClient(o.client);
  return {
    tlsServer,
    tlsClient,
    server: tlsServer.accept(),
    client: tlsClient.connect(),
    serverProvider: o.serverProvider,
    clientProvider: o.clientProvider,
    pki: o.pki,
  };
}

/** Move everything `from` has to send into `to`; returns the number of bytes moved. */
export function transfer(from: TlsConnection, to: TlsConnection): number {
  const bytes = from.takeOutput();
  if (bytes.length > 0) to.receive(bytes);
  return bytes.length;
}

/** Transfer until neither side has anything to send; returns the number of round trips. */
export function doHandshake(p: { readonly client: TlsConnection; readonly server: TlsConnection }): number {
  let rounds = 0;
  while (!(p.client.isHandshakeComplete && p.server.isHandshakeComplete)) {
    const moved = transfer(p.client, p.server) + transfer(p.server, p.client);
    assert.ok(moved > 0, 'doHandshake: no progress');
    assert.ok(++rounds < 10, 'doHandshake: too many rounds');
  }
  transfer(p.client, p.server);
  transfer(p.server, p.client);
  return rounds;
}

/** Alteration of one record: a replacement record, several, or null to drop it. */
export type Alter = (record: WireRecord, index: number) => WireRecord | readonly WireRecord[] | null;

/**
 * Take `from`'s output, rewrite it record by record, and deliver the result to `to`. Returns the TlsError `to`
 * threw, or undefined if it accepted the bytes.
 */
export function transferAltered(from: TlsConnection, alter: Alter, to: TlsConnection): TlsError | undefined {
  const records = parseRecords(from.takeOutput());
  const out: WireRecord[] = [];
  records.forEach((r, i) => {
    const a = alter(r, i);
    if (a === null) return;
    if (Array.isArray(a)) out.push(...(a as readonly WireRecord[]));
    else out.push(a as WireRecord);
  });
  return receiveCatching(to, encodeRecords(out));
}

/** Like transferAltered, on the raw bytes (rustls `Altered::Raw`). */
export function transferRaw(from: TlsConnection, alter: (bytes: Uint8Array) => Uint8Array, to: TlsConnection): TlsError | undefined {
  return receiveCatching(to, alter(from.takeOutput()));
}

/** Feed bytes to a connection and return the TlsError it throws (anything else fails the test). */
export function receiveCatching(to: TlsConnection, bytes: Uint8Array): TlsError | undefined {
  try {
    to.receive(bytes);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    return e;
  }
}

/** Name of an alert description value. */
export function alertNameOf(code: number): string {
  for (const [k, v] of Object.entries(AlertDescription)) if (v === code) return k;
  return `alert(${code})`;
}

/**
 * The alert description carried by `bytes`, which must be exactly one alert record: plaintext, or protected and
 * readable through the null cipher, or protected and decrypted by `peer` (which must then fail with AlertReceived).
 */
export function alertOnWire(bytes: Uint8Array, peer?: TlsConnection): { level: number; description: string } {
  const records = parseRecords(bytes);
  assert.equal(records.length, 1, `expected exactly one record (the alert), got ${records.length}`);
  const r = records[0] as WireRecord;
  if (r.type === ContentType.Alert) {
    assert.equal(r.body.length, 2, 'alert record of 2 bytes');
    return { level: r.body[0] as number, description: alertNameOf(r.body[1] as number) };
  }
  assert.equal(r.type, ContentType.ApplicationData, 'an alert record or a protected record');
  if (peer === undefined) {
    const inner = openNull(r);
    assert.equal(inner.innerType, ContentType.Alert, 'protected record carries an alert');
    assert.equal(inner.content.length, 2);
    return { level: inner.content[0] as number, description: alertNameOf(inner.content[1] as number) };
  }
  const err = receiveCatching(peer, bytes);
  assert.ok(err !== undefined, 'the peer accepted the alert record without failing');
  assert.equal(err.kind, 'AlertReceived', `peer failed with ${err.reason} instead of receiving the alert`);
  return { level: 2, description: alertNameOf(err.alertCode) };
}

/**
 * DESIGN C.12 "check the wire too": `conn` failed with `err`, whose alert is `alert`; its output is exactly one
 * fatal alert record with that description; the engine is latched in Failed and rethrows the same error.
 */
export function assertRejected(
  conn: TlsConnection,
  err: TlsError | undefined,
  expected: { readonly alert: AlertName; readonly kind?: TlsError['kind']; readonly reason?: string },
  peer?: TlsConnection,
): void {
  assert.ok(err !== undefined, 'expected the connection to fail');
  assert.equal(err.alert, expected.alert, `alert of ${err.reason}: ${err.message}`);
  if (expected.kind !== undefined) assert.equal(err.kind, expected.kind, err.message);
  if (expected.reason !== undefined) assert.equal(err.reason, expected.reason, err.message);
  assert.equal(err.alertSent, true, 'alertSent');
  const wire = alertOnWire(conn.takeOutput(), peer);
  assert.deepEqual(wire, { level: 2, description: expected.alert });
  assertLatched(conn, err);
}

/** The engine is Failed, every later call rethrows `err`, and nothing more is sent. */
export function assertLatched(conn: TlsConnection, err: TlsError): void {
  assert.equal(conn.engine.stateName, 'Failed');
  assert.equal(conn.engine.failed, err);
  assert.throws(() => conn.engine.process(new Uint8Array([22, 3, 3, 0, 1, 1])), (e) => e === err);
  assert.throws(() => conn.receive(new Uint8Array([23, 3, 3, 0, 0])), (e) => e === err);
  assert.equal(conn.engine.takeAlert(), null, 'the alert is handed out once');
  assert.equal(conn.takeOutput().length, 0, 'nothing after the alert');
}

/**
 * Run a handshake (and any queued data) in memory until both sides are quiet; returns the TlsError each side threw,
 * if any, without stopping at the first one (so the alert reaches the other side).
 */
export function exchangeCatching(c: TlsConnection, s: TlsConnection): { clientError?: TlsError; serverError?: TlsError } {
  const out: { clientError?: TlsError; serverError?: TlsError } = {};
  for (let i = 0; i < 10; i++) {
    const a = c.takeOutput();
    if (a.length > 0 && out.serverError === undefined) {
      try {
        s.receive(a);
      } catch (e) {
        out.serverError = e as TlsError;
      }
    }
    const b = s.takeOutput();
    if (b.length > 0 && out.clientError === undefined) {
      try {
        c.receive(b);
      } catch (e) {
        out.clientError = e as TlsError;
      }
    }
    if (a.length === 0 && b.length === 0) break;
  }
  return out;
}
