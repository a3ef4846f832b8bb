/**
 * The TLS 1.2 server (RFC 5246 §7.3) for ECDHE + AEAD suites only, with extended master secret required
 * (RFC 7627), secure renegotiation (RFC 5746: started with HelloRequest, client-initiated only when allowed),
 * resumption by session id and by ticket (RFC 5077), client certificates, ALPN, SNI and OCSP stapling (RFC 6066 §8).
 *
 *   full:        ClientHello → ServerHello, Certificate, [CertificateStatus], ServerKeyExchange,
 *                [CertificateRequest], ServerHelloDone → [Certificate], ClientKeyExchange, [CertificateVerify],
 *                CCS, Finished → [NewSessionTicket], CCS, Finished
 *   abbreviated: ClientHello → ServerHello, CCS, Finished → CCS, Finished
 */
import { expect, unexpectedMessage } from '../handshake/expect.js';
import { includesBytes, latin1 } from '../codec/bytes.js';
import { encode } from '../codec/writer.js';
import type { CryptoProvider, KeyExchangeClient } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { CertifiedKey } from '../vocabulary/config.js';
import type { RenegotiationRequest } from '../handshake/machine.js';
import { decodeClientHelloWithBasics, type ClientHello, type DecodedClientHello } from '../wire/client-hello.js';
import type { ChainVerifier } from '../x509/chain.js';
import { incompatible, internalError, limitExceeded, misbehaved } from '../errors.js';
import { chooseAlpn, chooseGroup, nameMatches } from '../handshake/negotiate.js';
import {
  chainFromResumption,
  noClientCertificate,
  signatureFromPsk,
  verifyEqualSecret,
  verifyPeerChain,
  verifySignature12,
  type CertVerified,
  type SignatureVerified,
} from '../handshake/verify.js';
import { openTicket, sealTicket, type SessionState } from '../handshake/tickets.js';
import { decodeCertificateVerify } from '../wire/certificate.js';
import { decodeClientVersions, encodeAlpn, findExtension, type RawExtension } from '../wire/extensions.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../wire/registry.js';
import { DOWNGRADE_TLS12, encodeServerHello } from '../wire/server-hello.js';
import {
  HandshakeLog,
  Machine12,
  cacheKey,
  installKeys,
  keyFamily,
  refuseRenegotiation,
  renegotiationInfo,
  type Handlers12,
  type ServerCx12,
  type Traffic12,
} from './common.js';
import {
  ClientCertificateType,
  decodeCertificate12,
  decodeClientKeyExchange,
  decodeFinished12,
  encodeCertificate12,
  encodeCertificateRequest12,
  encodeCertificateStatus,
  encodeFinished12,
  encodeNewSessionTicket12,
  encodeServerEcdhParams,
  encodeServerHelloDone,
  encodeServerKeyExchange,
} from './messages.js';
import { extendedMasterSecret, verifyData } from './prf.js';

const TLS12 = ProtocolVersion.TLS12;
/** The groups usable for TLS 1.2 ECDHE (RFC 8422 §5.1.1, RFC 7748): no hybrids, which are TLS 1.3 only. */
export const ECDHE_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
/** The named group of an ECDSA certificate's key. */
const CERT_CURVE: Readonly<Record<string, number>> = { 'ec-p256': NamedGroup.secp256r1, 'ec-p384': NamedGroup.secp384r1, 'ec-p521': NamedGroup.secp521r1 };
/** The bound on the server's session-id cache (least recently used entries go first). */
export const SESSION_CACHE_SIZE = 1024;

interface ServerHs {
  readonly suite: SuiteInfo;
  readonly log: HandshakeLog;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly sendTicket: boolean;
  readonly info: Omit<ConnectionInfo, 'peerCertificates'>;
  /** The signature schemes we put in CertificateRequest. */
  readonly requestedSchemes: readonly number[];
  /** The certificate chain we sent ([] when resuming). */
  readonly localChain: readonly Uint8Array[];
  /** Client authentication in this handshake: the configuration's, or what a renegotiation request asked for. */
  readonly clientAuth: 'none' | 'optional' | 'required';
  readonly verifier: ChainVerifier | null;
  /** A renegotiation: the traffic of the handshake it replaces (keys, verify_data, count). */
  readonly prev?: Traffic12 | undefined;
}

