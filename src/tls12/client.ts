/**
 * The TLS 1.2 client (RFC 5246 §7.3), entered from the TLS 1.3 client's ServerHello handling when the server did
 * not select TLS 1.3. ECDHE + AEAD suites only; extended master secret and secure renegotiation are required of the
 * server; resumption by session id or ticket (RFC 5077); client certificates; secure renegotiation when the server
 * sends HelloRequest (RFC 5746, a full handshake under the current keys, at most `maxRenegotiations`).
 */
import { expect, unexpectedMessage } from '../handshake/expect.js';
import { equalPublic, includesBytes, latin1 } from '../codec/bytes.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { CertifiedKey } from '../vocabulary/config.js';
import { decodeError, incompatible, internalError, misbehaved, unexpected } from '../errors.js';
import {
  resumedServerChain,
  signatureFromPsk,
  verifyEqualSecret,
  verifyPeerChain,
  checkStapledOcsp,
  verifySignature12,
  type CertVerified,
  type SignatureVerified,
} from '../handshake/verify.js';
import { encodeClientSession, type ClientSession, type SessionState } from '../handshake/tickets.js';
import { encodeCertificateVerify } from '../wire/certificate.js';
import { decodeAlpn, decodeRecordSizeLimit, encodeAlpn, encodeServerName, encodeU16List, findExtension, type RawExtension } from '../wire/extensions.js';
import { encodeClientHello } from '../wire/client-hello.js';
import { encode, type Writer } from '../codec/writer.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../wire/registry.js';
import { decodeServerHello, type ServerHello } from '../wire/server-hello.js';
import {
  HandshakeLog,
  Machine12,
  encodeSessionRef,
  installKeys,
  keyFamily,
  refuseRenegotiation,
  renegotiationInfo,
  type ClientCx12,
  type Handlers12,
  type Traffic12,
} from './common.js';
import {
  ClientCertificateType,
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeEmpty,
  decodeFinished12,
  decodeNewSessionTicket12,
  decodeServerKeyExchange,
  encodeCertificate12,
  encodeClientKeyExchange,
  encodeFinished12,
  type CertificateRequest12,
} from './messages.js';
import { extendedMasterSecret, verifyData } from './prf.js';
import { ECDHE_GROUPS } from './server.js';

const TLS12 = ProtocolVersion.TLS12;
/** Cap on how long we keep a TLS 1.2 session (RFC 5077 §5.6 suggests a bounded lifetime). */
const MAX_SESSION_LIFETIME = 7 * 24 * 3600;
const DEFAULT_SESSION_LIFETIME = 7200;

/** What the TLS 1.3 client hands over (tls13/client.ts `Tls12Selected`). */
export interface Selected12 {
  readonly serverHello: ServerHello;
  readonly raw: Uint8Array;
  readonly clientHello: Uint8Array;
  readonly clientRandom: Uint8Array;
  readonly offeredSuites: readonly number[];
  readonly offeredExtensions: ReadonlySet<number>;
  /** The TLS 1.2 session offered in the ClientHello, if any. */
  readonly session12?: ClientSession | undefined;
  /** The legacy_session_id the ClientHello carried. */
  readonly sessionId?: Uint8Array | undefined;
}

interface ClientHs {
  readonly suite: SuiteInfo;
  readonly log: HandshakeLog;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  /** The server's session id (empty: not resumable by id). */
  readonly sessionId: Uint8Array;
  readonly expectTicket: boolean;
  readonly expectStatus: boolean;
  readonly info: Omit<ConnectionInfo, 'peerCertificates'>;
  /** The session offered, kept to be stored again after a resumption. */
  readonly offered: ClientSession | undefined;
  /** The client certificate chain we sent, if any. */
  readonly localChain?: readonly Uint8Array[];
  /** A renegotiation: the traffic of the handshake it replaces. */
  readonly prev?: Traffic12 | undefined;
}

interface Authenticated {
  readonly hs: ClientHs;
  readonly chain: readonly Uint8Array[];
  readonly certVerified: CertVerified;
}

