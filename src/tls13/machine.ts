/**
 * The TLS 1.3 client and server behind the engine's one machine contract (handshake/machine.ts): small classes
 * around the pure state handlers of client.ts and server.ts. Version negotiation lives here too: the client hands a
 * ServerHello that selected TLS 1.2 to the TLS 1.2 client it was given, and the server a ClientHello that does not
 * offer TLS 1.3 to the TLS 1.2 server it was given (both passed in by whoever built the engine).
 */
import { incompatible, internalError, misbehaved } from '../errors.js';
import type { ChangeCipherSpecRole, HandshakeMachine, RenegotiationRequest } from '../handshake/machine.js';
import type { CertifiedKey } from '../vocabulary/config.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { decodeClientHelloWithBasics, type DecodedClientHello } from '../wire/client-hello.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { HandshakeType, ProtocolVersion } from '../wire/registry.js';
import { clientHandle13, sendKeyUpdate, startClient13, supplyClientCertificate13, Tls12Selected, type ClientCx, type ClientState13 } from './client.js';
import { exportKeyingMaterial13 } from './key-schedule.js';
import { offersTls13, requestClientCertificate, serverHandle13, serverHandleClientHello13, type ServerCx, type ServerState13 } from './server.js';
import type { TrafficState } from './traffic.js';

/** The TLS 1.2 client that takes over when the server selects TLS 1.2. */
export type Tls12ClientFactory = (selected: Tls12Selected, cx: ClientCx) => HandshakeMachine;
/** The TLS 1.2 server that takes over a ClientHello without TLS 1.3. */
export type Tls12ServerFactory = (hello: DecodedClientHello, m: HandshakeMessage, cx: ServerCx) => HandshakeMachine;

/** What both TLS 1.3 sides share: the traffic state and everything read from it. */
abstract class Machine13<S extends { readonly kind: string }> implements HandshakeMachine {
  readonly state: S;
  constructor(state: S) {
    this.state = state;
  }
  abstract readonly version: number | undefined;
  abstract readonly changeCipherSpecRole: ChangeCipherSpecRole;
  abstract handle(m: HandshakeMessage): HandshakeMachine;
  abstract updateKeys(requestPeer: boolean): HandshakeMachine;
  abstract exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array;
  /** The traffic state, in Traffic. */
  protected abstract get traffic(): TrafficState | undefined;
  get stateName(): string {
    return this.state.kind;
  }
  get isTraffic(): boolean {
    return this.state.kind === 'Traffic';
  }
  get renegotiating(): boolean {
    return false;
  }
  get info(): ConnectionInfo | undefined {
    return this.traffic?.info;
  }
  protected trafficOrThrow(): TrafficState {
    const t = this.traffic;
    if (t === undefined) throw internalError('not a TLS 1.3 connection in traffic');
    return t;
  }
  changeCipherSpec(): HandshakeMachine {
    throw misbehaved('IllegalChangeCipherSpec');
  }
  get awaitingClientCertificate(): boolean {
    return false;
  }
  supplyClientCertificate(_certificate: CertifiedKey | null): HandshakeMachine {
    throw internalError('no CertificateRequest is waiting');
  }
  get canRenegotiate(): boolean {
    return false;
  }
  requestRenegotiation(_request: RenegotiationRequest): HandshakeMachine {
    throw internalError('renegotiation needs a TLS 1.2 server in traffic');
  }
  requestClientCertificate(): HandshakeMachine {
    throw internalError('post-handshake auth needs a TLS 1.3 server');
  }
  get tlsUnique(): Uint8Array | undefined {
    // RFC 9266: no tls-unique for TLS 1.3.
    return undefined;
  }
  get localChain(): readonly Uint8Array[] {
    return this.traffic?.localChain ?? [];
  }
}