interface Keyed {
  readonly hs: ServerHs;
  readonly master: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly certVerified: CertVerified;
  /** Our Finished verify_data when we sent the first Finished (abbreviated handshake): tls-unique. */
  readonly ownFinished?: Uint8Array;
}

/** TLS 1.2 server handshake states, discriminated by `kind`. */
export type ServerState12 =
  | { readonly kind: 'ExpectCertificate'; readonly hs: ServerHs; readonly kx: KeyExchangeClient }
  | { readonly kind: 'ExpectClientKeyExchange'; readonly hs: ServerHs; readonly kx: KeyExchangeClient; readonly chain: readonly Uint8Array[]; readonly certVerified: CertVerified }
  | ({ readonly kind: 'ExpectCertificateVerify' } & Keyed)
  | ({ readonly kind: 'ExpectChangeCipherSpec'; readonly sigVerified: SignatureVerified; readonly resumed: boolean } & Keyed)
  | ({ readonly kind: 'ExpectFinished'; readonly sigVerified: SignatureVerified; readonly resumed: boolean } & Keyed)
  /** `requested`: we sent HelloRequest and accept the client's ClientHello with these client-auth rules. */
  | { readonly kind: 'Traffic'; readonly traffic: Traffic12; readonly requested?: RenegotiationRequest };

/** What we read from the ClientHello. */
interface Offer12 {
  readonly hello: ClientHello;
  readonly serverName: string | undefined;
  readonly groups: readonly number[] | undefined;
  readonly schemes: readonly number[];
  readonly alpn: readonly Uint8Array[] | undefined;
  readonly statusRequest: boolean;
  readonly secureRenegotiation: boolean;
  readonly pointFormats: boolean;
  /** undefined: no session_ticket extension; empty: the client wants a ticket. */
  readonly ticket: Uint8Array | undefined;
}

/**
 * `renegotiating`: the client_verify_data of the handshake being renegotiated (RFC 5746 §3.7); undefined for an
 * initial handshake.
 */
function readOffer({ hello, basics }: DecodedClientHello, p: CryptoProvider, renegotiating?: Uint8Array): Offer12 {
  const get = (t: number): Uint8Array | undefined => findExtension(hello.extensions, t);
  // RFC 8446 §4.2.1: a client that sends supported_versions is negotiated by it, not by legacy_version.
  const sv = get(ExtensionType.supported_versions);
  if (sv !== undefined && !decodeClientVersions(sv).includes(TLS12)) throw incompatible('NoCommonVersion');
  // RFC 5246 §7.4.1.2: the null compression method must be offered.
  if (!hello.legacyCompressionMethods.includes(0)) throw misbehaved('LegacyCompressionNotNull');
  // RFC 7627 §5.2 (our policy): no extended master secret, no handshake.
  const ems = get(ExtensionType.extended_master_secret);
  if (ems === undefined) throw misbehaved('ExtendedMasterSecretMissing');
  if (ems.length !== 0) throw misbehaved('ExtendedMasterSecretMissing', { alert: 'decode_error', detail: 'non-empty extended_master_secret' });
  const ri = get(ExtensionType.renegotiation_info);
  const scsv = hello.cipherSuites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
  if (renegotiating === undefined) {
    // RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty.
    if (ri !== undefined && (ri.length !== 1 || ri[0] !== 0)) throw misbehaved('RenegotiationInfoInvalid');
  } else {
    // RFC 5746 §3.7: the SCSV in a renegotiation, or renegotiation_info missing or not our client_verify_data, is
    // handshake_failure (only the secure form is run).
    const expected = renegotiationInfo(renegotiating);
    if (scsv || ri === undefined || ri.length !== expected.length || !p.equalSecret(ri, expected)) throw misbehaved('RenegotiationInfoInvalid');
  }
  // RFC 8422 §5.1.2: ec_point_formats, if sent, must contain uncompressed (0).
  const pf = get(ExtensionType.ec_point_formats);
  if (pf !== undefined) {
    const formats = pf.length >= 1 && pf[0] === pf.length - 1 ? [...pf.subarray(1)] : undefined;
    if (formats === undefined || formats.length === 0) throw misbehaved('InvalidPointFormat', { alert: 'decode_error' });
    if (!formats.includes(0)) throw misbehaved('InvalidPointFormat');
  }
  const status = get(ExtensionType.status_request);
  return {
    hello,
    serverName: basics.serverName,
    groups: basics.groups,
    schemes: basics.signatureSchemes ?? [],
    alpn: basics.alpn,
    statusRequest: status !== undefined && status[0] === 1,
    secureRenegotiation: ri !== undefined || scsv,
    pointFormats: pf !== undefined,
    ticket: get(ExtensionType.session_ticket)?.slice(),
  };
}