interface AfterKeyExchange extends Authenticated {
  readonly sigVerified: SignatureVerified;
  readonly group: number;
  readonly scheme: number;
  readonly clientPublic: Uint8Array;
  readonly preMasterSecret: Uint8Array;
}

interface Keyed extends Authenticated {
  readonly sigVerified: SignatureVerified;
  readonly master: Uint8Array;
  readonly resumed: boolean;
  readonly ticket: Uint8Array | undefined;
  readonly ticketLifetime: number;
  /** Our Finished verify_data when we sent the first Finished (full handshake): tls-unique. */
  readonly ownFinished?: Uint8Array;
}

/** TLS 1.2 client handshake states, discriminated by `kind`. */
export type ClientState12 =
  /** Renegotiation (RFC 5746 §3.5): our ClientHello is sent under the current keys. */
  | { readonly kind: 'ExpectServerHello'; readonly prev: Traffic12; readonly offer: Omit<Selected12, 'serverHello' | 'raw'> }
  | ({ readonly kind: 'ExpectCertificate' } & { readonly hs: ClientHs })
  | ({ readonly kind: 'ExpectCertificateStatus' } & Authenticated)
  | ({ readonly kind: 'ExpectServerKeyExchange' } & Authenticated)
  | ({ readonly kind: 'ExpectCertificateRequestOrServerHelloDone' } & AfterKeyExchange)
  | ({ readonly kind: 'ExpectServerHelloDone'; readonly certRequest: CertificateRequest12 } & AfterKeyExchange)
  /** ServerHelloDone received, held until the caller supplies a client certificate (SSPI §6.4). */
  | ({ readonly kind: 'AwaitClientCertificate'; readonly certRequest: CertificateRequest12; readonly done: HandshakeMessage } & AfterKeyExchange)
  | ({ readonly kind: 'ExpectNewSessionTicket' } & Keyed)
  | ({ readonly kind: 'ExpectChangeCipherSpec' } & Keyed)
  | ({ readonly kind: 'ExpectFinished' } & Keyed)
  | { readonly kind: 'Traffic'; readonly traffic: Traffic12 };

/** Extensions a TLS 1.2 ServerHello may carry (each only if we offered it). */
const SH12_ALLOWED: ReadonlySet<number> = new Set([
  ExtensionType.server_name,
  ExtensionType.ec_point_formats,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.extended_master_secret,
  ExtensionType.session_ticket,
  ExtensionType.renegotiation_info,
  ExtensionType.status_request,
  ExtensionType.record_size_limit,
]);

function mustBeEmpty(data: Uint8Array, name: string): void {
  if (data.length !== 0) throw decodeError(`ServerHello.${name}`, 'must be empty');
}

/** The engine's hook: the ServerHello selected TLS 1.2. */
export function startClient12(sel: Selected12, cx: ClientCx12): Machine12<ClientState12, ClientCx12> {
  return new Machine12<ClientState12, ClientCx12>(serverHello12(sel, cx, undefined), clientHandlers, cx);
}

/**
 * Renegotiation (RFC 5746 §3.5): a TLS 1.2-only ClientHello for a full handshake (no session offered), carrying
 * renegotiation_info with our previous client_verify_data and no SCSV.
 */
