/**
 * DTLS version negotiation between DTLS 1.2 (DtlsEngine) and DTLS 1.3 (Dtls13Connection), for the front ends.
 *
 * Versions: the TLS options' `minVersion` / `maxVersion` name them ('TLSv1.2' ≙ DTLS 1.2, 'TLSv1.3' ≙ DTLS 1.3);
 * default both, DTLS 1.3 preferred.
 *
 * Server: the first ClientHello decides (`classifyHello`): one whose supported_versions offers DTLS 1.3 goes to the
 * DTLS 1.3 listener (HelloRetryRequest cookie), any other to the DTLS 1.2 gate (HelloVerifyRequest cookie); both
 * stay stateless until the cookie returns. A DTLS 1.2 ClientHello carrying TLS_FALLBACK_SCSV while we accept DTLS
 * 1.3 is refused with inappropriate_fallback (RFC 7507): a client that can do 1.3 was pushed down.
 *
 * Client (`NegotiatingDtlsClient`): the two machines build different ClientHellos (DTLS 1.3's carries an empty
 * legacy_cookie, its transcript is TLS 1.3's form; DTLS 1.2's transcript has message_seq and the cookie), so the
 * client does not send one ClientHello for both. It starts DTLS 1.3; when the server's first answer is a DTLS 1.2
 * one (a HelloVerifyRequest, which no DTLS 1.3 server sends, or a ServerHello without supported_versions), it
 * starts again with a DTLS 1.2 ClientHello that carries TLS_FALLBACK_SCSV, so a server that speaks 1.3 refuses the
 * downgrade (as ours does).
 */
import { ContentType, HandshakeType, AlertLevel, AlertDescription, CipherSuite, ExtensionType } from '../wire/registry.js';
import { decodeClientHello } from '../wire/client-hello.js';
import { decodeServerHello } from '../wire/server-hello.js';
import { decodeClientVersions, findExtension } from '../wire/extensions.js';
import { DTLS13 } from '../tls13/datagram.js';
import { prepareClientConfig, prepareServerConfig } from '../engine/config.js';
import { internalError, type TlsError } from '../errors.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { ClientOptions, ServerOptions } from '../vocabulary/options.js';
import { prepareDtlsClientConfig } from './config.js';
import type { DatagramEngine, DtlsResult } from './datagram-engine.js';
import { DtlsEngine, type DtlsOptions } from './engine.js';
import { decodeFragments } from './handshake.js';
import { HELLO_VERIFY_REQUEST } from './hello.js';
import type { DropCounts } from './record-layer.js';
import { DTLS12, encodeRecordHeader, splitDatagram } from './record.js';
import { Dtls13Connection } from './v13/connection.js';
import { Dtls13Engine } from './v13/engine13.js';

export type DtlsVersionName = 'DTLSv1.2' | 'DTLSv1.3';

/** Which DTLS versions the options allow. */
export interface DtlsVersions {
  readonly v12: boolean;
  readonly v13: boolean;
}

/** The DTLS versions a TLS option range allows ('TLSv1.2' ≙ DTLS 1.2, 'TLSv1.3' ≙ DTLS 1.3); default both. */
export function dtlsVersions(o: { readonly minVersion?: string | undefined; readonly maxVersion?: string | undefined }): DtlsVersions {
  const rank = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : v === 'TLSv1.3' ? 13 : v === 'TLSv1.2' ? 12 : 11);
  const min = Math.max(12, rank(o.minVersion, 12));
  const max = rank(o.maxVersion, 13);
  const v = { v12: min <= 12 && max >= 12, v13: max >= 13 };
  if (!v.v12 && !v.v13) throw internalError('DTLS: the version range holds neither DTLS 1.2 nor DTLS 1.3');
  return v;
}

