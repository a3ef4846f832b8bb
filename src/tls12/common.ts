/** What the TLS 1.2 client and server share: context types, the handshake log, the traffic state, key install. */
import { dispatch, dispatchIfHandled, type HandlerTable, type PartialHandlerTable } from '../handshake/dispatch.js';
import { expect } from '../handshake/expect.js';
import { hex } from '../codec/bytes.js';
import { encode } from '../codec/writer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { CertifiedKey, PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';
import type { ChangeCipherSpecRole, HandshakeMachine, RenegotiationRequest } from '../handshake/machine.js';
import { internalError, misbehaved } from '../errors.js';
import type { HandshakeContext } from '../handshake/context.js';
import type { CertVerified, FinishedVerified, SignatureVerified } from '../handshake/verify.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { AlertDescription, HandshakeType, nameOf, ProtocolVersion } from '../wire/registry.js';
import { decodeEmpty } from './messages.js';
import { exportKeyingMaterial12, keyBlock } from './prf.js';

/** The engine's context, plus the one TLS 1.2 side effect the 1.3 machines do not need. */
export interface Tls12Context extends HandshakeContext {
  /** Queue a warning alert under the current write protection (RFC 5746 §4: no_renegotiation). */
  readonly sendWarningAlert?: (description: number) => void;
  /**
   * DTLS (src/dtls): the form a message takes in the transcript, given the TLS form a machine built or read
   * (RFC 6347 §4.2.6: with the DTLS handshake header). Absent for TLS: the message as it is.
   */
  readonly transcriptForm?: (raw: Uint8Array) => Uint8Array;
}
/** The TLS 1.2 server's context: the engine context plus the prepared server configuration. */
export interface ServerCx12 extends Tls12Context {
  readonly config: PreparedServerConfig;
}
/** The TLS 1.2 client's context: the engine context plus the prepared client configuration. */
export interface ClientCx12 extends Tls12Context {
  readonly config: PreparedClientConfig;
}

/** Key algorithm families for the TLS 1.2 suites' authentication (RFC 8422 §5.1.1 puts Ed25519 with ECDSA suites). */
export function keyFamily(algorithm: string): 'ecdsa' | 'rsa' | undefined {
  if (algorithm === 'ec-p256' || algorithm === 'ec-p384' || algorithm === 'ec-p521' || algorithm === 'ed25519') return 'ecdsa';
  if (algorithm === 'rsa' || algorithm === 'rsa-pss') return 'rsa';
  return undefined;
}

/**
 * The handshake messages so far, as sent or received. TLS 1.2 hashes them with the suite's PRF hash, and a
 * CertificateVerify signs the messages themselves (RFC 5246 §7.4.8), so they are kept rather than only hashed.
 */
