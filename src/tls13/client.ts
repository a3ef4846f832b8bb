/**
 * The TLS 1.3 client (RFC 8446 §2, §4): a discriminated union of states and one handler per state.
 * Handlers never mutate the state they are given; the engine swaps in the returned one.
 */
import { dispatch, type HandlerTable } from '../handshake/dispatch.js';
import { expect, unexpectedMessage } from '../handshake/expect.js';
import { EMPTY, equalPublic, includesBytes, latin1 } from '../codec/bytes.js';
import { Writer, encode } from '../codec/writer.js';
import type { KeyExchangeClient } from '../crypto/provider.js';
import type { Certificate } from '../x509/certificate.js';
import { suiteById, type SuiteInfo } from '../crypto/suites.js';
import type { CertifiedKey, PreparedClientConfig } from '../vocabulary/config.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { decodeError, incompatible, internalError, misbehaved } from '../errors.js';
import type { HandshakeContext } from '../handshake/context.js';
import { TranscriptBuffer, Transcript } from '../handshake/transcript.js';
import {
  resumedServerChain,
  signatureFromPsk,
  verifyCertificateVerify13,
  verifyFinished,
  verifyPeerChain,
  parsedLeaf,
  certificateVerifyContent,
  checkStapledOcsp,
  decodeCertificateStatus,
  type CertVerified,
  type ChainCheck,
  type SignatureVerified,
} from '../handshake/verify.js';
import {
  checkAllowed,
  decodeAlpn,
  decodeCertificateAuthorities,
  decodeCookie,
  decodeHrrKeyShare,
  decodeRecordSizeLimit,
  decodeSelectedPsk,
  decodeServerKeyShare,
  decodeServerVersion,
  decodeU16List,
  encodeAlpn,
  encodeClientKeyShares,
  encodeServerName,
  encodeU16List,
  findExtension,
  readExtensions,
  type RawExtension,
} from '../wire/extensions.js';
import { decodeClientHello, encodeClientHello, encodeClientHelloWith, type ClientHello } from '../wire/client-hello.js';
import { Reader } from '../codec/reader.js';
import { decodeServerHello, isHelloRetryRequest, DOWNGRADE_TLS11, DOWNGRADE_TLS12, type ServerHello } from '../wire/server-hello.js';
import {
  decodeCertificate13,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  encodeCertificate13,
  encodeCertificateVerify,
  type CertificateRequest13,
} from '../wire/certificate.js';
import { decodeEncryptedExtensions, decodeKeyUpdate, decodeNewSessionTicket13, encodeFinished } from '../wire/tls13-messages.js';
import { emitMessage } from '../handshake/emit.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, nameOf, CipherSuite, SignatureScheme } from '../wire/registry.js';
import {
  EarlySecret,
  HandshakeSecret,
  finishedVerifyData,
  hkdfExpandLabel,
  Label,
} from './key-schedule.js';
import { decodeClientSession, type ClientSession } from '../handshake/tickets.js';
import type { TrafficState } from './traffic.js';
import { ReceivedTicket } from './received-ticket.js';
import { DTLS13, scheduleSuite, versionsOf } from './datagram.js';

/** What the client offered in its first ClientHello (kept for checking the server's answers). */
interface Offer {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly suites: readonly number[];
  readonly shares: ReadonlyMap<number, KeyExchangeClient>;
  readonly extensions: ReadonlySet<number>;
  readonly alpn: readonly Uint8Array[] | undefined;
  readonly serverName: string | undefined;
  readonly session: ClientSession | undefined;
  /** A TLS 1.2 session offered by session id or ticket (src/tls12 resumes it if the server picks TLS 1.2). */
  readonly session12?: ClientSession | undefined;
  readonly clientHello: Uint8Array;
  readonly tls12: boolean;
}

/** TLS 1.3 client handshake states, discriminated by `kind`. */
export type ClientState13 =
  | { readonly kind: 'ExpectServerHello'; readonly offer: Offer; readonly transcript: TranscriptBuffer | Transcript; readonly hrr: { readonly suite: SuiteInfo; readonly group: number } | undefined }
  | {
      readonly kind: 'ExpectEncryptedExtensions';
      readonly offer: Offer;
      readonly hs: Hs;
      readonly resumed: ClientSession | undefined;
    }
  | { readonly kind: 'ExpectCertificateOrCertificateRequest'; readonly offer: Offer; readonly hs: Hs; readonly ee: EeInfo }
  | { readonly kind: 'ExpectCertificate'; readonly offer: Offer; readonly hs: Hs; readonly ee: EeInfo; readonly certRequest: CertificateRequest13 }
  | {
      readonly kind: 'ExpectCertificateVerify';
      readonly offer: Offer;
      readonly hs: Hs;
      readonly ee: EeInfo;
      readonly certRequest: CertificateRequest13 | undefined;
      readonly chain: readonly Uint8Array[];
      readonly certVerified: CertVerified;
      /** chain[0] parsed when the chain was verified (undefined: parsed again for the CertificateVerify). */
      readonly leaf: Certificate | undefined;
    }
  | {
      readonly kind: 'ExpectFinished';
      readonly offer: Offer;
      readonly hs: Hs;
      readonly ee: EeInfo;
      readonly certRequest: CertificateRequest13 | undefined;
      readonly chain: readonly Uint8Array[];
      readonly certVerified: CertVerified;
      readonly sigVerified: SignatureVerified;
      /** The scheme of the server's CertificateVerify; undefined on resumption (no signature). */
      readonly scheme: number | undefined;
    }
  /** The server's flight is complete but for its Finished, held until the caller supplies a client certificate. */
  | { readonly kind: 'AwaitClientCertificate'; readonly s: Extract<ClientState13, { kind: 'ExpectFinished' }>; readonly finished: HandshakeMessage }
  | { readonly kind: 'Traffic'; readonly traffic: TrafficState };

/** Handshake-stage key material shared by the middle states. */
interface Hs {
  readonly suite: SuiteInfo;
  readonly transcript: Transcript;
  readonly handshakeSecret: HandshakeSecret;
  readonly clientHsSecret: Uint8Array;
  readonly serverHsSecret: Uint8Array;
  readonly group: number | undefined;
  readonly helloRetry: boolean;
  readonly resumed: ClientSession | undefined;
}