/** Configurations for DTLS 1.3: the TLS options narrowed to TLS 1.3 (its suites, all its groups). */
export function prepareDtls13ServerConfig(o: ServerOptions): PreparedServerConfig {
  const c = prepareServerConfig({ ...o, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  return { ...c, suites: c.suites.filter((s) => s.version === 'TLSv1.3') };
}

export function prepareDtls13ClientConfig(o: ClientOptions): PreparedClientConfig {
  const c = prepareClientConfig({ ...o, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  return { ...c, suites: c.suites.filter((s) => s.version === 'TLSv1.3') };
}

/** What the first datagram of a new peer asks for. */
export type HelloKind =
  /** A whole ClientHello offering DTLS 1.3 in supported_versions. */
  | 'dtls13'
  /** A whole ClientHello without DTLS 1.3 (DTLS 1.2); `fallback`: it carries TLS_FALLBACK_SCSV. */
  | 'dtls12'
  | 'dtls12-fallback'
  /** A fragment of a ClientHello too large for one datagram (DTLS 1.3's hybrid key share; DTLS 1.2 never needs it). */
  | 'fragment'
  /** Anything else: the DTLS 1.2 gate drops it. */
  | 'other';

/** Classify the first datagram of a peer with no association (bounded work: one ClientHello parse). */
export function classifyHello(datagram: Uint8Array): HelloKind {
  const first = splitDatagram(datagram)[0];
  if (first === undefined || first.type !== ContentType.Handshake || first.epoch !== 0) return 'other';
  const f = decodeFragments(first.body)?.[0];
  if (f === undefined || f.msgType !== HandshakeType.ClientHello) return 'other';
  if (f.fragmentOffset !== 0 || f.body.length !== f.length) return 'fragment';
  try {
    const hello = decodeClientHello(f.body, true);
    const sv = findExtension(hello.extensions, ExtensionType.supported_versions);
    if (sv !== undefined && decodeClientVersions(sv).includes(DTLS13)) return 'dtls13';
    return hello.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV) ? 'dtls12-fallback' : 'dtls12';
  } catch {
    return 'other';
  }
}

/** The plaintext fatal alert answering a ClientHello datagram (record number copied, nothing kept). */
export function helloAlert(datagram: Uint8Array, description: number): Uint8Array {
  const first = splitDatagram(datagram)[0];
  const body = new Uint8Array([AlertLevel.Fatal, description]);
  const out = new Uint8Array(13 + body.length);
  out.set(encodeRecordHeader(ContentType.Alert, DTLS12, 0, first?.seq ?? 0, body.length));
  out.set(body, 13);
  return out;
}

export const INAPPROPRIATE_FALLBACK = AlertDescription.inappropriate_fallback;

/**
 * Whether a datagram is a DTLS 1.2 server's answer to a ClientHello: a HelloVerifyRequest, or a ServerHello without
 * supported_versions (RFC 9147 §5.3: a DTLS 1.3 server always sends it and never a HelloVerifyRequest).
 */
export function isDtls12Answer(datagram: Uint8Array): boolean {
  return dtls12Answer(datagram) !== undefined;
}

function dtls12Answer(datagram: Uint8Array): 'hello-verify' | 'server-hello' | undefined {
  for (const r of splitDatagram(datagram)) {
    if (r.type !== ContentType.Handshake || r.epoch !== 0) continue;
    for (const f of decodeFragments(r.body) ?? []) {
      if (f.msgType === HELLO_VERIFY_REQUEST) return 'hello-verify';
      if (f.msgType === HandshakeType.ServerHello && f.fragmentOffset === 0 && f.body.length === f.length) return hasSupportedVersions(f.body) ? undefined : 'server-hello';
    }
  }
  return undefined;
}

/** Whether a whole ServerHello carries supported_versions (a body that does not decode counts as a DTLS 1.3 one: no fallback). */
function hasSupportedVersions(body: Uint8Array): boolean {
  try {
    return findExtension(decodeServerHello(body).extensions, ExtensionType.supported_versions) !== undefined;
  } catch {
    return true;
  }
}

/** Datagram settings of a client. */
export interface NegotiatingClientOptions {
  readonly mtu?: number;
  readonly initialTimeoutMs?: number;
  readonly maxRetransmissions?: number;
}

/**
 * A DTLS client that offers DTLS 1.3 first and falls back to DTLS 1.2 against a DTLS 1.2 server (see the module
 * comment). With one version allowed it is that version's engine.
 */
export class NegotiatingDtlsClient implements DatagramEngine {
  readonly side = 'client' as const;
  readonly #options: NegotiatingClientOptions;
  readonly #config12: PreparedClientConfig | undefined;
  #engine: DatagramEngine;
  /** DTLS 1.3 was offered and the server has not answered yet: a DTLS 1.2 answer may still switch versions. */
  #mayFallBack: boolean;
  #version: DtlsVersionName;
  /** Epoch-0 records sent by the DTLS 1.3 attempt. */
  #records13 = 0;

  constructor(options: ClientOptions, dtls: NegotiatingClientOptions = {}) {
    const versions = dtlsVersions(options);
    this.#options = dtls;
    this.#config12 = versions.v12 ? prepareDtlsClientConfig(options) : undefined;
    if (versions.v13) {
      const mtu = dtls.mtu ?? 1400;
      const config = prepareDtls13ClientConfig(options);
      this.#engine = new Dtls13Engine(Dtls13Connection.client(config, { mtu, ...timers(dtls) }), mtu, config);
      this.#version = 'DTLSv1.3';
      this.#mayFallBack = versions.v12;
    } else {
      this.#engine = new DtlsEngine(this.#config12 as PreparedClientConfig, engineOptions(dtls));
      this.#version = 'DTLSv1.2';
      this.#mayFallBack = false;
    }
  }

  /** The version in use (the one being tried while the handshake runs). */
  get version(): DtlsVersionName {
    return this.#version;
  }

  /** The engine now running. */
  get engine(): DatagramEngine {
    return this.#engine;
  }

  get mtu(): number {
    return this.#engine.mtu;
  }

  set mtu(v: number) {
    this.#engine.mtu = v;
  }

  get failed(): TlsError | undefined {
    return this.#engine.failed;
  }

  get isEstablished(): boolean {
    return this.#engine.isEstablished;
  }

  get info(): ConnectionInfo | undefined {
    return this.#engine.info;
  }

  get stateName(): string {
    return this.#engine.stateName;
  }

  get maxPlaintext(): number {
    return this.#engine.maxPlaintext;
  }

  get drops(): DropCounts {
    return this.#engine.drops;
  }

  start(now?: number): DtlsResult {
    return this.#counted(this.#engine.start(now));
  }

  process(datagram: Uint8Array, now?: number): DtlsResult {
    if (this.#mayFallBack) {
      const answer = dtls12Answer(datagram);
      if (answer !== undefined) return this.#fallBack(answer === 'hello-verify' ? datagram : undefined, now);
    }
    const r = this.#counted(this.#engine.process(datagram, now));
    // The server answered in DTLS 1.3 (a HelloRetryRequest makes a second ClientHello; a ServerHello moves the state).
    if (this.#mayFallBack && (r.datagrams.length > 0 || this.#engine.stateName !== 'ExpectServerHello')) this.#mayFallBack = false;
    return r;
  }

  nextTimeout(): number | null {
    return this.#engine.nextTimeout();
  }

  handleTimeout(now?: number): DtlsResult {
    return this.#counted(this.#engine.handleTimeout(now));
  }

  /** While DTLS 1.3 may still give way, count its epoch-0 records (DTLS 1.2 continues their sequence numbers). */
  #counted(r: DtlsResult): DtlsResult {
    if (this.#mayFallBack) for (const d of r.datagrams) this.#records13 += splitDatagram(d).length;
    return r;
  }

  retransmit(now?: number): Uint8Array[] {
    return this.#engine.retransmit(now);
  }

  seal(data: Uint8Array): Uint8Array[] {
    return this.#engine.seal(data);
  }

  close(): Uint8Array[] {
    return this.#engine.close();
  }

  takeAlert(): Uint8Array | null {
    return this.#engine.takeAlert();
  }

  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    return this.#engine.exportKeyingMaterial(label, context, length);
  }

  /**
   * Start over in DTLS 1.2 with TLS_FALLBACK_SCSV (RFC 7507) in the ClientHello. A HelloVerifyRequest is answered at
   * once with the new ClientHello and its cookie (servers that bind the cookie to the address alone, as OpenSSL's
   * s_server and GnuTLS do, take it; others send another HelloVerifyRequest): a server that waits for the cookie
   * would otherwise ignore a ClientHello without one until our timer resends it.
   */
  #fallBack(helloVerify: Uint8Array | undefined, now?: number): DtlsResult {
    this.#mayFallBack = false;
    const c = this.#config12 as PreparedClientConfig;
    const hook = c.clientHelloHook;
    const config: PreparedClientConfig = {
      ...c,
      clientHelloHook: (ch, retry) => {
        const h = hook?.(ch, retry) ?? ch;
        return h.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV) ? h : { ...h, cipherSuites: [...h.cipherSuites, CipherSuite.TLS_FALLBACK_SCSV] };
      },
    };
    // The server's epoch-0 replay window has seen the DTLS 1.3 ClientHello's records (OpenSSL drops a repeat).
    this.#engine = new DtlsEngine(config, { ...engineOptions(this.#options), firstRecordSeq: this.#records13 });
    this.#version = 'DTLSv1.2';
    const first = this.#engine.start(now);
    if (helloVerify === undefined) return first;
    const answered = this.#engine.process(helloVerify, now);
    // The HelloVerifyRequest made the ClientHello with its cookie; else (it did not fit) send the plain one.
    return answered.datagrams.length > 0 ? answered : first;
  }
}

function timers(o: NegotiatingClientOptions): { initialTimeoutMs?: number; maxRetransmissions?: number } {
  return {
    ...(o.initialTimeoutMs !== undefined ? { initialTimeoutMs: o.initialTimeoutMs } : {}),
    ...(o.maxRetransmissions !== undefined ? { maxRetransmissions: o.maxRetransmissions } : {}),
  };
}

function engineOptions(o: NegotiatingClientOptions): DtlsOptions {
  return { ...(o.mtu !== undefined ? { mtu: o.mtu } : {}), ...timers(o) };
}

/** The version a front end reports for an engine. */
export function dtlsVersionOf(engine: DatagramEngine): DtlsVersionName {
  if (engine instanceof NegotiatingDtlsClient) return engine.version;
  return engine instanceof Dtls13Engine ? 'DTLSv1.3' : 'DTLSv1.2';
}