/** A session we can resume, from the ticket or the session-id cache. */
function findSession(cx: ServerCx12, offer: Offer12): { state: SessionState; viaTicket: boolean } | undefined {
  const cfg = cx.config;
  const p = cx.provider;
  const usable = (s: SessionState | undefined): s is SessionState => {
    if (s === undefined || s.version !== TLS12 || !s.extendedMasterSecret) return false;
    if (!offer.hello.cipherSuites.includes(s.suite) || !cfg.suites.some((x) => x.id === s.suite)) return false;
    const age = p.now() - s.issuedAt;
    if (age < 0 || age > s.lifetimeSeconds * 1000) return false;
    // RFC 6066 §3: a session is resumed only for the same server name.
    if (s.serverName !== (offer.serverName ?? '')) return false;
    if (cfg.clientAuth === 'required' && s.peerChain.length === 0) return false;
    return true;
  };
  if (offer.ticket !== undefined && offer.ticket.length > 0 && cfg.ticketCount > 0) {
    const s = openTicket(p, cfg.ticketKeys, offer.ticket);
    if (usable(s)) return { state: s, viaTicket: true };
  }
  const id = offer.hello.legacySessionId;
  if (id.length > 0) {
    const key = cacheKey(id);
    const s = cfg.sessionCache12.get(key);
    if (usable(s)) {
      cfg.sessionCache12.delete(key);
      cfg.sessionCache12.set(key, s);
      return { state: s, viaTicket: false };
    }
  }
  return undefined;
}

/** Candidates in order: the SNI callback's pick, exact name, wildcard, then every certificate (the first is the default). */
function orderedCertificates(cx: ServerCx12, serverName: string | undefined): { c: CertifiedKey; matched: boolean }[] {
  const cfg = cx.config;
  const out: { c: CertifiedKey; matched: boolean }[] = [];
  if (serverName !== undefined) {
    const idx = cfg.sniCallback?.(serverName);
    const picked = idx !== undefined ? cfg.certificates[idx] : undefined;
    if (picked !== undefined) out.push({ c: picked, matched: true });
    for (const c of cfg.certificates) if (c.names.includes(serverName)) out.push({ c, matched: true });
    for (const c of cfg.certificates) if (c.names.some((n) => n.startsWith('*.') && nameMatches(n, serverName))) out.push({ c, matched: true });
  }
  for (const c of cfg.certificates) out.push({ c, matched: false });
  return out;
}

/** Suite and certificate together: the suite's authentication must fit the certificate's key (RFC 8422 §5.1.1). */
function chooseSuiteAndCertificate(cx: ServerCx12, offer: Offer12): { suite: SuiteInfo; cert: CertifiedKey; scheme: number; matched: boolean } {
  const ours = cx.config.suites.filter((s) => s.version === 'TLSv1.2' && offer.hello.cipherSuites.includes(s.id));
  // A client offering only CBC or RSA key transport suites has nothing in common with us.
  if (ours.length === 0) throw incompatible('NoCommonCipherSuite');
  for (const { c, matched } of orderedCertificates(cx, offer.serverName)) {
    const family = keyFamily(c.key.algorithm);
    // RFC 8422 §5.1.1/§5.1.2: an ECDSA certificate's curve must be one the client supports.
    const curve = CERT_CURVE[c.key.algorithm];
    if (curve !== undefined && offer.groups !== undefined && !offer.groups.includes(curve)) continue;
    const scheme = offer.schemes.find((x) => c.schemes12.includes(x));
    if (scheme === undefined) continue;
    const suite = ours.find((s) => s.auth === family);
    if (suite !== undefined) return { suite, cert: c, scheme, matched };
  }
  if (offer.schemes.length === 0) throw misbehaved('MissingSignatureAlgorithms', { alert: 'handshake_failure' });
  throw incompatible('NoCommonCipherSuite', { detail: 'no certificate fits an offered suite and signature scheme' });
}

