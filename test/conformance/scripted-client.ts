/**
 * A scripted TLS 1.3 client for conformance tests (the way tlsfuzzer probes a server): it builds the exact
 * ClientHello bytes a test asks for, derives the handshake keys from the bytes actually exchanged, and seals any
 * record a test wants (any content type, content, padding), so a test can send malformed records under the real
 * handshake key and check the server's answer. It verifies nothing the server sends; it only decrypts it.
 */
import assert from 'node:assert/strict';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { KeyExchangeClient } from '../../src/crypto/provider.js';
import { suiteById, type SuiteInfo } from '../../src/crypto/suites.js';
import { createServerEngine, type TlsEngine } from '../../src/engine/connection.js';
import { TlsError } from '../../src/errors.js';
import { DirectionState } from '../../src/record/protection.js';
import { EarlySecret, finishedVerifyData, trafficKeys } from '../../src/tls13/key-schedule.js';
import { encodeClientHello } from '../../src/wire/client-hello.js';
import { encodeClientKeyShares, encodeU16List, type RawExtension } from '../../src/wire/extensions.js';
import { decodeServerHello } from '../../src/wire/server-hello.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../src/wire/registry.js';
import { encode } from '../../src/codec/writer.js';
import { concatBytes } from '../helpers/hex.js';
import { encodeRecord, parseRecords, splitHandshakeMessages } from '../helpers/pair.js';
import { pairOptions } from '../helpers/pair.js';

export interface HelloOptions {
  readonly legacyVersion?: number;
  /** Groups to send key shares for (default x25519). */
  readonly shareGroups?: readonly number[];
  /** supported_groups (default: the share groups, then P-256). */
  readonly groups?: readonly number[];
  /** Add an empty early_data extension (a client trying 0-RTT). */
  readonly earlyData?: boolean;
  /** Extra extensions, placed before the standard ones. */
  readonly extra?: readonly RawExtension[];
  readonly cipherSuites?: readonly number[];
}

/** A record: header ‖ body. */
export function record(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  return encodeRecord({ type, version, body });
}

/** A server engine with the pair's test certificate (ECDSA P-256 by default). */
export async function testServer(overrides: Record<string, unknown> = {}): Promise<TlsEngine> {
  const o = await pairOptions({ ...overrides }, {}, { cert: 'p256' });
  const engine = createServerEngine({ ...o.server, provider: new NodeCryptoProvider() });
  engine.start();
  return engine;
}

/** Feed bytes; the error it throws (a TlsError), or undefined. */
export function feed(engine: TlsEngine, bytes: Uint8Array): { output: Uint8Array; error: TlsError | undefined } {
  try {
    const r = engine.process(bytes);
    return { output: r.output, error: undefined };
  } catch (e) {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    return { output: engine.takeAlert() ?? new Uint8Array(0), error: e };
  }
}

/** The one TLS 1.3 client conversation. */
export class ScriptedClient {
  readonly p = new NodeCryptoProvider();
  readonly suite: SuiteInfo;
  readonly #shares: KeyExchangeClient[] = [];
  #transcript: Uint8Array[] = [];
  #clientHs: Uint8Array | undefined;
  readonly write = new DirectionState();
  readonly read = new DirectionState();
  /** Messages the server sent (decrypted), in order. */
  readonly serverMessages: Uint8Array[] = [];

  constructor(suiteId = 0x1301) {
    const s = suiteById(suiteId);
    assert.ok(s !== undefined);
    this.suite = s;
  }