interface EeInfo {
  readonly alpn: Uint8Array | null;
  readonly serverNameAcked: boolean;
}

/** The client's handshake context: the engine context plus the prepared client configuration. */
export interface ClientCx extends HandshakeContext {
  readonly config: PreparedClientConfig;
}

const TLS13 = ProtocolVersion.TLS13;

/** Extension bodies that never change (shared: never modified). */
const RENEGOTIATION_INFO_EMPTY = encode((w) => w.u8(0));
const EC_POINT_FORMATS_UNCOMPRESSED = encode((w) => w.vec8((w) => w.u8(0)));
const VERSIONS_13 = encode((w) => w.vec8((w) => w.u16(TLS13)));
const VERSIONS_13_12 = encode((w) => w.vec8((w) => w.u16(TLS13).u16(ProtocolVersion.TLS12)));
const VERSIONS_DTLS13 = encode((w) => w.vec8((w) => w.u16(DTLS13)));
const PSK_DHE_KE_ONLY = encode((w) => w.vec8((w) => w.u8(1)));
const STATUS_REQUEST_OCSP = encode((w) => w.u8(1).u16(0).u16(0));
/** legacy_compression_methods: [null]. */
const NULL_COMPRESSION = new Uint8Array(1);

/** What a first ClientHello offers beyond the configuration: shares, TLS 1.2, its ticket, DTLS, a TLS 1.3 session. */
interface HelloOffer {
  readonly shares: ReadonlyMap<number, KeyExchangeClient>;
  readonly tls12: boolean;
  readonly ticket12: Uint8Array;
  readonly datagram: boolean;
  /** The session offered by pre_shared_key (written last, with a zero binder for patchBinder), and the time. */
  readonly session: ClientSession | undefined;
  readonly now: number;
}

/**
 * Write the extensions vector (length prefix included) of a first ClientHello straight into `w`, each extension
 * encoded once; every type written is added to `types`.
 */
function writeClientExtensions(w: Writer, cfg: PreparedClientConfig, o: HelloOffer, types: Set<number>): void {
  w.vec16((w) => {
    const constant = (type: number, data: Uint8Array): void => {
      types.add(type);
      w.u16(type).u16(data.length).bytes(data);
    };
    const add = (type: number, body: (w: Writer) => void): void => {
      types.add(type);
      w.u16(type).vec16(body);
    };
    const sni = cfg.serverName;
    if (sni !== undefined && !/^[\d.]+$/.test(sni) && !sni.includes(':')) add(ExtensionType.server_name, encodeServerName(sni));
    if (o.tls12) {
      constant(ExtensionType.extended_master_secret, EMPTY);
      constant(ExtensionType.renegotiation_info, RENEGOTIATION_INFO_EMPTY);
      constant(ExtensionType.ec_point_formats, EC_POINT_FORMATS_UNCOMPRESSED);
      add(ExtensionType.session_ticket, (w) => w.bytes(o.ticket12));
    }
    add(ExtensionType.supported_groups, encodeU16List(cfg.groups));
    add(ExtensionType.signature_algorithms, encodeU16List(cfg.signatureSchemes));
    if (cfg.maxVersion >= TLS13) {
      constant(ExtensionType.supported_versions, o.datagram ? VERSIONS_DTLS13 : o.tls12 ? VERSIONS_13_12 : VERSIONS_13);
      add(ExtensionType.key_share, (w) => writeKeyShares(w, o.shares));
      constant(ExtensionType.psk_key_exchange_modes, PSK_DHE_KE_ONLY);
    }
    if (cfg.alpn !== undefined) add(ExtensionType.application_layer_protocol_negotiation, encodeAlpn(cfg.alpn));
    const recordSizeLimit = cfg.recordSizeLimit;
    if (recordSizeLimit !== undefined) add(ExtensionType.record_size_limit, (w) => w.u16(recordSizeLimit));
    if (cfg.clientCertificate !== undefined) constant(ExtensionType.post_handshake_auth, EMPTY);
    if (cfg.requestOcsp) constant(ExtensionType.status_request, STATUS_REQUEST_OCSP);
    const session = o.session;
    if (session !== undefined) add(ExtensionType.pre_shared_key, (w) => writePsk(w, session, o.now, sessionSuite(session).hashLen));
  });
}

/** A ClientHello's key_share body: client_shares, one KeyShareEntry per share in offer order (RFC 8446 §4.2.8). */
function writeKeyShares(w: Writer, shares: ReadonlyMap<number, KeyExchangeClient>): void {
  w.vec16((w) => {
    for (const kx of shares.values()) w.u16(kx.group).vec16((w) => w.bytes(kx.publicKey));
  });
}

function extensionTypes(exts: readonly RawExtension[]): Set<number> {
  const types = new Set<number>();
  for (const e of exts) types.add(e.type);
  return types;
}

/** The pre_shared_key body: one identity (ticket, obfuscated age) and a zero binder, for later patching. */
function writePsk(w: Writer, session: ClientSession, now: number, hashLen: number): void {
  const ageMs = Math.max(0, now - session.receivedAt);
  const obfuscated = (ageMs + session.state.ageAdd) >>> 0;
  w.vec16((w) => w.vec16((w) => w.bytes(session.ticket)).u32(obfuscated));
  w.vec16((w) => w.vec8((w) => w.bytes(new Uint8Array(hashLen))));
}

/** The pre_shared_key extension with a zero binder, for later patching. */
function pskExtension(session: ClientSession, now: number, hashLen: number): RawExtension {
  return { type: ExtensionType.pre_shared_key, data: encode((w) => writePsk(w, session, now, hashLen)) };
}

/** The suite of a stored session (usableSession kept only sessions of a configured suite; anything else fails closed). */
function sessionSuite(session: ClientSession): SuiteInfo {
  const suite = suiteById(session.state.suite);
  if (suite === undefined) throw internalError(`session of unknown suite 0x${session.state.suite.toString(16)}`);
  return suite;
}