export class HandshakeLog {
  readonly #messages: Uint8Array[] = [];
  #length = 0;
  readonly #form: ((raw: Uint8Array) => Uint8Array) | undefined;
  /** `form`: the context's transcriptForm (DTLS), applied to each message added. */
  constructor(form?: (raw: Uint8Array) => Uint8Array) {
    this.#form = form;
  }
  add(message: Uint8Array): void {
    const raw = this.#form !== undefined ? this.#form(message) : message;
    this.#messages.push(raw);
    this.#length += raw.length;
  }
  /** All messages concatenated. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const m of this.#messages) {
      out.set(m, at);
      at += m.length;
    }
    return out;
  }
  hash(p: CryptoProvider, suite: SuiteInfo): Uint8Array {
    return p.hash(suite.hash, this.bytes());
  }
}

/** Derive the key block and install one direction's keys. */
export function installKeys(cx: HandshakeContext, suite: SuiteInfo, master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array, which: 'read' | 'write', side: 'client' | 'server'): void {
  const kb = keyBlock(cx.provider, suite, master, clientRandom, serverRandom);
  const clientDir = (which === 'write') === (side === 'client');
  const key = clientDir ? kb.clientWriteKey : kb.serverWriteKey;
  const iv = clientDir ? kb.clientWriteIv : kb.serverWriteIv;
  if (which === 'write') cx.installWriteKeys12(suite, key, iv);
  else cx.installReadKeys12(suite, key, iv);
}

/** What the connection keeps once established. */
export interface Traffic12 {
  readonly side: 'client' | 'server';
  /** For the exporter, which runs outside any handler. */
  readonly provider: CryptoProvider;
  readonly suite: SuiteInfo;
  readonly masterSecret: Uint8Array;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly info: ConnectionInfo;
  /** The proofs that let the handshake reach Traffic (DESIGN C.5 rule 4). */
  readonly proof: { readonly cert: CertVerified; readonly sig: SignatureVerified; readonly fin: FinishedVerified };
  /**
   * RFC 5929 §3.1 tls-unique: the verify_data of the first Finished of this handshake (the client's in a full
   * handshake, the server's in an abbreviated one).
   */
  readonly tlsUnique: Uint8Array;
  /** Our own chain sent in this handshake (server: the chosen certificate; client: the one sent; [] if none). */
  readonly localChain: readonly Uint8Array[];
  /** RFC 5746 §3.1: this handshake's client and server Finished verify_data, for the next renegotiation_info. */
  readonly clientVerifyData: Uint8Array;
  readonly serverVerifyData: Uint8Array;
  /** Renegotiations completed on this connection before this handshake's traffic (0 after the first handshake). */
  readonly renegotiations: number;
}

/**
 * A TLS 1.2 state machine: a discriminated union of readonly states (`S`) and a handler table, behind the engine's
 * HandshakeMachine interface. `handle` never mutates the state: it returns a new machine.
 */
export class Machine12<S extends { readonly kind: string }, Cx extends Tls12Context> implements HandshakeMachine {
  readonly state: S;
  readonly #handlers: Handlers12<S, Cx>;
  /** The engine's context for this connection, typed for this side (the engine's one context object). */
  readonly #cx: Cx;
  constructor(state: S, handlers: Handlers12<S, Cx>, cx: Cx) {
    this.state = state;
    this.#handlers = handlers;
    this.#cx = cx;
  }
  #next(state: S): Machine12<S, Cx> {
    return new Machine12(state, this.#handlers, this.#cx);
  }
  get version(): number {
    return ProtocolVersion.TLS12;
  }
  get stateName(): string {
    return this.state.kind;
  }
  get changeCipherSpecRole(): ChangeCipherSpecRole {
    // Whether one is expected here is the handler table's to say (changeCipherSpec).
    return 'keyChange';
  }
  get canRenegotiate(): boolean {
    return this.#handlers.requestRenegotiation !== undefined && this.state.kind === 'Traffic';
  }
  requestClientCertificate(): HandshakeMachine {
    throw internalError('post-handshake auth needs a TLS 1.3 server');
  }
  updateKeys(): HandshakeMachine {
    throw internalError('KeyUpdate needs TLS 1.3');
  }
  get isTraffic(): boolean {
    return this.state.kind === 'Traffic';
  }
  /** The traffic state application data runs on: this one's, or during a renegotiation the previous handshake's. */
  get #current(): Traffic12 | undefined {
    return this.#handlers.traffic(this.state) ?? this.#handlers.previous?.(this.state);
  }
  get renegotiating(): boolean {
    return this.state.kind !== 'Traffic' && this.#handlers.previous?.(this.state) !== undefined;
  }
  get info(): ConnectionInfo | undefined {
    return this.#current?.info;
  }
  get tlsUnique(): Uint8Array | undefined {
    return this.#current?.tlsUnique.slice();
  }
  get localChain(): readonly Uint8Array[] {
    return this.#current?.localChain ?? [];
  }
  requestRenegotiation(request: RenegotiationRequest): HandshakeMachine {
    const h = this.#handlers.requestRenegotiation;
    if (h === undefined || this.state.kind !== 'Traffic') throw internalError('renegotiation needs a TLS 1.2 server in traffic');
    return this.#next(h(this.state, request, this.#cx));
  }
  handle(m: HandshakeMessage): HandshakeMachine {
    if (this.#handlers.ignoreHelloRequest === true && m.type === HandshakeType.HelloRequest && this.state.kind !== 'Traffic') {
      decodeEmpty(m.body, 'HelloRequest');
      return this;
    }
    return this.#next(dispatch(this.#handlers.message, this.state, m, this.#cx));
  }
  changeCipherSpec(): HandshakeMachine {
    const next = dispatchIfHandled(this.#handlers.ccs, this.state, this.#cx);
    // RFC 5246 §7.1: a ChangeCipherSpec anywhere else is unexpected_message.
    if (next === undefined) throw misbehaved('IllegalChangeCipherSpec', { detail: `in state ${this.state.kind}` });
    return this.#next(next);
  }
  get awaitingClientCertificate(): boolean {
    return this.state.kind === 'AwaitClientCertificate';
  }
  supplyClientCertificate(certificate: CertifiedKey | null): HandshakeMachine {
    const h = this.#handlers.supply;
    if (h === undefined || this.state.kind !== 'AwaitClientCertificate') throw internalError('no CertificateRequest is waiting');
    return this.#next(h(this.state, certificate, this.#cx));
  }
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    const t = this.#current;
    if (t === undefined) throw misbehaved('ApplicationDataBeforeHandshake');
    return exportKeyingMaterial12(t.provider, t.suite, t.masterSecret, t.clientRandom, t.serverRandom, label, context, length);
  }
}