/** The TLS 1.2 ServerHello: renegotiation_info (RFC 5746 §3.6, when offered) and extended_master_secret, then `extra`. */
function serverHello12(offer: Offer12, random: Uint8Array, sessionId: Uint8Array, suite: number, extra: readonly RawExtension[], prev?: Traffic12): Uint8Array {
  const exts: RawExtension[] = [];
  // RFC 5746 §3.6: answer the SCSV or the empty extension with an empty renegotiation_info; §3.7: in a
  // renegotiation, with client_verify_data ‖ server_verify_data of the handshake being replaced.
  if (prev !== undefined) exts.push({ type: ExtensionType.renegotiation_info, data: renegotiationInfo(prev.clientVerifyData, prev.serverVerifyData) });
  else if (offer.secureRenegotiation) exts.push({ type: ExtensionType.renegotiation_info, data: new Uint8Array([0]) });
  exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
  return encodeServerHello({
    legacyVersion: TLS12,
    random,
    legacySessionIdEcho: sessionId,
    cipherSuite: suite,
    legacyCompressionMethod: 0,
    extensions: [...exts, ...extra],
  });
}

function serverRandom(cx: ServerCx12, renegotiating = false): Uint8Array {
  const r = cx.provider.randomBytes(32);
  // RFC 8446 §4.1.3: a TLS 1.3-capable server negotiating TLS 1.2 says so in the last 8 bytes of its random (not in
  // a renegotiation: the version was settled by the first handshake, and the client offers only TLS 1.2 now).
  if (cx.config.maxVersion >= ProtocolVersion.TLS13 && !renegotiating) r.set(DOWNGRADE_TLS12, 24);
  return r;
}

/** The engine's hook: a ClientHello that does not get TLS 1.3. */
export function startServer12(hello: DecodedClientHello, m: HandshakeMessage, cx: ServerCx12): Machine12<ServerState12, ServerCx12> {
  return new Machine12(serverHello(hello, m, cx, undefined), serverHandlers, cx);
}

/** A renegotiation (RFC 5746 §3.7): a full handshake under the current keys, never a resumption. */
interface Renegotiation {
  readonly prev: Traffic12;
  readonly request: RenegotiationRequest;
}