/** Compute and patch the PSK binder into an encoded ClientHello (RFC 8446 §4.2.11.2). */
function patchBinder(cx: ClientCx, ch: Uint8Array, session: ClientSession, prefix: Transcript | undefined): void {
  const suite = sessionSuite(session);
  const binderLen = suite.hashLen;
  const bindersLen = 2 + 1 + binderLen;
  const truncated = ch.subarray(0, ch.length - bindersLen);
  const th = prefix !== undefined ? prefix.currentWith(truncated) : cx.provider.hash(suite.hash, truncated);
  const early = new EarlySecret(cx.provider, suite, session.state.secret);
  const binder = finishedVerifyData(cx.provider, suite, early.resumptionBinderKey(), th);
  ch.set(binder, ch.length - binderLen);
}

function usableSession(cfg: PreparedClientConfig, now: number, tls12 = false): ClientSession | undefined {
  const s = cfg.session !== undefined ? decodeClientSession(cfg.session.data) : undefined;
  if (s === undefined || (s.state.version !== TLS13 && !(tls12 && s.state.version === ProtocolVersion.TLS12))) return undefined;
  if (!cfg.suites.some((x) => x.id === s.state.suite)) return undefined;
  if (now - s.receivedAt > s.state.lifetimeSeconds * 1000) return undefined;
  if (cfg.serverName !== undefined && s.state.serverName !== cfg.serverName) return undefined;
  return s;
}