function renegotiationHello(prev: Traffic12, cx: ClientCx12): ClientState12 {
  const cfg = cx.config;
  const p = cx.provider;
  const exts: RawExtension[] = [];
  const add = (type: number, body: (w: Writer) => void): void => {
    exts.push({ type, data: encode(body) });
  };
  const sni = cfg.serverName;
  if (sni !== undefined && !/^[\d.]+$/.test(sni) && !sni.includes(':')) add(ExtensionType.server_name, encodeServerName(sni));
  exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
  exts.push({ type: ExtensionType.renegotiation_info, data: renegotiationInfo(prev.clientVerifyData) });
  exts.push({ type: ExtensionType.ec_point_formats, data: new Uint8Array([1, 0]) });
  add(ExtensionType.supported_groups, encodeU16List(cfg.groups.filter((g) => ECDHE_GROUPS.includes(g))));
  add(ExtensionType.signature_algorithms, encodeU16List(cfg.signatureSchemes));
  if (cfg.alpn !== undefined) add(ExtensionType.application_layer_protocol_negotiation, encodeAlpn(cfg.alpn));
  const suites = cfg.suites.filter((x) => x.version === 'TLSv1.2').map((x) => x.id);
  const random = p.randomBytes(32);
  const raw = encodeClientHello({
    legacyVersion: TLS12,
    random,
    legacySessionId: new Uint8Array(0),
    cipherSuites: suites,
    legacyCompressionMethods: new Uint8Array(1),
    extensions: exts,
  });
  cx.emit(raw, 'ClientHello', { version: 'TLSv1.2', renegotiation: true });
  const types = new Set<number>();
  for (const e of exts) types.add(e.type);
  return { kind: 'ExpectServerHello', prev, offer: { clientHello: raw, clientRandom: random, offeredSuites: suites, offeredExtensions: types } };
}