function serverHello(decoded: DecodedClientHello, m: HandshakeMessage, cx: ServerCx12, reneg: Renegotiation | undefined): ServerState12 {
  const cfg = cx.config;
  const p = cx.provider;
  const hello = decoded.hello;
  const offer = readOffer(decoded, p, reneg?.prev.clientVerifyData);
  cx.traceReceived('ClientHello', {
    version: 'TLSv1.2',
    server_name: offer.serverName ?? '',
    cipher_suites: hello.cipherSuites.map((c) => nameOf(CipherSuite, c)),
    alpn: (offer.alpn ?? []).map(latin1),
    session_ticket: offer.ticket !== undefined,
  });
  const log = new HandshakeLog(cx.transcriptForm);
  log.add(m.raw);
  const resumed = reneg === undefined ? findSession(cx, offer) : undefined;
  if (resumed !== undefined) return resume(cx, offer, log, resumed.state);

  const { suite, cert, scheme, matched } = chooseSuiteAndCertificate(cx, offer);
  const group = chooseGroup(cfg.groups.filter((g) => ECDHE_GROUPS.includes(g)), offer.groups ?? ECDHE_GROUPS);
  if (group === undefined) throw incompatible('NoCommonGroup');
  const alpn = chooseAlpn(cfg.alpn, offer.alpn);
  const random = serverRandom(cx, reneg !== undefined);
  const sessionId = p.randomBytes(32);
  const sendTicket = offer.ticket !== undefined && cfg.ticketCount > 0 && reneg === undefined;
  const ocsp = offer.statusRequest ? cert.ocspResponse : undefined;
  const extra: RawExtension[] = [];
  if (offer.pointFormats) extra.push({ type: ExtensionType.ec_point_formats, data: new Uint8Array([1, 0]) });
  if (sendTicket) extra.push({ type: ExtensionType.session_ticket, data: new Uint8Array(0) });
  if (alpn !== null) extra.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encode(encodeAlpn([alpn])) });
  if (matched && offer.serverName !== undefined) extra.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (ocsp !== undefined) extra.push({ type: ExtensionType.status_request, data: new Uint8Array(0) });
  const sh = serverHello12(offer, random, sessionId, suite.id, extra, reneg?.prev);
  const emit = (raw: Uint8Array, name: string, fields?: Readonly<Record<string, string | number | boolean | readonly string[]>>): void => {
    cx.emit(raw, name, fields);
    log.add(raw);
  };
  emit(sh, 'ServerHello', { version: 'TLSv1.2', cipher_suite: suite.name, alpn: alpn === null ? '' : latin1(alpn), session_ticket: sendTicket });
  emit(encodeCertificate12(cert.chain), 'Certificate', { certificates: cert.chain.length });
  if (ocsp !== undefined) emit(encodeCertificateStatus(ocsp), 'CertificateStatus');
  const kx = p.keyExchangeClient(group);
  if (kx === undefined) throw incompatible('NoCommonGroup');
  const params = encodeServerEcdhParams(group, kx.publicKey);
  const signed = new Uint8Array(64 + params.length);
  signed.set(hello.random, 0);
  signed.set(random, 32);
  signed.set(params, 64);
  const signature = cert.key.sign(scheme, signed);
  emit(encodeServerKeyExchange({ namedCurve: group, publicKey: kx.publicKey, algorithm: scheme, signature }), 'ServerKeyExchange', {
    group: nameOf(NamedGroup, group),
    algorithm: nameOf(SignatureScheme, scheme),
  });
  const clientAuth = reneg !== undefined ? reneg.request.clientAuth : cfg.clientAuth;
  const verifier = reneg !== undefined ? (reneg.request.enforce ? cfg.reportVerifier : null) : cfg.verifier;
  const wantClientCert = clientAuth !== 'none';
  const requestedSchemes = cfg.signatureSchemes.filter((s) => s !== SignatureScheme.ed448);
  if (wantClientCert) {
    emit(encodeCertificateRequest12({
      certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
      supportedSignatureAlgorithms: requestedSchemes,
      certificateAuthorities: cfg.caNames,
    }), 'CertificateRequest', { certificate_authorities: cfg.caNames.length });
  }
  emit(encodeServerHelloDone(), 'ServerHelloDone');
  const hs: ServerHs = {
    suite,
    log,
    clientRandom: hello.random.slice(),
    serverRandom: random,
    sessionId,
    sendTicket,
    requestedSchemes,
    localChain: cert.chain,
    clientAuth,
    verifier,
    prev: reneg?.prev,
    info: {
      version: 'TLSv1.2',
      cipherSuite: suite.id,
      cipherName: suite.name,
      group,
      groupName: nameOf(NamedGroup, group),
      signatureScheme: scheme,
      alpn,
      alpnProtocol: alpn === null ? null : latin1(alpn),
      serverName: offer.serverName ?? null,
      resumed: false,
      helloRetry: false,
    },
  };
  if (wantClientCert) return { kind: 'ExpectCertificate', hs, kx };
  return { kind: 'ExpectClientKeyExchange', hs, kx, chain: [], certVerified: noClientCertificate() };
}

/** Abbreviated handshake (RFC 5246 §7.3; RFC 5077 §3.1): ServerHello echoing the session id, CCS, Finished. */
function resume(cx: ServerCx12, offer: Offer12, log: HandshakeLog, state: SessionState): ServerState12 {
  const cfg = cx.config;
  const p = cx.provider;
  const suite = cfg.suites.find((s) => s.id === state.suite) as SuiteInfo;
  // RFC 7301 §3.1 allows a new choice on resumption; keep the original when it is still offered.
  const alpn = state.alpn !== null && offer.alpn !== undefined && includesBytes(offer.alpn, state.alpn) ? state.alpn : chooseAlpn(cfg.alpn, offer.alpn);
  const random = serverRandom(cx);
  const extra: RawExtension[] = [];
  if (offer.pointFormats) extra.push({ type: ExtensionType.ec_point_formats, data: new Uint8Array([1, 0]) });
  if (alpn !== null) extra.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encode(encodeAlpn([alpn])) });
  const sessionId = offer.hello.legacySessionId.slice();
  const sh = serverHello12(offer, random, sessionId, suite.id, extra);
  cx.emit(sh, 'ServerHello', { version: 'TLSv1.2', cipher_suite: suite.name, resumed: true });
  log.add(sh);
  const master = state.secret;
  const clientRandom = offer.hello.random.slice();
  cx.keyLog('CLIENT_RANDOM', clientRandom, master);
  cx.sendChangeCipherSpec();
  installKeys(cx, suite, master, clientRandom, random, 'write', 'server');
  const ownFinished = verifyData(p, suite, master, false, log.hash(p, suite));
  const fin = encodeFinished12(ownFinished);
  cx.emit(fin, 'Finished');
  log.add(fin);
  const hs: ServerHs = {
    suite,
    log,
    clientRandom,
    serverRandom: random,
    sessionId,
    sendTicket: false,
    requestedSchemes: [],
    localChain: [],
    clientAuth: cfg.clientAuth,
    verifier: cfg.verifier,
    info: {
      version: 'TLSv1.2',
      cipherSuite: suite.id,
      cipherName: suite.name,
      group: undefined,
      groupName: undefined,
      signatureScheme: undefined,
      alpn,
      alpnProtocol: alpn === null ? null : latin1(alpn),
      serverName: offer.serverName ?? null,
      resumed: true,
      helloRetry: false,
    },
  };
  return { kind: 'ExpectChangeCipherSpec', hs, master, chain: state.peerChain, certVerified: chainFromResumption(), sigVerified: signatureFromPsk(), resumed: true, ownFinished };
}