/** Start a client handshake: returns the first state; the ClientHello has been emitted. */
export function startClient13(cx: ClientCx, tls12: boolean): ClientState13 {
  const cfg = cx.config;
  const p = cx.provider;
  const random = p.randomBytes(32);
  const datagram = cx.datagram === true;
  // RFC 8446 D.4: middlebox compatibility mode: a non-empty legacy_session_id. Not in DTLS 1.3 (RFC 9147 §5.3: empty),
  // and not from a client capped at TLS 1.2, whose session_id means "resume this session" (RFC 5246 §7.4.1.2: a
  // server looks it up, and node:tls emits 'resumeSession' for it); such a client sends one only to resume (below).
  let sessionId = datagram || cfg.maxVersion < TLS13 ? new Uint8Array(0) : p.randomBytes(32);
  const shares = new Map<number, KeyExchangeClient>();
  if (cfg.maxVersion >= TLS13) {
    for (const g of cfg.keyShareGroups) {
      const kx = p.keyExchangeClient(g);
      if (kx !== undefined) shares.set(g, kx);
    }
  }
  const now = p.now();
  // DTLS 1.3 resumes nothing yet: a stored session is a TLS one.
  const stored = datagram ? undefined : usableSession(cfg, now, tls12);
  const session = cfg.maxVersion >= TLS13 && stored?.state.version === TLS13 ? stored : undefined;
  // A TLS 1.2 session: its `ticket` field is u8 session_id length ‖ session_id ‖ RFC 5077 ticket (src/tls12/common.ts).
  const session12 = stored?.state.version === ProtocolVersion.TLS12 ? stored : undefined;
  let ticket12: Uint8Array | undefined;
  if (session12 !== undefined) {
    const idLen = session12.ticket[0] ?? 0;
    ticket12 = session12.ticket.slice(1 + idLen);
    if (idLen > 0) sessionId = session12.ticket.slice(1, 1 + idLen);
    // A ticket without a session ID: a fresh one, which the server echoes when it accepts the ticket (RFC 5077 §3.4).
    else if (sessionId.length === 0 && ticket12.length > 0) sessionId = p.randomBytes(32);
  }
  const suites: number[] = [];
  for (const s of cfg.suites) if (s.id !== CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV || tls12) suites.push(s.id);
  if (tls12) suites.push(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
  const helloOffer: HelloOffer = { shares, tls12, ticket12: ticket12 ?? EMPTY, datagram, session, now };
  const types = new Set<number>();
  const hook = cfg.clientHelloHook;
  let raw: Uint8Array;
  let sent: { readonly random: Uint8Array; readonly legacySessionId: Uint8Array; readonly cipherSuites: readonly number[] };
  let sentTypes: Set<number>;
  if (hook === undefined) {
    // The common case: the hello encoded once, its extensions written straight into the message.
    const legacyVersion = versionsOf(cx).legacy;
    const header: Omit<ClientHello, 'extensions'> = datagram
      ? { legacyVersion, random, legacySessionId: sessionId, legacyCookie: EMPTY, cipherSuites: suites, legacyCompressionMethods: NULL_COMPRESSION }
      : { legacyVersion, random, legacySessionId: sessionId, cipherSuites: suites, legacyCompressionMethods: NULL_COMPRESSION };
    raw = encodeClientHelloWith(header, (w) => writeClientExtensions(w, cfg, helloOffer, types));
    sent = header;
    sentTypes = types;
  } else {
    // The hook sees (and may replace) the decoded form: the same extension bytes, read back as a list.
    const list = encode((w) => writeClientExtensions(w, cfg, helloOffer, types));
    const ch: ClientHello = {
      legacyVersion: versionsOf(cx).legacy,
      random,
      legacySessionId: sessionId,
      ...(datagram ? { legacyCookie: new Uint8Array(0) } : {}),
      cipherSuites: suites,
      legacyCompressionMethods: new Uint8Array(1), // [null]
      extensions: readExtensions(new Reader(list, 'ClientHello')),
    };
    const hooked = hook(ch, false);
    raw = encodeClientHello(hooked);
    sent = hooked;
    sentTypes = extensionTypes(hooked.extensions);
  }
  if (session !== undefined) patchBinder(cx, raw, session, undefined);
  cx.emit(raw, 'ClientHello', () => ({
    // What was sent: no server_name extension for an IP literal or when no name was given (RFC 6066 §3).
    server_name: types.has(ExtensionType.server_name) ? (cfg.serverName ?? '') : '(none)',
    cipher_suites: cfg.suites.map((s) => s.name),
    key_shares: [...shares.keys()].map((g) => nameOf(NamedGroup, g)),
    alpn: (cfg.alpn ?? []).map(latin1),
    psk: session !== undefined,
  }));
  const transcript = new TranscriptBuffer();
  transcript.add(raw);
  const offer: Offer = {
    random: sent.random,
    sessionId: sent.legacySessionId,
    suites: sent.cipherSuites,
    shares,
    extensions: sentTypes,
    alpn: cfg.alpn,
    serverName: cfg.serverName,
    session,
    session12,
    clientHello: raw,
    tls12,
  };
  return { kind: 'ExpectServerHello', offer, transcript, hrr: undefined };
}

/** Result of handling a ServerHello that selected TLS 1.2: the engine hands over to the TLS 1.2 client. */
export class Tls12Selected {
  readonly serverHello: ServerHello;
  readonly raw: Uint8Array;
  readonly clientHello: Uint8Array;
  readonly clientRandom: Uint8Array;
  readonly offeredSuites: readonly number[];
  readonly offeredExtensions: ReadonlySet<number>;
  /** The TLS 1.2 session offered, if any, and the legacy_session_id sent. */
  readonly session12: ClientSession | undefined;
  readonly sessionId: Uint8Array | undefined;
  constructor(serverHello: ServerHello, raw: Uint8Array, clientHello: Uint8Array, clientRandom: Uint8Array, offeredSuites: readonly number[], offeredExtensions: ReadonlySet<number>, session12?: ClientSession, sessionId?: Uint8Array) {
    this.session12 = session12;
    this.sessionId = sessionId;
    this.serverHello = serverHello;
    this.raw = raw;
    this.clientHello = clientHello;
    this.clientRandom = clientRandom;
    this.offeredSuites = offeredSuites;
    this.offeredExtensions = offeredExtensions;
  }
}

function handleHrr(s: Extract<ClientState13, { kind: 'ExpectServerHello' }>, m: HandshakeMessage, sh: ServerHello, cx: ClientCx): ClientState13 {
  const cfg = cx.config;
  // RFC 8446 §4.1.4: a second HelloRetryRequest is unexpected_message.
  if (s.hrr !== undefined) throw misbehaved('HrrSecondTime');
  const suite = checkServerHelloCommon(s.offer, sh, true, cx);
  const ksData = findExtension(sh.extensions, ExtensionType.key_share);
  const cookieData = findExtension(sh.extensions, ExtensionType.cookie);
  const cookie = cookieData !== undefined ? decodeCookie(cookieData) : undefined;
  let group: number | undefined;
  if (ksData !== undefined) {
    group = decodeHrrKeyShare(ksData);
    if (!cfg.groups.includes(group)) throw misbehaved('SelectedUnofferedGroup');
    // RFC 8446 §4.2.8: the selected group must not be one we already sent a share for.
    if (s.offer.shares.has(group)) throw misbehaved('HrrKeyShareAlreadyOffered');
  }
  // RFC 8446 §4.1.4: an HRR that would not change the ClientHello is illegal_parameter.
  if (group === undefined && cookie === undefined) throw misbehaved('HrrWithoutChange');
  cx.traceReceived('HelloRetryRequest', { cipher_suite: suite.name, selected_group: group !== undefined ? nameOf(NamedGroup, group) : '', cookie: cookie !== undefined });
  const shares = new Map<number, KeyExchangeClient>();
  if (group !== undefined) {
    const kx = cx.provider.keyExchangeClient(group);
    if (kx === undefined) throw misbehaved('SelectedUnofferedGroup');
    shares.set(group, kx);
  } else {
    for (const [g, kx] of s.offer.shares) shares.set(g, kx);
  }
  // The transcript restarts with message_hash(ClientHello1) (§4.4.1).
  const transcript = TranscriptBuffer.hrrRollup(cx.provider, suite.hash, suite.hashLen, s.offer.clientHello);
  transcript.add(m.raw);
  let session = s.offer.session;
  if (session !== undefined && suiteById(session.state.suite)?.hash !== suite.hash) session = undefined;
  // RFC 8446 §4.1.2: ClientHello2 is ClientHello1 with key_share replaced, early_data removed, the cookie added and
  // pre_shared_key updated; every other extension keeps its bytes and its place (servers check it).
  const old = decodeClientHello(s.offer.clientHello.subarray(4), cx.datagram === true);
  const keyShare: RawExtension = { type: ExtensionType.key_share, data: encode(encodeClientKeyShares([...shares.values()].map((k) => ({ group: k.group, keyExchange: k.publicKey })))) };
  const exts: RawExtension[] = [];
  for (const e of old.extensions) {
    if (e.type === ExtensionType.early_data || e.type === ExtensionType.pre_shared_key) continue;
    exts.push(e.type === ExtensionType.key_share ? keyShare : e);
  }
  if (cookie !== undefined) exts.push({ type: ExtensionType.cookie, data: encode((w) => w.vec16((w) => w.bytes(cookie))) });
  if (session !== undefined) exts.push(pskExtension(session, cx.provider.now(), suite.hashLen));
  const ch2: ClientHello = cfg.clientHelloHook?.({ ...old, cipherSuites: s.offer.suites, extensions: exts }, true) ?? { ...old, cipherSuites: s.offer.suites, extensions: exts };
  const raw = encodeClientHello(ch2);
  if (session !== undefined) patchBinder(cx, raw, session, transcript);
  // RFC 8446 D.4: in compatibility mode the client sends its CCS before its second flight (here, ClientHello2).
  if (s.offer.sessionId.length > 0) cx.sendChangeCipherSpec();
  cx.emit(raw, 'ClientHello', { retry: true, key_shares: [...shares.keys()].map((g) => nameOf(NamedGroup, g)), cookie: cookie !== undefined });
  transcript.add(raw);
  const offer: Offer = { ...s.offer, shares, extensions: extensionTypes(ch2.extensions), session, clientHello: raw };
  return { kind: 'ExpectServerHello', offer, transcript, hrr: { suite, group: group ?? -1 } };
}

/** Checks shared by ServerHello and HelloRetryRequest; returns the suite the server selected. */
function checkServerHelloCommon(offer: Offer, sh: ServerHello, hrr: boolean, cx: ClientCx): SuiteInfo {
  const v = versionsOf(cx);
  // RFC 8446 §4.1.3 (RFC 9147 §5.4: DTLS 1.2's number in DTLS 1.3).
  if (sh.legacyVersion !== v.legacy) throw misbehaved('Tls13LegacyVersionNot12');
  if (!equalPublic(sh.legacySessionIdEcho, offer.sessionId)) throw misbehaved('SessionIdNotEchoed');
  if (sh.legacyCompressionMethod !== 0) throw misbehaved('LegacyCompressionNotNull');
  const suite = suiteById(sh.cipherSuite);
  if (suite === undefined || suite.version !== 'TLSv1.3' || !offer.suites.includes(sh.cipherSuite)) throw misbehaved('SelectedUnofferedCipherSuite');
  checkAllowed(sh.extensions, hrr ? 'HRR' : 'SH', offer.extensions);
  const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
  if (sv === undefined || decodeServerVersion(sv) !== v.v13) throw misbehaved('SelectedUnofferedVersion');
  return scheduleSuite(cx, suite);
}

/** A ServerHello without supported_versions: TLS 1.2, when we offered it (RFC 8446 §4.1.3: downgrade sentinel checked). */
function selectTls12(s: Extract<ClientState13, { kind: 'ExpectServerHello' }>, m: HandshakeMessage, sh: ServerHello, cx: ClientCx): Tls12Selected {
  if (sh.legacyVersion === ProtocolVersion.TLS12 && s.offer.tls12 && s.hrr === undefined) {
    const tail = sh.random.subarray(24);
    if (cx.config.maxVersion >= TLS13 && (equalPublic(tail, DOWNGRADE_TLS12) || equalPublic(tail, DOWNGRADE_TLS11))) throw misbehaved('DowngradeDetected');
    return new Tls12Selected(sh, m.raw, s.offer.clientHello, s.offer.random, s.offer.suites, s.offer.extensions, s.offer.session12, s.offer.sessionId);
  }
  throw incompatible('NoCommonVersion', { detail: `server chose version 0x${sh.legacyVersion.toString(16)}` });
}

/** The session the server resumes (pre_shared_key, RFC 8446 §4.2.11): only ours, index 0, with the same hash. */
function selectedSession(offer: Offer, sh: ServerHello, suite: SuiteInfo): ClientSession | undefined {
  const pskData = findExtension(sh.extensions, ExtensionType.pre_shared_key);
  if (pskData === undefined) return undefined;
  const idx = decodeSelectedPsk(pskData);
  const sess = offer.session;
  if (sess === undefined || idx !== 0) throw misbehaved('SelectedInvalidPsk');
  if (suiteById(sess.state.suite)?.hash !== suite.hash) throw misbehaved('SelectedInvalidPsk');
  return sess;
}

/**
 * The server's key_share (RFC 8446 §4.2.8): a group we sent a share for (the HRR's, after one), completed into the
 * shared secret. Always required: we offer psk_dhe_ke only, never psk_ke.
 */
function completeKeyExchange(s: Extract<ClientState13, { kind: 'ExpectServerHello' }>, sh: ServerHello): { group: number; shared: Uint8Array } {
  const ksData = findExtension(sh.extensions, ExtensionType.key_share);
  if (ksData === undefined) throw misbehaved('MissingKeyShare');
  const ks = decodeServerKeyShare(ksData);
  const kx = s.offer.shares.get(ks.group);
  if (kx === undefined) throw misbehaved('SelectedUnofferedGroup');
  if (s.hrr !== undefined && s.hrr.group !== -1 && s.hrr.group !== ks.group) throw misbehaved('SelectedUnofferedGroup');
  return { group: ks.group, shared: kx.complete(ks.keyExchange) };
}

/** Derive and install the handshake traffic keys (RFC 8446 §7.1), with the compatibility-mode CCS between them. */
function installClientHandshakeKeys(
  s: Extract<ClientState13, { kind: 'ExpectServerHello' }>,
  cx: ClientCx,
  suite: SuiteInfo,
  transcript: Transcript,
  resumed: ClientSession | undefined,
  group: number,
  shared: Uint8Array,
): Hs {
  const early = new EarlySecret(cx.provider, suite, resumed?.state.secret ?? null);
  const hsSecret = early.handshakeSecret(shared);
  const th = transcript.current();
  const clientHs = hsSecret.clientHandshakeTrafficSecret(th);
  const serverHs = hsSecret.serverHandshakeTrafficSecret(th);
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', s.offer.random, clientHs);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', s.offer.random, serverHs);
  cx.installReadKeys13(suite, serverHs);
  // RFC 8446 D.4: CCS before the client's encrypted flight (not again after an HRR, where it preceded ClientHello2).
  if (s.hrr === undefined && s.offer.sessionId.length > 0) cx.sendChangeCipherSpec();
  cx.installWriteKeys13(suite, clientHs);
  return { suite, transcript, handshakeSecret: hsSecret, clientHsSecret: clientHs, serverHsSecret: serverHs, group, helloRetry: s.hrr !== undefined, resumed };
}