function serverHello12(sel: Selected12, cx: ClientCx12, prev: Traffic12 | undefined): ClientState12 {
  const cfg = cx.config;
  const sh = sel.serverHello;
  // RFC 5246 §7.4.1.3: the suite must be one we offered (and a TLS 1.2 one); compression must be null.
  const suite = cfg.suites.find((s) => s.id === sh.cipherSuite);
  if (suite === undefined || suite.version !== 'TLSv1.2' || !sel.offeredSuites.includes(sh.cipherSuite)) throw misbehaved('SelectedUnofferedCipherSuite');
  if (sh.legacyCompressionMethod !== 0) throw misbehaved('LegacyCompressionNotNull');
  for (const e of sh.extensions) {
    if (!sel.offeredExtensions.has(e.type)) throw misbehaved('UnsolicitedExtension', { detail: `extension ${e.type}` });
    if (!SH12_ALLOWED.has(e.type)) throw misbehaved('ExtensionNotAllowedHere', { detail: `extension ${e.type} in a TLS 1.2 ServerHello` });
  }
  const get = (t: number): Uint8Array | undefined => findExtension(sh.extensions, t);
  // RFC 5746 §3.4: the server must answer with an empty renegotiation_info (we require secure renegotiation);
  // §3.5: in a renegotiation, with our client_verify_data ‖ its server_verify_data of the handshake replaced.
  const ri = get(ExtensionType.renegotiation_info);
  const expectedRi = prev === undefined ? new Uint8Array([0]) : renegotiationInfo(prev.clientVerifyData, prev.serverVerifyData);
  if (ri === undefined || ri.length !== expectedRi.length || !cx.provider.equalSecret(ri, expectedRi)) throw misbehaved('RenegotiationInfoInvalid');
  // RFC 7627 §5.3 (our policy): the server must use the extended master secret.
  const ems = get(ExtensionType.extended_master_secret);
  if (ems === undefined) throw misbehaved('ExtendedMasterSecretMissing');
  mustBeEmpty(ems, 'extended_master_secret');
  const pf = get(ExtensionType.ec_point_formats);
  if (pf !== undefined) {
    if (pf.length < 2 || pf[0] !== pf.length - 1) throw decodeError('ServerHello.ec_point_formats', 'bad length');
    // RFC 8422 §5.2: uncompressed must be among the server's formats.
    if (!pf.subarray(1).includes(0)) throw misbehaved('InvalidPointFormat');
  }
  let alpn: Uint8Array | null = null;
  const alpnData = get(ExtensionType.application_layer_protocol_negotiation);
  if (alpnData !== undefined) {
    const list = decodeAlpn(alpnData);
    // RFC 7301 §3.1: exactly one protocol, one we offered.
    const selected = list[0];
    if (list.length !== 1 || selected === undefined || !includesBytes(cfg.alpn ?? [], selected)) throw misbehaved('SelectedUnofferedApplicationProtocol');
    alpn = selected;
  }
  const sn = get(ExtensionType.server_name);
  if (sn !== undefined) mustBeEmpty(sn, 'server_name');
  const st = get(ExtensionType.session_ticket);
  if (st !== undefined) mustBeEmpty(st, 'session_ticket');
  const sr = get(ExtensionType.status_request);
  if (sr !== undefined) mustBeEmpty(sr, 'status_request');
  const rsl = get(ExtensionType.record_size_limit);
  if (rsl !== undefined) {
    const limit = decodeRecordSizeLimit(rsl);
    // RFC 8449 §4: in TLS 1.2 the limit counts plaintext only; above 2^14 is illegal_parameter.
    if (limit > 16384) throw misbehaved('InvalidRecordSizeLimit');
    cx.setPeerRecordSizeLimit(limit);
  }
  const log = new HandshakeLog(cx.transcriptForm);
  log.add(sel.clientHello);
  log.add(sel.raw);
  const offered = sel.session12;
  // RFC 5246 §7.4.1.3 / RFC 5077 §3.4: the server resumes by echoing the session id we sent.
  const resumed = offered !== undefined && sel.sessionId !== undefined && sh.legacySessionIdEcho.length > 0 && equalPublic(sh.legacySessionIdEcho, sel.sessionId);
  cx.traceReceived('ServerHello', { version: 'TLSv1.2', cipher_suite: suite.name, alpn: alpn === null ? '' : latin1(alpn), resumed, session_ticket: st !== undefined });
  const hs: ClientHs = {
    suite,
    log,
    clientRandom: sel.clientRandom,
    serverRandom: sh.random.slice(),
    sessionId: sh.legacySessionIdEcho.slice(),
    expectTicket: st !== undefined,
    expectStatus: sr !== undefined,
    offered,
    prev,
    info: {
      version: 'TLSv1.2',
      cipherSuite: suite.id,
      cipherName: suite.name,
      group: undefined,
      groupName: undefined,
      signatureScheme: undefined,
      alpn,
      alpnProtocol: alpn === null ? null : latin1(alpn),
      serverName: cfg.serverName ?? null,
      resumed,
      helloRetry: false,
    },
  };
  if (resumed) {
    const state = offered.state;
    // RFC 5246 §7.4.1.3: a resumed session keeps its cipher suite.
    if (state.suite !== suite.id) throw misbehaved('SelectedUnofferedCipherSuite', { detail: 'resumption with another cipher suite' });
    cx.keyLog('CLIENT_RANDOM', hs.clientRandom, state.secret);
    const keyed: Keyed = {
      hs,
      chain: state.peerChain,
      // The session's verdict is not carried over: its chain must verify under this connection's policy.
      certVerified: resumedServerChain(state.peerChain, { verifier: cx.config.verifier, time: cx.provider.now(), serverName: cx.config.checkServerName ? cx.config.serverName : undefined, usage: 'serverAuth' }),
      sigVerified: signatureFromPsk(),
      master: state.secret,
      resumed: true,
      ticket: undefined,
      ticketLifetime: 0,
    };
    return { kind: hs.expectTicket ? 'ExpectNewSessionTicket' : 'ExpectChangeCipherSpec', ...keyed };
  }
  return { kind: 'ExpectCertificate', hs };
}

/** Scheme family for the suite's authentication (the scheme was already checked to fit the leaf's key). */
function schemeFamily(scheme: number): 'ecdsa' | 'rsa' {
  return (scheme & 0xff) === 0x03 || scheme === SignatureScheme.ed25519 || scheme === SignatureScheme.ed448 ? 'ecdsa' : 'rsa';
}

