/**
 * The server side of DTLS 1.3 before a connection exists (RFC 9147 §5.1): every first ClientHello is answered with a
 * HelloRetryRequest carrying a stateless cookie, and only a ClientHello that returns a valid cookie from the same
 * address makes a connection. Nothing is kept per client but the fragments of a ClientHello too large for one
 * datagram (a hybrid key share), in a small bounded table.
 */
import { utf8 } from '../../codec/bytes.js';
import { suiteById } from '../../crypto/suites.js';
import { alertFragment } from '../../engine/alerts.js';
import { asTlsError, misbehaved, type TlsError } from '../../errors.js';
import { serverHandleClientHello13, serverHandleCookieHello13, type ServerCx } from '../../tls13/server.js';
import { DTLS13 } from '../../tls13/datagram.js';
import type { PreparedServerConfig } from '../../vocabulary/config.js';
import { decodeClientHello, decodeClientHelloWithBasics } from '../../wire/client-hello.js';
import { decodeClientVersions, decodeCookie, findExtension } from '../../wire/extensions.js';
import { AlertLevel, ContentType, ExtensionType, HandshakeType } from '../../wire/registry.js';
import { Dtls13Connection, type Dtls13Options } from './connection.js';
import { decodeFragments, encodeFragment, Reassembler, type HandshakeFragment } from '../handshake.js';
import { fromTlsForm, transcriptForm } from './handshake-message.js';
import { encodePlaintextHeader, splitDatagram } from './header.js';
import { COOKIE_LIFETIME_MS, makeCookie, openCookie } from './hrr-cookie.js';

/** Options of a listener. */
export interface Dtls13ListenerOptions extends Dtls13Options {
  /** Cookie keys, newest first (rotate by prepending; §5.1). Default: one random key. */
  readonly cookieKeys?: readonly Uint8Array[];
  readonly cookieLifetimeMs?: number;
}

/** What the listener made of a datagram. */
export interface ListenerResult {
  /** Datagrams to send back to the address (a HelloRetryRequest, or an alert). */
  readonly reply: Uint8Array[];
  /** A connection, once a ClientHello returned a valid cookie: route the address's datagrams to it from now on. */
  readonly connection?: Dtls13Connection;
  /** Why a datagram was refused (a bad cookie, a malformed hello); the listener itself goes on. */
  readonly error?: TlsError;
}

/** Addresses whose fragmented ClientHello is being put together. */
const MAX_PARTIAL_HELLOS = 64;
/** Largest ClientHello the stateless path reassembles. */
const MAX_STATELESS_HELLO = 16384;

export class Dtls13Listener {
  readonly #config: PreparedServerConfig;
  readonly #options: Dtls13ListenerOptions;
  readonly #keys: readonly Uint8Array[];
  readonly #partial = new Map<string, Reassembler>();

  constructor(config: PreparedServerConfig, options: Dtls13ListenerOptions = {}) {
    // No resumption over DTLS 1.3 yet (our client offers no PSK): no tickets, which would only cost a flight.
    this.#config = { ...config, ticketCount: 0 };
    this.#options = options;
    this.#keys = options.cookieKeys ?? [config.provider.randomBytes(32)];
  }

  /** A datagram from `address` (e.g. "192.0.2.1:5000") that no connection owns yet. */
  accept(datagram: Uint8Array, address: string): ListenerResult {
    const records = splitDatagram(datagram).records;
    for (const r of records) {
      // Only a plaintext handshake record of epoch 0 can start a connection; anything else is dropped.
      if (r.kind !== 'plaintext' || r.type !== ContentType.Handshake || r.epoch !== 0) continue;
      for (const f of decodeFragments(r.fragment) ?? []) {
        if (f.msgType !== HandshakeType.ClientHello || f.messageSeq > 1 || f.length > MAX_STATELESS_HELLO) continue;
        let body: Uint8Array | undefined;
        if (f.fragmentOffset === 0 && f.body.length === f.length) {
          body = f.body;
        } else {
          body = this.#reassemble(address, f);
        }
        if (body === undefined) continue;
        return this.#hello(body, f.messageSeq, r.seq, address);
      }
    }
    return { reply: [] };
  }