const handlers: HandlerTable<ClientState13, [HandshakeMessage, ClientCx], ClientState13 | Tls12Selected> = {
  ExpectServerHello(s, m, cx) {
    expect(m, HandshakeType.ServerHello);
    const sh = decodeServerHello(m.body);
    if (isHelloRetryRequest(sh)) {
      const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
      if (sv === undefined) throw misbehaved('SelectedUnofferedVersion');
      return handleHrr(s, m, sh, cx);
    }
    const svData = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (svData === undefined) return selectTls12(s, m, sh, cx);
    const suite = checkServerHelloCommon(s.offer, sh, false, cx);
    // RFC 8446 §4.1.4: the ServerHello after an HRR must keep the HRR's suite.
    if (s.hrr !== undefined && s.hrr.suite.id !== suite.id) throw misbehaved('HrrCipherSuiteChanged');
    const resumed = selectedSession(s.offer, sh, suite);
    const { group, shared } = completeKeyExchange(s, sh);
    cx.traceReceived('ServerHello', () => ({
      version: 'TLSv1.3',
      cipher_suite: suite.name,
      group: nameOf(NamedGroup, group),
      psk: resumed !== undefined,
    }));
    const transcript = s.transcript instanceof Transcript ? s.transcript : s.transcript.toTranscript(cx.provider, suite.hash);
    transcript.add(m.raw);
    const hs = installClientHandshakeKeys(s, cx, suite, transcript, resumed, group, shared);
    return { kind: 'ExpectEncryptedExtensions', offer: s.offer, resumed, hs };
  },

  ExpectEncryptedExtensions(s, m, cx) {
    expect(m, HandshakeType.EncryptedExtensions);
    const exts = decodeEncryptedExtensions(m.body);
    checkAllowed(exts, 'EE', s.offer.extensions);
    let alpn: Uint8Array | null = null;
    const alpnData = findExtension(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpnData !== undefined) {
      const list = decodeAlpn(alpnData);
      // RFC 7301 §3.1: exactly one protocol, one we offered.
      const selected = list[0];
      if (list.length !== 1 || selected === undefined || !includesBytes(s.offer.alpn ?? [], selected)) throw misbehaved('SelectedUnofferedApplicationProtocol');
      alpn = selected;
    }
    const sn = findExtension(exts, ExtensionType.server_name);
    if (sn !== undefined && sn.length !== 0) throw decodeError('EncryptedExtensions.server_name', 'must be empty');
    const rsl = findExtension(exts, ExtensionType.record_size_limit);
    if (rsl !== undefined) {
      const limit = decodeRecordSizeLimit(rsl);
      // RFC 8449 §4: in TLS 1.3 the limit includes the content type byte; above 2^14 + 1 is illegal_parameter.
      if (limit > 16385) throw misbehaved('InvalidRecordSizeLimit');
      cx.setPeerRecordSizeLimit(limit - 1);
    }
    if (findExtension(exts, ExtensionType.early_data) !== undefined) throw misbehaved('EarlyDataNotOffered');
    cx.traceReceived('EncryptedExtensions', { alpn: alpn === null ? '' : latin1(alpn), server_name_ack: sn !== undefined });
    s.hs.transcript.add(m.raw);
    const ee: EeInfo = { alpn, serverNameAcked: sn !== undefined };
    if (s.resumed !== undefined) {
      return {
        kind: 'ExpectFinished',
        offer: s.offer,
        hs: s.hs,
        ee,
        certRequest: undefined,
        chain: s.resumed.state.peerChain,
        certVerified: resumedServerChain(s.resumed.state.peerChain, serverChainCheck(cx)),
        sigVerified: signatureFromPsk(),
        scheme: undefined,
      };
    }
    return { kind: 'ExpectCertificateOrCertificateRequest', offer: s.offer, hs: s.hs, ee };
  },

  ExpectCertificateOrCertificateRequest(s, m, cx) {
    if (m.type === HandshakeType.CertificateRequest) {
      const cr = decodeCertificateRequest13(m.body);
      // RFC 8446 §4.3.2: in the main handshake the context is empty; signature_algorithms is required.
      if (cr.certificateRequestContext.length !== 0) throw misbehaved('CertificateRequestContextNonEmpty');
      checkAllowed(cr.extensions, 'CR');
      if (findExtension(cr.extensions, ExtensionType.signature_algorithms) === undefined) throw misbehaved('MissingSignatureAlgorithms');
      cx.traceReceived('CertificateRequest', {});
      requested(cx, cr);
      s.hs.transcript.add(m.raw);
      return { kind: 'ExpectCertificate', offer: s.offer, hs: s.hs, ee: s.ee, certRequest: cr };
    }
    return receiveServerCertificate(s, m, cx, undefined);
  },

  ExpectCertificate(s, m, cx) {
    return receiveServerCertificate(s, m, cx, s.certRequest);
  },

  ExpectCertificateVerify(s, m, cx) {
    expect(m, HandshakeType.CertificateVerify);
    const cv = decodeCertificateVerify(m.body);
    const sigVerified = verifyCertificateVerify13(
      cx.provider,
      s.leaf ?? (s.chain[0] as Uint8Array),
      cv.algorithm,
      cv.signature,
      cx.config.signatureSchemes,
      true,
      s.hs.transcript.current(),
    );
    cx.traceReceived('CertificateVerify', () => ({ algorithm: nameOf(SignatureScheme, cv.algorithm) }));
    s.hs.transcript.add(m.raw);
    return { kind: 'ExpectFinished', offer: s.offer, hs: s.hs, ee: s.ee, certRequest: s.certRequest, chain: s.chain, certVerified: s.certVerified, sigVerified, scheme: cv.algorithm };
  },

  ExpectFinished(s, m, cx) {
    expect(m, HandshakeType.Finished);
    // Deferred client authentication (SSPI SEC_I_INCOMPLETE_CREDENTIALS, §6.4): the server asked for a certificate
    // we do not have; wait for the caller to supply one (or none) before answering the flight.
    if (s.certRequest !== undefined && cx.config.deferClientCertificate === true && pickClientCertificate(cx.config.clientCertificate, s.certRequest) === undefined) {
      return { kind: 'AwaitClientCertificate', s, finished: m };
    }
    return finishHandshake(s, m, cx, undefined);
  },

  AwaitClientCertificate(_s, m) {
    throw unexpectedMessage(m, ['(nothing until a client certificate is supplied)']);
  },

  Traffic(s, m, cx) {
    return clientPostHandshake(s, m, cx);
  },
};