/** Our certificate, if its key type was asked for and it can sign with a requested scheme (RFC 5246 §7.4.6). */
function pickClientCertificate(ck: CertifiedKey | undefined, cr: CertificateRequest12): { ck: CertifiedKey; scheme: number } | undefined {
  if (ck === undefined) return undefined;
  const family = keyFamily(ck.key.algorithm);
  const type = family === 'ecdsa' ? ClientCertificateType.ecdsa_sign : ClientCertificateType.rsa_sign;
  if (!cr.certificateTypes.includes(type)) return undefined;
  const scheme = ck.schemes12.find((s) => cr.supportedSignatureAlgorithms.includes(s));
  return scheme === undefined ? undefined : { ck, scheme };
}

function serverHelloDone(
  s: AfterKeyExchange,
  m: HandshakeMessage,
  cx: ClientCx12,
  cr: CertificateRequest12 | undefined,
  supplied?: CertifiedKey | null,
): ClientState12 {
  decodeEmpty(m.body, 'ServerHelloDone');
  if (cr !== undefined && supplied === undefined && cx.config.deferClientCertificate === true && pickClientCertificate(cx.config.clientCertificate, cr) === undefined) {
    // Deferred client authentication: wait for the caller's certificate before building our flight.
    return { ...s, kind: 'AwaitClientCertificate', certRequest: cr, done: m };
  }
  cx.traceReceived('ServerHelloDone', {});
  const p = cx.provider;
  const { hs } = s;
  hs.log.add(m.raw);
  const emit = (raw: Uint8Array, name: string, fields?: Readonly<Record<string, string | number | boolean | readonly string[]>>): void => {
    cx.emit(raw, name, fields);
    hs.log.add(raw);
  };
  const mine = cr !== undefined ? pickClientCertificate(supplied === undefined ? cx.config.clientCertificate : (supplied ?? undefined), cr) : undefined;
  if (cr !== undefined) emit(encodeCertificate12(mine?.ck.chain ?? []), 'Certificate', { certificates: mine?.ck.chain.length ?? 0 });
  emit(encodeClientKeyExchange(s.clientPublic), 'ClientKeyExchange', { group: nameOf(NamedGroup, s.group) });
  // RFC 7627 §4: session_hash covers the messages up to and including ClientKeyExchange.
  const master = extendedMasterSecret(p, hs.suite, s.preMasterSecret, hs.log.hash(p, hs.suite));
  s.preMasterSecret.fill(0);
  cx.keyLog('CLIENT_RANDOM', hs.clientRandom, master);
  if (mine !== undefined) {
    // RFC 5246 §7.4.8: sign every handshake message so far.
    const sig = mine.ck.key.sign(mine.scheme, hs.log.bytes());
    emit(encodeCertificateVerify({ algorithm: mine.scheme, signature: sig }), 'CertificateVerify', { algorithm: nameOf(SignatureScheme, mine.scheme) });
  }
  cx.sendChangeCipherSpec();
  installKeys(cx, hs.suite, master, hs.clientRandom, hs.serverRandom, 'write', 'client');
  const ownFinished = verifyData(p, hs.suite, master, true, hs.log.hash(p, hs.suite));
  emit(encodeFinished12(ownFinished), 'Finished');
  const keyed: Keyed = {
    ownFinished,
    hs: { ...hs, localChain: mine?.ck.chain ?? [], info: { ...hs.info, group: s.group, groupName: nameOf(NamedGroup, s.group), signatureScheme: s.scheme } },
    chain: s.chain,
    certVerified: s.certVerified,
    sigVerified: s.sigVerified,
    master,
    resumed: false,
    ticket: undefined,
    ticketLifetime: 0,
  };
  return { kind: hs.expectTicket ? 'ExpectNewSessionTicket' : 'ExpectChangeCipherSpec', ...keyed };
}