  /** The ClientHello handshake message (and it enters the transcript). */
  hello(o: HelloOptions = {}): Uint8Array {
    const shareGroups = o.shareGroups ?? [NamedGroup.x25519];
    for (const g of shareGroups) {
      const k = this.p.keyExchangeClient(g);
      assert.ok(k !== undefined, `no key exchange for ${g}`);
      this.#shares.push(k);
    }
    const groups = o.groups ?? [...shareGroups, NamedGroup.secp256r1].filter((g, i, a) => a.indexOf(g) === i);
    const exts: RawExtension[] = [
      ...(o.extra ?? []),
      { type: ExtensionType.supported_versions, data: encode((w) => w.vec8((w) => w.u16(ProtocolVersion.TLS13))) },
      { type: ExtensionType.supported_groups, data: encode(encodeU16List(groups)) },
      { type: ExtensionType.signature_algorithms, data: encode(encodeU16List([SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.ed25519])) },
      { type: ExtensionType.key_share, data: encode(encodeClientKeyShares(this.#shares.map((k) => ({ group: k.group, keyExchange: k.publicKey })))) },
    ];
    if (o.earlyData === true) exts.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
    const ch = encodeClientHello({
      legacyVersion: o.legacyVersion ?? ProtocolVersion.TLS12,
      random: this.p.randomBytes(32),
      legacySessionId: new Uint8Array(0),
      cipherSuites: o.cipherSuites ?? [this.suite.id],
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: exts,
    });
    this.#transcript.push(ch);
    return ch;
  }

  /** The test rewrote the hello it sends: the transcript takes the bytes actually sent. */
  replaceHello(sent: Uint8Array, instead: Uint8Array): void {
    const i = this.#transcript.indexOf(sent);
    assert.ok(i >= 0, 'replaceHello: not a hello of this client');
    this.#transcript[i] = instead;
  }

  /**
   * Read the server's first flight (ServerHello in clear, then protected messages up to its Finished): installs
   * the handshake keys in both directions.
   */
  serverFlight(bytes: Uint8Array): void {
    for (const r of parseRecords(bytes)) {
      if (r.type === ContentType.ChangeCipherSpec) continue;
      if (r.type === ContentType.Handshake) {
        for (const m of splitHandshakeMessages(r.body)) {
          assert.equal(m[0], HandshakeType.ServerHello, 'a ServerHello in clear');
          this.#transcript.push(m);
          this.#installHandshakeKeys(m);
        }
        continue;
      }
      assert.equal(r.type, ContentType.ApplicationData, `record type ${r.type} in the server flight`);
      const plain = this.read.open(encodeRecord(r).subarray(0, 5), r.type, r.body);
      assert.equal(plain.type, ContentType.Handshake);
      for (const m of splitHandshakeMessages(plain.fragment)) {
        this.#transcript.push(m);
        this.serverMessages.push(m);
      }
    }
  }

  #installHandshakeKeys(shMsg: Uint8Array): void {
    const sh = decodeServerHello(shMsg.subarray(4));
    const ks = sh.extensions.find((e) => e.type === ExtensionType.key_share);
    assert.ok(ks !== undefined, 'ServerHello has a key_share');
    const group = ((ks.data[0] as number) << 8) | (ks.data[1] as number);
    const share = ks.data.subarray(4);
    const k = this.#shares.find((s) => s.group === group);
    assert.ok(k !== undefined, `server chose group ${group}, which we sent no share for`);
    const th = this.p.hash(this.suite.hash, concatBytes(...this.#transcript));
    const hs = new EarlySecret(this.p, this.suite, null).handshakeSecret(k.complete(share));
    const c = hs.clientHandshakeTrafficSecret(th);
    const s = hs.serverHandshakeTrafficSecret(th);
    this.#clientHs = c;
    const ck = trafficKeys(this.p, this.suite, c);
    const sk = trafficKeys(this.p, this.suite, s);
    this.write.install13(this.p, this.suite, ck.key, ck.iv);
    this.read.install13(this.p, this.suite, sk.key, sk.iv);
  }

  /** The client Finished message for the transcript so far. */
  finished(): Uint8Array {
    assert.ok(this.#clientHs !== undefined, 'handshake keys installed');
    const th = this.p.hash(this.suite.hash, concatBytes(...this.#transcript));
    const vd = finishedVerifyData(this.p, this.suite, this.#clientHs, th);
    return concatBytes(new Uint8Array([HandshakeType.Finished, 0, 0, vd.length]), vd);
  }

  /** A record under the client handshake key: `content` of inner type `type`, followed by `padding` zeros. */
  seal(type: number, content: Uint8Array, padding = 0): Uint8Array {
    return this.write.seal(type, content, padding);
  }
}

/** The alert description in a record the server sent in clear or under `dir` (its handshake write key). */
export function alertIn(bytes: Uint8Array, dir?: DirectionState): number {
  const rs = parseRecords(bytes);
  assert.equal(rs.length, 1, 'exactly one record: the alert');
  const r = rs[0];
  assert.ok(r !== undefined);
  if (r.type === ContentType.Alert) return r.body[1] as number;
  assert.ok(dir !== undefined, 'a protected alert needs the read keys');
  const plain = dir.open(bytes.subarray(0, 5), r.type, r.body);
  assert.equal(plain.type, ContentType.Alert);
  return plain.fragment[1] as number;
}