/**
 * The server's Finished: verify it, derive the application secrets, answer a CertificateRequest (with `supplied`
 * when the caller supplied the certificate after a deferral: null for none), send our Finished → Traffic.
 */
function finishHandshake(
  s: Extract<ClientState13, { kind: 'ExpectFinished' }>,
  m: HandshakeMessage,
  cx: ClientCx,
  supplied: CertifiedKey | null | undefined,
): ClientState13 {
  const p = cx.provider;
  const { suite, transcript } = s.hs;
  const finVerified = verifyFinished(p, finishedVerifyData(p, suite, s.hs.serverHsSecret, transcript.current()), m.body);
  cx.traceReceived('Finished', {});
  transcript.add(m.raw);
  const thServerFinished = transcript.current();
  const master = s.hs.handshakeSecret.masterSecret();
  const clientAp = master.clientApplicationTrafficSecret(thServerFinished);
  const serverAp = master.serverApplicationTrafficSecret(thServerFinished);
  const exporter = master.exporterMasterSecret(thServerFinished);
  cx.keyLog('CLIENT_TRAFFIC_SECRET_0', s.offer.random, clientAp);
  cx.keyLog('SERVER_TRAFFIC_SECRET_0', s.offer.random, serverAp);
  cx.keyLog('EXPORTER_SECRET', s.offer.random, exporter);
  cx.installReadKeys13(suite, serverAp);
  let localChain: readonly Uint8Array[] = [];
  if (s.certRequest !== undefined) {
    localChain = sendClientCertificate(cx, suite, transcript, s.certRequest, false, supplied);
  }
  const verifyData = finishedVerifyData(p, suite, s.hs.clientHsSecret, transcript.current());
  // Written straight into the flight (a view valid until the flush: hashed at once).
  transcript.add(emitMessage(cx, HandshakeType.Finished, (w) => w.bytes(verifyData), 'Finished'));
  cx.installWriteKeys13(suite, clientAp);
  const resumption = master.resumptionMasterSecret(transcript.current());
  const scheme = s.scheme;
  const info: ConnectionInfo = {
    version: 'TLSv1.3',
    cipherSuite: suite.id,
    cipherName: suite.name,
    group: s.hs.group,
    groupName: s.hs.group !== undefined ? nameOf(NamedGroup, s.hs.group) : undefined,
    signatureScheme: scheme,
    alpn: s.ee.alpn,
    alpnProtocol: s.ee.alpn === null ? null : latin1(s.ee.alpn),
    serverName: s.offer.serverName ?? null,
    peerCertificates: s.chain,
    resumed: s.hs.resumed !== undefined,
    helloRetry: s.hs.helloRetry,
  };
  return {
    kind: 'Traffic',
    traffic: {
      proof: { cert: s.certVerified, sig: s.sigVerified, fin: finVerified },
      suite,
      clientSecret: clientAp,
      serverSecret: serverAp,
      exporterSecret: exporter,
      resumptionSecret: resumption,
      transcript,
      info,
      clientRandom: s.offer.random,
      localChain,
      postHandshakeRequests: new Map(),
      pendingClientAuth: undefined,
      postHandshakeAuth: false,
    },
  };
}