/** Store the session for resumption (the idiomatic TlsClient offers it on its next connect). */
function storeSession(cx: ClientCx12, s: Keyed): void {
  const hs = s.hs;
  let ticket = s.ticket;
  let lifetime = s.ticketLifetime > 0 ? Math.min(s.ticketLifetime, MAX_SESSION_LIFETIME) : DEFAULT_SESSION_LIFETIME;
  let sessionId = hs.sessionId;
  if (s.resumed && ticket === undefined && hs.offered !== undefined) {
    // Resumed without a new ticket: the offered session stays good (RFC 5077 §3.4).
    const old = hs.offered.ticket;
    const idLen = old[0] ?? 0;
    ticket = old.subarray(1 + idLen);
    if (ticket.length === 0) ticket = undefined;
    lifetime = hs.offered.state.lifetimeSeconds;
  }
  if (ticket !== undefined) sessionId = new Uint8Array(0); // a ticket goes with a fresh random session id
  if (ticket === undefined && sessionId.length === 0) return;
  const now = cx.provider.now();
  const state: SessionState = {
    version: TLS12,
    suite: hs.suite.id,
    secret: s.master,
    issuedAt: now,
    lifetimeSeconds: lifetime,
    ageAdd: 0,
    alpn: hs.info.alpn,
    serverName: cx.config.serverName ?? '',
    peerChain: s.chain,
    extendedMasterSecret: true,
  };
  const session: ClientSession = { state, ticket: encodeSessionRef(sessionId, ticket ?? new Uint8Array(0)), receivedAt: now };
  cx.event({ type: 'NewTicket', ticket: { serverName: cx.config.serverName ?? '', data: encodeClientSession(session), expiresAt: now + lifetime * 1000 } });
}