function remember(cx: ServerCx12, s: Keyed): SessionState {
  const state: SessionState = {
    version: TLS12,
    suite: s.hs.suite.id,
    secret: s.master,
    issuedAt: cx.provider.now(),
    lifetimeSeconds: cx.config.ticketLifetime,
    ageAdd: 0,
    alpn: s.hs.info.alpn,
    serverName: s.hs.info.serverName ?? '',
    peerChain: s.chain,
    extendedMasterSecret: true,
  };
  const cache = cx.config.sessionCache12;
  cache.set(cacheKey(s.hs.sessionId), state);
  while (cache.size > SESSION_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return state;
}

const serverHandlers: Handlers12<ServerState12, ServerCx12> = {
  message: {
    ExpectCertificate(s, m, cx) {
      expect(m, HandshakeType.Certificate);
      const chain = decodeCertificate12(m.body);
      cx.traceReceived('Certificate', { certificates: chain.length });
      s.hs.log.add(m.raw);
      if (chain.length === 0) {
        // RFC 5246 §7.4.6: without a certificate the server may go on or answer handshake_failure (there is no
        // certificate_required alert before TLS 1.3).
        if (s.hs.clientAuth === 'required') throw incompatible('ClientCertificateRequired', { alert: 'handshake_failure' });
        return { kind: 'ExpectClientKeyExchange', hs: s.hs, kx: s.kx, chain: [], certVerified: noClientCertificate() };
      }
      const certVerified = verifyPeerChain(chain, { verifier: s.hs.verifier, time: cx.provider.now(), usage: 'clientAuth' });
      return { kind: 'ExpectClientKeyExchange', hs: s.hs, kx: s.kx, chain, certVerified };
    },

    ExpectClientKeyExchange(s, m, cx) {
      expect(m, HandshakeType.ClientKeyExchange);
      const p = cx.provider;
      const yc = decodeClientKeyExchange(m.body);
      const pms = s.kx.complete(yc);
      cx.traceReceived('ClientKeyExchange', {});
      s.hs.log.add(m.raw);
      // RFC 7627 §4: session_hash covers the messages up to and including ClientKeyExchange.
      const master = extendedMasterSecret(p, s.hs.suite, pms, s.hs.log.hash(p, s.hs.suite));
      pms.fill(0);
      cx.keyLog('CLIENT_RANDOM', s.hs.clientRandom, master);
      const keyed: Keyed = { hs: s.hs, master, chain: s.chain, certVerified: s.certVerified };
      if (s.chain.length > 0) return { kind: 'ExpectCertificateVerify', ...keyed };
      return { kind: 'ExpectChangeCipherSpec', ...keyed, sigVerified: noClientCertificate(), resumed: false };
    },

    ExpectCertificateVerify(s, m, cx) {
      expect(m, HandshakeType.CertificateVerify);
      const cv = decodeCertificateVerify(m.body);
      // RFC 5246 §7.4.8: the signature covers every handshake message so far.
      const sigVerified = verifySignature12(cx.provider, s.chain[0] as Uint8Array, cv.algorithm, s.hs.log.bytes(), cv.signature, s.hs.requestedSchemes);
      cx.traceReceived('CertificateVerify', { algorithm: nameOf(SignatureScheme, cv.algorithm) });
      s.hs.log.add(m.raw);
      const { kind: _k, ...keyed } = s;
      return { kind: 'ExpectChangeCipherSpec', ...keyed, sigVerified, resumed: false };
    },

    ExpectChangeCipherSpec(_s, m) {
      // RFC 5246 §7.1: Finished must come right after ChangeCipherSpec.
      throw unexpectedMessage(m, ['ChangeCipherSpec']);
    },

    ExpectFinished(s, m, cx) {
      expect(m, HandshakeType.Finished);
      const p = cx.provider;
      const { hs } = s;
      const expected = verifyData(p, hs.suite, s.master, true, hs.log.hash(p, hs.suite));
      const fin = verifyEqualSecret(p, expected, decodeFinished12(m.body));
      cx.traceReceived('Finished', {});
      hs.log.add(m.raw);
      let serverVerifyData = s.ownFinished;
      if (!s.resumed) {
        const { kind: _k, sigVerified: _s, resumed: _r, ...keyed } = s;
        const state = remember(cx, keyed);
        if (hs.sendTicket) {
          // RFC 5077 §3.3: NewSessionTicket comes before our ChangeCipherSpec and is part of the transcript.
          const nst = encodeNewSessionTicket12({ ticketLifetimeHint: cx.config.ticketLifetime, ticket: sealTicket(p, cx.config.ticketKeys, state) });
          cx.emit(nst, 'NewSessionTicket', { lifetime: cx.config.ticketLifetime });
          hs.log.add(nst);
        }
        cx.sendChangeCipherSpec();
        installKeys(cx, hs.suite, s.master, hs.clientRandom, hs.serverRandom, 'write', 'server');
        serverVerifyData = verifyData(p, hs.suite, s.master, false, hs.log.hash(p, hs.suite));
        const ours = encodeFinished12(serverVerifyData);
        cx.emit(ours, 'Finished');
        hs.log.add(ours);
      }
      const traffic: Traffic12 = {
        side: 'server',
        provider: p,
        suite: hs.suite,
        masterSecret: s.master,
        clientRandom: hs.clientRandom,
        serverRandom: hs.serverRandom,
        info: { ...hs.info, peerCertificates: s.chain },
        proof: { cert: s.certVerified, sig: s.sigVerified, fin },
        // RFC 5929 §3.1: full handshake → the client's Finished (just verified); abbreviated → ours.
        tlsUnique: (s.resumed ? s.ownFinished ?? expected : expected).slice(),
        localChain: hs.localChain,
        clientVerifyData: expected.slice(),
        serverVerifyData: (serverVerifyData ?? expected).slice(),
        renegotiations: hs.prev === undefined ? 0 : hs.prev.renegotiations + 1,
      };
      return { kind: 'Traffic', traffic };
    },

    Traffic(s, m, cx) {
      const cfg = cx.config;
      // RFC 5746 §4.4: a client-initiated renegotiation is refused unless allowed (as OpenSSL does); every
      // renegotiation counts against the connection's limit.
      const request = s.requested ?? (cfg.allowClientRenegotiation ? { clientAuth: cfg.clientAuth, enforce: cfg.verifier !== null } : undefined);
      if (m.type !== HandshakeType.ClientHello || request === undefined || s.traffic.renegotiations >= cfg.maxRenegotiations) {
        refuseRenegotiation(m, cx, 'server');
        return s;
      }
      return serverHello(decodeClientHelloWithBasics(m.body), m, cx, { prev: s.traffic, request });
    },
  },
  ccs: {
    ExpectChangeCipherSpec(s, cx) {
      installKeys(cx, s.hs.suite, s.master, s.hs.clientRandom, s.hs.serverRandom, 'read', 'server');
      return { ...s, kind: 'ExpectFinished' };
    },
  },
  traffic: (s) => (s.kind === 'Traffic' ? s.traffic : undefined),
  previous: (s) => (s.kind === 'Traffic' ? undefined : s.hs.prev),
  requestRenegotiation(s, request, cx) {
    if (s.kind !== 'Traffic') throw internalError('renegotiation needs the connection in traffic');
    if (s.traffic.renegotiations >= cx.config.maxRenegotiations) throw limitExceeded('TooManyRenegotiations');
    // RFC 5246 §7.4.1.1: HelloRequest is empty and not part of any handshake's transcript.
    cx.emit(new Uint8Array([HandshakeType.HelloRequest, 0, 0, 0]), 'HelloRequest', { client_auth: request.clientAuth });
    return { kind: 'Traffic', traffic: s.traffic, requested: request };
  },
};