function receiveServerCertificate(
  s: { readonly offer: Offer; readonly hs: Hs; readonly ee: EeInfo },
  m: HandshakeMessage,
  cx: ClientCx,
  certRequest: CertificateRequest13 | undefined,
): ClientState13 {
  if (m.type !== HandshakeType.Certificate) {
    throw unexpectedMessage(m, certRequest === undefined ? ['Certificate', 'CertificateRequest'] : ['Certificate']);
  }
  const c = decodeCertificate13(m.body);
  if (c.certificateRequestContext.length !== 0) throw misbehaved('CertificateRequestContextNonEmpty');
  // RFC 8446 §4.4.2.4: an empty server Certificate is decode_error.
  if (c.certificateList.length === 0) throw misbehaved('EmptyCertificateFromServer');
  for (const e of c.certificateList) checkAllowed(e.extensions, 'CT');
  const chain = c.certificateList.map((e) => e.certData);
  const check = serverChainCheck(cx);
  const leaf = parsedLeaf(chain, check, cx.provider);
  const certVerified = verifyPeerChain(chain, check, leaf);
  // RFC 8446 §4.4.2.1: the OCSP staple rides in the leaf's CertificateEntry.
  const statusExt = findExtension(c.certificateList[0]?.extensions ?? [], ExtensionType.status_request);
  const staple = statusExt !== undefined ? decodeCertificateStatus(statusExt) : undefined;
  checkStapledOcsp(chain, staple, cx.config.ocspPolicy, check, cx.provider);
  if (staple !== undefined) cx.setPeerOcspResponse(staple);
  cx.traceReceived('Certificate', { certificates: chain.length });
  s.hs.transcript.add(m.raw);
  return { kind: 'ExpectCertificateVerify', offer: s.offer, hs: s.hs, ee: s.ee, certRequest, chain, certVerified, leaf };
}

/**
 * Send Certificate (+ CertificateVerify) answering a CertificateRequest. Returns the chain sent. `postHandshake`
 * uses the request's context (§4.6.2).
 */
function sendClientCertificate(
  cx: ClientCx,
  suite: SuiteInfo,
  transcript: Transcript,
  cr: CertificateRequest13,
  postHandshake: boolean,
  supplied?: CertifiedKey | null,
): readonly Uint8Array[] {
  const cert = pickClientCertificate(supplied === undefined ? cx.config.clientCertificate : (supplied ?? undefined), cr);
  const msg = encodeCertificate13({
    certificateRequestContext: cr.certificateRequestContext,
    certificateList: cert === undefined ? [] : cert.ck.chain.map((d) => ({ certData: d, extensions: [] })),
  });
  cx.emit(msg, 'Certificate', { certificates: cert === undefined ? 0 : cert.ck.chain.length, post_handshake: postHandshake });
  transcript.add(msg);
  if (cert === undefined) return [];
  const sig = cert.ck.key.sign(cert.scheme, certificateVerifyContent(false, transcript.current()));
  const cv = encodeCertificateVerify({ algorithm: cert.scheme, signature: sig });
  cx.emit(cv, 'CertificateVerify', { algorithm: nameOf(SignatureScheme, cert.scheme) });
  transcript.add(cv);
  return cert.ck.chain;
}

/** Report a CertificateRequest (CA names and schemes) as an event. */
function requested(cx: ClientCx, cr: CertificateRequest13): void {
  const ca = findExtension(cr.extensions, ExtensionType.certificate_authorities);
  const sa = findExtension(cr.extensions, ExtensionType.signature_algorithms);
  cx.event({
    type: 'CertificateRequested',
    certificateAuthorities: ca !== undefined ? decodeCertificateAuthorities(ca).map((n) => n.slice()) : [],
    signatureSchemes: sa !== undefined ? decodeU16List(sa, 'signature_algorithms') : [],
    hasCertificate: pickClientCertificate(cx.config.clientCertificate, cr) !== undefined,
  });
}