const clientHandlers: Handlers12<ClientState12, ClientCx12> = {
  message: {
    ExpectServerHello(s, m, cx) {
      expect(m, HandshakeType.ServerHello);
      const sh = decodeServerHello(m.body);
      // RFC 5246 §7.4.1.3 / RFC 5746: a renegotiation keeps the connection's version.
      if (sh.legacyVersion !== TLS12) throw incompatible('NoCommonVersion', { alert: 'protocol_version' });
      return serverHello12({ ...s.offer, serverHello: sh, raw: m.raw }, cx, s.prev);
    },

    ExpectCertificate(s, m, cx) {
      expect(m, HandshakeType.Certificate);
      const chain = decodeCertificate12(m.body);
      // RFC 5246 §7.4.2: the server's list is never empty for our (certificate-based) suites.
      if (chain.length === 0) throw misbehaved('EmptyCertificateFromServer');
      const check = { verifier: cx.config.verifier, time: cx.provider.now(), serverName: cx.config.checkServerName ? cx.config.serverName : undefined, usage: 'serverAuth' as const };
      const certVerified = verifyPeerChain(chain, check);
      // No CertificateStatus will follow: the OCSP policy sees "no staple" now (RFC 6066 §8), as the TLS 1.3 client does.
      if (!s.hs.expectStatus) checkStapledOcsp(chain, undefined, cx.config.ocspPolicy, check, cx.provider);
      cx.traceReceived('Certificate', { certificates: chain.length });
      s.hs.log.add(m.raw);
      return { kind: s.hs.expectStatus ? 'ExpectCertificateStatus' : 'ExpectServerKeyExchange', hs: s.hs, chain, certVerified };
    },

    ExpectCertificateStatus(s, m, cx) {
      // RFC 6066 §8: a server that acknowledged status_request may still omit CertificateStatus.
      const check = { verifier: cx.config.verifier, time: cx.provider.now(), serverName: cx.config.checkServerName ? cx.config.serverName : undefined, usage: 'serverAuth' as const };
      if (m.type === HandshakeType.ServerKeyExchange) {
        checkStapledOcsp(s.chain, undefined, cx.config.ocspPolicy, check, cx.provider);
        return clientHandlers.message.ExpectServerKeyExchange({ ...s, kind: 'ExpectServerKeyExchange' }, m, cx);
      }
      if (m.type !== HandshakeType.CertificateStatus) throw unexpectedMessage(m, ['CertificateStatus', 'ServerKeyExchange']);
      const response = decodeCertificateStatus(m.body);
      checkStapledOcsp(s.chain, response, cx.config.ocspPolicy, check, cx.provider);
      cx.setPeerOcspResponse(response);
      cx.traceReceived('CertificateStatus', { bytes: response.length });
      s.hs.log.add(m.raw);
      return { ...s, kind: 'ExpectServerKeyExchange' };
    },

    ExpectServerKeyExchange(s, m, cx) {
      expect(m, HandshakeType.ServerKeyExchange);
      const cfg = cx.config;
      const p = cx.provider;
      const ske = decodeServerKeyExchange(m.body);
      // RFC 8422 §5.4: the curve must be one we offered.
      if (!cfg.groups.includes(ske.namedCurve) || !ECDHE_GROUPS.includes(ske.namedCurve)) throw misbehaved('SelectedUnofferedGroup');
      const signed = new Uint8Array(64 + ske.params.length);
      signed.set(s.hs.clientRandom, 0);
      signed.set(s.hs.serverRandom, 32);
      signed.set(ske.params, 64);
      const sigVerified = verifySignature12(p, s.chain[0] as Uint8Array, ske.algorithm, signed, ske.signature, cfg.signatureSchemes);
      // RFC 8422 §5.1.1: ECDHE_ECDSA needs an ECDSA (or EdDSA) certificate, ECDHE_RSA an RSA one.
      if (schemeFamily(ske.algorithm) !== s.hs.suite.auth) throw misbehaved('SignatureSchemeMismatchesKey', { detail: 'certificate key does not fit the cipher suite' });
      const kx = p.keyExchangeServer(ske.namedCurve, ske.publicKey);
      cx.traceReceived('ServerKeyExchange', { group: nameOf(NamedGroup, ske.namedCurve), algorithm: nameOf(SignatureScheme, ske.algorithm) });
      s.hs.log.add(m.raw);
      return {
        kind: 'ExpectCertificateRequestOrServerHelloDone',
        hs: s.hs,
        chain: s.chain,
        certVerified: s.certVerified,
        sigVerified,
        group: ske.namedCurve,
        scheme: ske.algorithm,
        clientPublic: kx.publicKey,
        preMasterSecret: kx.sharedSecret,
      };
    },

    ExpectCertificateRequestOrServerHelloDone(s, m, cx) {
      if (m.type === HandshakeType.CertificateRequest) {
        const certRequest = decodeCertificateRequest12(m.body);
        cx.traceReceived('CertificateRequest', { certificate_authorities: certRequest.certificateAuthorities.length });
        cx.event({
          type: 'CertificateRequested',
          certificateAuthorities: certRequest.certificateAuthorities.map((n) => n.slice()),
          signatureSchemes: certRequest.supportedSignatureAlgorithms,
          hasCertificate: pickClientCertificate(cx.config.clientCertificate, certRequest) !== undefined,
        });
        s.hs.log.add(m.raw);
        return { ...s, kind: 'ExpectServerHelloDone', certRequest };
      }
      if (m.type !== HandshakeType.ServerHelloDone) throw unexpectedMessage(m, ['CertificateRequest', 'ServerHelloDone']);
      return serverHelloDone(s, m, cx, undefined);
    },

    ExpectServerHelloDone(s, m, cx) {
      expect(m, HandshakeType.ServerHelloDone);
      return serverHelloDone(s, m, cx, s.certRequest);
    },

    AwaitClientCertificate(_s, m) {
      throw unexpectedMessage(m, ['(nothing until a client certificate is supplied)']);
    },

    ExpectNewSessionTicket(s, m, cx) {
      expect(m, HandshakeType.NewSessionTicket);
      const nst = decodeNewSessionTicket12(m.body);
      cx.traceReceived('NewSessionTicket', { lifetime: nst.ticketLifetimeHint, bytes: nst.ticket.length });
      s.hs.log.add(m.raw);
      // RFC 5077 §3.3: an empty ticket means the server will not issue one after all.
      return {
        ...s,
        kind: 'ExpectChangeCipherSpec',
        ticket: nst.ticket.length > 0 ? nst.ticket : undefined,
        ticketLifetime: nst.ticketLifetimeHint,
      };
    },

    ExpectChangeCipherSpec(_s, m) {
      throw unexpectedMessage(m, ['ChangeCipherSpec']);
    },

    ExpectFinished(s, m, cx) {
      expect(m, HandshakeType.Finished);
      const p = cx.provider;
      const { hs } = s;
      const expected = verifyData(p, hs.suite, s.master, false, hs.log.hash(p, hs.suite));
      const fin = verifyEqualSecret(p, expected, decodeFinished12(m.body));
      cx.traceReceived('Finished', {});
      hs.log.add(m.raw);
      let clientVerifyData = s.ownFinished;
      if (s.resumed) {
        cx.sendChangeCipherSpec();
        installKeys(cx, hs.suite, s.master, hs.clientRandom, hs.serverRandom, 'write', 'client');
        clientVerifyData = verifyData(p, hs.suite, s.master, true, hs.log.hash(p, hs.suite));
        const ours = encodeFinished12(clientVerifyData);
        cx.emit(ours, 'Finished');
        hs.log.add(ours);
      }
      storeSession(cx, s);
      const traffic: Traffic12 = {
        side: 'client',
        provider: p,
        suite: hs.suite,
        masterSecret: s.master,
        clientRandom: hs.clientRandom,
        serverRandom: hs.serverRandom,
        info: { ...hs.info, peerCertificates: s.chain },
        proof: { cert: s.certVerified, sig: s.sigVerified, fin },
        // RFC 5929 §3.1: full handshake → our (client) Finished; abbreviated → the server's, just verified.
        tlsUnique: (s.resumed ? expected : s.ownFinished ?? expected).slice(),
        localChain: hs.localChain ?? [],
        clientVerifyData: (clientVerifyData ?? expected).slice(),
        serverVerifyData: expected.slice(),
        renegotiations: hs.prev === undefined ? 0 : hs.prev.renegotiations + 1,
      };
      return { kind: 'Traffic', traffic };
    },

    Traffic(s, m, cx) {
      // RFC 5746 §4.2: we renegotiate (securely: the first handshake required renegotiation_info) up to the limit,
      // and refuse the rest with a no_renegotiation warning.
      if (m.type === HandshakeType.HelloRequest && s.traffic.renegotiations < cx.config.maxRenegotiations) {
        decodeEmpty(m.body, 'HelloRequest');
        cx.traceReceived('HelloRequest', { renegotiation: 'accepted' });
        return renegotiationHello(s.traffic, cx);
      }
      refuseRenegotiation(m, cx, 'client');
      return s;
    },
  },
  ccs: {
    ExpectChangeCipherSpec(s, cx) {
      installKeys(cx, s.hs.suite, s.master, s.hs.clientRandom, s.hs.serverRandom, 'read', 'client');
      return { ...s, kind: 'ExpectFinished' };
    },
  },
  ignoreHelloRequest: true,
  traffic: (s) => (s.kind === 'Traffic' ? s.traffic : undefined),
  previous: (s) => (s.kind === 'Traffic' ? undefined : s.kind === 'ExpectServerHello' ? s.prev : s.hs.prev),
  // A renegotiation we start (node:tls `renegotiate()` on a client): the ClientHello a HelloRequest would have
  // asked for, with renegotiation_info (RFC 5746 §3.5). Ours to start, so not counted against the limit on the
  // server's requests (maxRenegotiations).
  requestRenegotiation(s, _request, cx) {
    if (s.kind !== 'Traffic') throw internalError('renegotiation needs the connection in traffic');
    return renegotiationHello(s.traffic, cx);
  },
  supply(s, certificate, cx) {
    if (s.kind !== 'AwaitClientCertificate') throw unexpected('supplyClientCertificate', ['AwaitClientCertificate']);
    return serverHelloDone(s, s.done, cx, s.certRequest, certificate);
  },
};