/** One handler per state for handshake messages; CCS handlers only where a ChangeCipherSpec is expected. */
export interface Handlers12<S extends { readonly kind: string }, Cx> {
  readonly message: HandlerTable<S, [HandshakeMessage, Cx], S>;
  readonly ccs: PartialHandlerTable<S, [Cx], S>;
  /** Client: RFC 5246 §7.4.1.1 says a HelloRequest during the handshake is ignored. */
  readonly ignoreHelloRequest?: boolean;
  /** Client: answer a deferred CertificateRequest (state 'AwaitClientCertificate') with a certificate or none. */
  readonly supply?: (s: S, certificate: CertifiedKey | null, cx: Cx) => S;
  /** The Traffic state's traffic (undefined in every other state). */
  readonly traffic: (s: S) => Traffic12 | undefined;
  /** The previous handshake's traffic while a renegotiation runs (undefined: a first handshake, or Traffic). */
  readonly previous?: (s: S) => Traffic12 | undefined;
  /** Server in Traffic: send HelloRequest. */
  readonly requestRenegotiation?: (s: S, request: RenegotiationRequest, cx: Cx) => S;
}

/** RFC 5746 §3.2: renegotiation_info's body, the vector `renegotiated_connection<0..255>`. */
export function renegotiationInfo(...verifyData: readonly Uint8Array[]): Uint8Array {
  return encode((w) => w.vec8((w) => {
    for (const v of verifyData) w.bytes(v);
  }));
}

/**
 * A renegotiation we do not run (RFC 5746 §4.2/§4.4 permit refusing: over the limit, or a client-initiated one the
 * server does not allow): the server answers the ClientHello, the client the HelloRequest, with a no_renegotiation
 * warning, and the connection goes on.
 */
export function refuseRenegotiation(m: HandshakeMessage, cx: Tls12Context, side: 'client' | 'server'): void {
  const expected = side === 'server' ? HandshakeType.ClientHello : HandshakeType.HelloRequest;
  expect(m, expected);
  if (m.type === HandshakeType.HelloRequest) decodeEmpty(m.body, 'HelloRequest');
  cx.traceReceived(nameOf(HandshakeType, m.type), { renegotiation: 'refused' });
  if (cx.sendWarningAlert === undefined) throw misbehaved('RenegotiationRefused');
  cx.sendWarningAlert(AlertDescription.no_renegotiation);
}

/** The TLS 1.2 session stored by a client: `ticket` holds u8 session_id length ‖ session_id ‖ RFC 5077 ticket. */
export function encodeSessionRef(sessionId: Uint8Array, ticket: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + sessionId.length + ticket.length);
  out[0] = sessionId.length;
  out.set(sessionId, 1);
  out.set(ticket, 1 + sessionId.length);
  return out;
}

/** Session-cache key for a session id. */
export function cacheKey(sessionId: Uint8Array): string {
  return hex(sessionId);
}