  #reassemble(address: string, f: HandshakeFragment): Uint8Array | undefined {
    let ra = this.#partial.get(address);
    // A second ClientHello replaces what is left of a first one (a duplicate of its fragment, say).
    if (ra !== undefined && ra.nextSeq < f.messageSeq) {
      this.#partial.delete(address);
      ra = undefined;
    }
    if (ra === undefined) {
      if (this.#partial.size >= MAX_PARTIAL_HELLOS) {
        const oldest = this.#partial.keys().next().value;
        if (oldest !== undefined) this.#partial.delete(oldest);
      }
      ra = new Reassembler(f.messageSeq);
      this.#partial.set(address, ra);
    }
    ra.push(f, MAX_STATELESS_HELLO);
    const done = ra.take();
    if (done === undefined) return undefined;
    this.#partial.delete(address);
    return done.body;
  }

  #hello(body: Uint8Array, messageSeq: number, recordSeq: number, address: string): ListenerResult {
    const p = this.#config.provider;
    const raw = transcriptForm(HandshakeType.ClientHello, body);
    const m = { type: HandshakeType.ClientHello, body, raw };
    const addr = utf8(address);
    try {
      const hello = decodeClientHello(body, true);
      const sv = findExtension(hello.extensions, ExtensionType.supported_versions);
      if (sv === undefined || !decodeClientVersions(sv).includes(DTLS13)) return { reply: [], error: misbehaved('SelectedUnofferedVersion', { detail: 'no DTLS 1.3 offered' }) };
      const cookieExt = findExtension(hello.extensions, ExtensionType.cookie);
      if (cookieExt === undefined) return { reply: [this.#retry(m, addr, recordSeq)] };
      const cookie = decodeCookie(cookieExt);
      const state = openCookie(p, this.#keys, addr, cookie, this.#options.cookieLifetimeMs ?? COOKIE_LIFETIME_MS);
      const suite = state === null ? undefined : suiteById(state.suite);
      if (state === null || suite === undefined) throw misbehaved('InvalidCookie');
      const connection = Dtls13Connection.server(this.#config, this.#options, (cx) => ({
        state: serverHandleCookieHello13(cx, m, { suite, group: state.group, keyShareInHrr: state.keyShareInHrr, ch1Hash: state.ch1Hash, cookie }),
        clientHelloRecord: { epoch: 0, seq: recordSeq },
        clientHelloSeq: messageSeq,
      }));
      const failed = connection.failed;
      if (failed !== undefined) return { reply: connection.takeDatagrams(), error: failed };
      return { reply: [], connection };
    } catch (e) {
      const err = asTlsError(e);
      // RFC 9147 §5.1: an invalid cookie is illegal_parameter; every refusal here is a plaintext alert.
      const alert = alertFragment(AlertLevel.Fatal, err.alertCode);
      const rec = new Uint8Array([...encodePlaintextHeader(ContentType.Alert, 0, recordSeq, alert.length), ...alert]);
      return { reply: [rec], error: err };
    }
  }

  /** The stateless HelloRetryRequest: the machine decides it, the cookie carries all it decided, nothing is kept. */
  #retry(m: { type: number; body: Uint8Array; raw: Uint8Array }, addr: Uint8Array, recordSeq: number): Uint8Array {
    const p = this.#config.provider;
    const emitted: Uint8Array[] = [];
    const cx: ServerCx = {
      config: this.#config,
      provider: p,
      datagram: true,
      statelessCookie: (suite, group, keyShareInHrr, ch1Hash) => makeCookie(p, this.#keys, addr, { suite: suite.id, group, keyShareInHrr, ch1Hash }),
      emit: (raw) => emitted.push(raw),
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
    serverHandleClientHello13(cx, decodeClientHelloWithBasics(m.body, true), m);
    const hrr = emitted[0];
    if (emitted.length !== 1 || hrr === undefined) throw misbehaved('InvalidCookie', { detail: 'no HelloRetryRequest' });
    const { msgType, body } = fromTlsForm(hrr);
    // message_seq 0: the server's first message; the record number is the ClientHello's (so it is never replayed).
    const content = encodeFragment(msgType, body.length, 0, 0, body);
    return new Uint8Array([...encodePlaintextHeader(ContentType.Handshake, 0, recordSeq, content.length), ...content]);
  }
}