/** The TLS 1.3 client (offering TLS 1.2 too when it was given the TLS 1.2 client and the configuration allows it). */
export class ClientMachine13 extends Machine13<ClientState13> {
  readonly #cx: ClientCx;
  readonly #tls12: Tls12ClientFactory | undefined;
  constructor(state: ClientState13, cx: ClientCx, tls12: Tls12ClientFactory | undefined) {
    super(state);
    this.#cx = cx;
    this.#tls12 = tls12;
  }
  /** Queue the ClientHello and wait for the ServerHello. */
  static start(cx: ClientCx, tls12: Tls12ClientFactory | undefined): ClientMachine13 {
    const s = startClient13(cx, tls12 !== undefined && cx.config.minVersion <= ProtocolVersion.TLS12);
    return new ClientMachine13(s, cx, tls12);
  }
  #next(state: ClientState13): ClientMachine13 {
    return new ClientMachine13(state, this.#cx, this.#tls12);
  }
  get version(): number | undefined {
    // Known from the ServerHello on: every later state is TLS 1.3 (a TLS 1.2 ServerHello leaves this machine).
    return this.state.kind === 'ExpectServerHello' ? undefined : ProtocolVersion.TLS13;
  }
  /** The client random of the ClientHello sent (for key logs), before the ServerHello. */
  get clientRandom(): Uint8Array | undefined {
    return this.state.kind === 'ExpectServerHello' ? this.state.offer.random : undefined;
  }
  protected get traffic(): TrafficState | undefined {
    return this.state.kind === 'Traffic' ? this.state.traffic : undefined;
  }
  get changeCipherSpecRole(): ChangeCipherSpecRole {
    return this.state.kind === 'Traffic' ? 'unexpected' : 'compatibility';
  }
  handle(m: HandshakeMessage): HandshakeMachine {
    const next = clientHandle13(this.state, m, this.#cx);
    if (!(next instanceof Tls12Selected)) return this.#next(next);
    if (this.#tls12 === undefined) throw incompatible('NoCommonVersion');
    return this.#tls12(next, this.#cx);
  }
  override get awaitingClientCertificate(): boolean {
    return this.state.kind === 'AwaitClientCertificate';
  }
  override supplyClientCertificate(certificate: CertifiedKey | null): HandshakeMachine {
    const s = this.state;
    if (s.kind !== 'AwaitClientCertificate') return super.supplyClientCertificate(certificate);
    return this.#next(supplyClientCertificate13(s, this.#cx, certificate));
  }
  updateKeys(requestPeer: boolean): HandshakeMachine {
    return this.#next({ kind: 'Traffic', traffic: sendKeyUpdate(this.trafficOrThrow(), this.#cx, 'client', requestPeer) });
  }
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    const t = this.trafficOrThrow();
    return exportKeyingMaterial13(this.#cx.provider, t.suite, t.exporterSecret, label, context, length);
  }
}

/** The TLS 1.3 server; a ClientHello without TLS 1.3 goes to the TLS 1.2 server it was given, if any. */
export class ServerMachine13 extends Machine13<ServerState13> {
  readonly #cx: ServerCx;
  readonly #tls12: Tls12ServerFactory | undefined;
  /** The first ClientHello already decoded at the Accepted point (engine/hello-stage.ts), used once. */
  readonly #accepted: AcceptedClientHello | undefined;
  constructor(state: ServerState13, cx: ServerCx, tls12: Tls12ServerFactory | undefined, accepted?: AcceptedClientHello) {
    super(state);
    this.#cx = cx;
    this.#tls12 = tls12;
    this.#accepted = accepted;
  }
  #next(state: ServerState13): ServerMachine13 {
    return new ServerMachine13(state, this.#cx, this.#tls12);
  }
  get version(): number | undefined {
    return this.state.kind === 'ExpectClientHello' ? undefined : ProtocolVersion.TLS13;
  }
  protected get traffic(): TrafficState | undefined {
    return this.state.kind === 'Traffic' ? this.state.traffic : undefined;
  }
  get changeCipherSpecRole(): ChangeCipherSpecRole {
    // RFC 8446 §5 / D.4: ignored during the handshake, but only after the first ClientHello.
    return this.state.kind === 'Traffic' || this.state.kind === 'ExpectClientHello' ? 'unexpected' : 'compatibility';
  }
  handle(m: HandshakeMessage): HandshakeMachine {
    if (this.state.kind !== 'ExpectClientHello') return this.#next(serverHandle13(this.state, m, this.#cx));
    if (m.type !== HandshakeType.ClientHello) throw misbehaved('InvalidContentType', { alert: 'unexpected_message', detail: 'expected ClientHello' });
    // The version is negotiated once, here, on the one decoding of the ClientHello.
    const ch = this.#accepted?.message === m ? this.#accepted.decoded : decodeClientHelloWithBasics(m.body);
    const hello = ch.hello;
    const cfg = this.#cx.config;
    if (cfg.maxVersion >= ProtocolVersion.TLS13 && offersTls13(hello)) return this.#next(serverHandleClientHello13(this.#cx, ch, m));
    if (this.#tls12 === undefined || cfg.minVersion > ProtocolVersion.TLS12 || hello.legacyVersion < ProtocolVersion.TLS12) {
      throw incompatible(hello.legacyVersion < ProtocolVersion.TLS12 ? 'ObsoleteVersion' : 'NoCommonVersion');
    }
    return this.#tls12(ch, m, this.#cx);
  }
  override requestClientCertificate(): HandshakeMachine {
    const t = this.traffic;
    if (t === undefined) return super.requestClientCertificate();
    return this.#next({ kind: 'Traffic', traffic: requestClientCertificate(this.#cx, t) });
  }
  updateKeys(requestPeer: boolean): HandshakeMachine {
    return this.#next({ kind: 'Traffic', traffic: sendKeyUpdate(this.trafficOrThrow(), this.#cx, 'server', requestPeer) });
  }
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    const t = this.trafficOrThrow();
    return exportKeyingMaterial13(this.#cx.provider, t.suite, t.exporterSecret, label, context, length);
  }
}

/** A ClientHello decoded once at the Accepted point: the message (for the transcript) and its decoding. */
export interface AcceptedClientHello {
  readonly message: HandshakeMessage;
  readonly decoded: DecodedClientHello;
}