/**
 * Pick our certificate if its key fits the request's signature_algorithms. The certificate_authorities list is
 * reported (CertificateRequested event) but not used to withhold the certificate: a server that lists CAs may still
 * accept a chain that reaches one of them through an intermediate, and sending nothing would fail for sure.
 */
function pickClientCertificate(ck: CertifiedKey | undefined, cr: CertificateRequest13): { ck: CertifiedKey; scheme: number } | undefined {
  if (ck === undefined) return undefined;
  const sa = findExtension(cr.extensions, ExtensionType.signature_algorithms);
  const schemes = sa !== undefined ? decodeU16List(sa, 'signature_algorithms') : [];
  const scheme = ck.schemes13.find((x) => schemes.includes(x));
  return scheme === undefined ? undefined : { ck, scheme };
}

/** TLS 1.3 post-handshake messages on the client (§4.6). */
function clientPostHandshake(s: Extract<ClientState13, { kind: 'Traffic' }>, m: HandshakeMessage, cx: ClientCx): ClientState13 {
  const t = s.traffic;
  const p = cx.provider;
  switch (m.type) {
    case HandshakeType.NewSessionTicket: {
      const nst = decodeNewSessionTicket13(m.body);
      checkAllowed(nst.extensions, 'NST');
      cx.traceReceived('NewSessionTicket', { lifetime: nst.ticketLifetime });
      cx.event({ type: 'PostHandshake', message: 'NewSessionTicket' });
      if (nst.ticketLifetime === 0) return s;
      // The session (and its PSK) is made when the ticket's data is first read (received-ticket.ts).
      const ticket = new ReceivedTicket(t.info.serverName ?? '', {
        provider: p,
        suite: t.suite,
        resumptionSecret: t.resumptionSecret,
        nst,
        receivedAt: p.now(),
        alpn: t.info.alpn,
        peerChain: t.info.peerCertificates,
      });
      cx.event({ type: 'NewTicket', ticket });
      return s;
    }
    case HandshakeType.KeyUpdate:
      return { kind: 'Traffic', traffic: keyUpdate(t, m, cx, 'client') };
    case HandshakeType.CertificateRequest: {
      // RFC 8446 §4.6.2: only if we sent post_handshake_auth.
      if (cx.config.clientCertificate === undefined) throw misbehaved('UnsolicitedCertificateRequest');
      const cr = decodeCertificateRequest13(m.body);
      if (cr.certificateRequestContext.length === 0) throw misbehaved('CertificateRequestContextMismatch');
      if (findExtension(cr.extensions, ExtensionType.signature_algorithms) === undefined) throw misbehaved('MissingSignatureAlgorithms');
      cx.traceReceived('CertificateRequest', { post_handshake: true });
      requested(cx, cr);
      cx.event({ type: 'PostHandshake', message: 'CertificateRequest' });
      const transcript = t.transcript.fork();
      transcript.add(m.raw);
      sendClientCertificate(cx, t.suite, transcript, cr, true);
      const fin = finishedVerifyData(p, t.suite, t.clientSecret, transcript.current());
      cx.emit(encodeFinished(fin), 'Finished', { post_handshake: true });
      return s;
    }
    default:
      throw unexpectedMessage(m, ['NewSessionTicket', 'KeyUpdate', 'CertificateRequest']);
  }
}

/** Handle a received KeyUpdate on either side (RFC 8446 §4.6.3); returns the new traffic state. */
export function keyUpdate(t: TrafficState, m: HandshakeMessage, cx: HandshakeContext, side: 'client' | 'server'): TrafficState {
  const requested = decodeKeyUpdate(m.body);
  cx.traceReceived('KeyUpdate', { update_requested: requested });
  const p = cx.provider;
  const peerIsServer = side === 'client';
  const peerSecret = hkdfExpandLabel(p, t.suite, peerIsServer ? t.serverSecret : t.clientSecret, Label.trafficUpdate, new Uint8Array(0), t.suite.hashLen);
  cx.installReadKeys13(t.suite, peerSecret);
  let next: TrafficState = peerIsServer ? { ...t, serverSecret: peerSecret } : { ...t, clientSecret: peerSecret };
  if (requested && cx.deferKeyUpdateReply?.() !== true) {
    next = sendKeyUpdate(next, cx, side, false);
  }
  cx.event({ type: 'KeyUpdated', requested });
  return next;
}

/** Send a KeyUpdate and switch our write keys (RFC 8446 §4.6.3). */
export function sendKeyUpdate(t: TrafficState, cx: HandshakeContext, side: 'client' | 'server', requestPeer: boolean): TrafficState {
  const p = cx.provider;
  const msg = encode((w) => w.u8(HandshakeType.KeyUpdate).vec24((w) => w.u8(requestPeer ? 1 : 0)));
  cx.emit(msg, 'KeyUpdate', { update_requested: requestPeer });
  const mine = side === 'client' ? t.clientSecret : t.serverSecret;
  const next = hkdfExpandLabel(p, t.suite, mine, Label.trafficUpdate, new Uint8Array(0), t.suite.hashLen);
  cx.installWriteKeys13(t.suite, next);
  return side === 'client' ? { ...t, clientSecret: next } : { ...t, serverSecret: next };
}

/** Answer a deferred CertificateRequest with `certificate` (null: an empty Certificate) and finish the handshake. */
export function supplyClientCertificate13(s: Extract<ClientState13, { kind: 'AwaitClientCertificate' }>, cx: ClientCx, certificate: CertifiedKey | null): ClientState13 {
  return finishHandshake(s.s, s.finished, cx, certificate);
}

/** How this connection verifies the server's chain: its verifier (null: unverified), now, its server name. */
function serverChainCheck(cx: ClientCx): ChainCheck {
  return {
    verifier: cx.config.verifier,
    time: cx.provider.now(),
    serverName: cx.config.checkServerName ? cx.config.serverName : undefined,
    usage: 'serverAuth',
  };
}

/** Dispatch a handshake message to the client's current state. */
export function clientHandle13(s: ClientState13, m: HandshakeMessage, cx: ClientCx): ClientState13 | Tls12Selected {
  return dispatch(handlers, s, m, cx);
}

