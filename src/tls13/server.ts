/** The TLS 1.3 server (RFC 8446 §2, §4): states and one handler per state. */
import { dispatch, type HandlerTable } from '../handshake/dispatch.js';
import { expect, unexpectedMessage } from '../handshake/expect.js';
import { EMPTY, equalPublic, hex, includesBytes, latin1 } from '../codec/bytes.js';
import { encode } from '../codec/writer.js';
import { suiteById, type SuiteInfo } from '../crypto/suites.js';
import type { CertifiedKey, PreparedServerConfig } from '../vocabulary/config.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { incompatible, misbehaved } from '../errors.js';
import type { HandshakeContext } from '../handshake/context.js';
import { TranscriptBuffer, Transcript } from '../handshake/transcript.js';
import { chooseAlpn, chooseCertificate, chooseKeyExchange, chooseSuite } from '../handshake/negotiate.js';
import {
  certificateVerifyContent,
  chainFromResumption,
  noClientCertificate,
  signatureFromPsk,
  verifyCertificateVerify13,
  verifyFinished,
  verifyPeerChain,
  type CertVerified,
  type SignatureVerified,
} from '../handshake/verify.js';
import {
  checkAllowed,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeCookie,
  decodeOfferedPsks,
  decodePskModes,
  decodeRecordSizeLimit,
  decodeU16List,
  encodeAlpn,
  writeExtensions,
  encodeCertificateAuthorities,
  encodeU16List,
  findExtension,
  type KeyShareEntry,
  type OfferedPsks,
  type RawExtension,
} from '../wire/extensions.js';
import { decodeClientHelloWithBasics, type ClientHello, type DecodedClientHello } from '../wire/client-hello.js';
import { scheduleSuite, versionsOf, type Versions } from './datagram.js';
import { encodeServerHello, HRR_RANDOM } from '../wire/server-hello.js';
import {
  decodeCertificate13,
  decodeCertificateVerify,
  encodeCertificateRequest13,
  writeCertificate13Body,
  type Certificate13,
} from '../wire/certificate.js';
import { writeNewSessionTicket13Body, type NewSessionTicket13 } from '../wire/tls13-messages.js';
import { emitMessage } from '../handshake/emit.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../wire/registry.js';
import { EarlySecret, finishedVerifyData, ticketPsk, type HandshakeSecret, type MasterSecret } from './key-schedule.js';
import { openTicket, sealTicket, type SessionState } from '../handshake/tickets.js';
import { keyUpdate } from './client.js';
import type { TrafficState } from './traffic.js';
import { MAX_PSK_IDENTITIES, MAX_USED_TICKETS } from '../limits.js';
import type { KeyExchangeServerResult } from '../crypto/provider.js';

/** The server's handshake context: the engine context plus the prepared server configuration. */
export interface ServerCx extends HandshakeContext {
  readonly config: PreparedServerConfig;
  /**
   * DTLS 1.3 (RFC 9147 §5.1): a stateless server's cookie for a first ClientHello. When set, every first ClientHello
   * is answered with a HelloRetryRequest carrying this cookie (with a key_share only when the client's shares do not
   * fit), and the caller forgets the connection; the second ClientHello enters through `serverHandleCookieHello13`.
   */
  readonly statelessCookie?: (suite: SuiteInfo, group: number, keyShareInHrr: boolean, ch1Hash: Uint8Array) => Uint8Array;
}

/** What a DTLS 1.3 stateless cookie restored (src/dtls/v13/hrr-cookie.ts). */
export interface CookieHelloState {
  readonly suite: SuiteInfo;
  readonly group: number;
  readonly keyShareInHrr: boolean;
  readonly ch1Hash: Uint8Array;
  readonly cookie: Uint8Array;
}

/** The client's hello, parsed once. */
export interface ClientOffer {
  readonly hello: ClientHello;
  readonly raw: Uint8Array;
  readonly serverName: string | undefined;
  readonly groups: readonly number[];
  readonly shares: readonly KeyShareEntry[];
  readonly signatureSchemes: readonly number[];
  readonly alpn: readonly Uint8Array[] | undefined;
  readonly pskModes: readonly number[];
  readonly psks: OfferedPsks | undefined;
  readonly cookie: Uint8Array | undefined;
  readonly recordSizeLimit: number | undefined;
  readonly earlyData: boolean;
  readonly postHandshakeAuth: boolean;
  readonly statusRequest: boolean;
}

interface Negotiated {
  readonly suite: SuiteInfo;
  /** Undefined for a psk_ke resumption (no key exchange). */
  readonly group: number | undefined;
  readonly helloRetry: boolean;
}

/** TLS 1.3 server handshake states, discriminated by `kind`. */
export type ServerState13 =
  | { readonly kind: 'ExpectClientHello' }
  | {
      readonly kind: 'ExpectSecondClientHello';
      readonly first: ClientOffer;
      readonly neg: Negotiated;
      /** The group the HelloRetryRequest selected (an HRR always selects one). */
      readonly group: number;
      readonly transcript: Transcript;
      readonly cookie: Uint8Array;
      /** False when the HelloRetryRequest asked for the cookie only (DTLS 1.3 stateless): the client's shares stay. */
      readonly keyShareInHrr?: boolean;
    }
  | { readonly kind: 'ExpectCertificate'; readonly hs: ServerHs }
  | { readonly kind: 'ExpectCertificateVerify'; readonly hs: ServerHs; readonly chain: readonly Uint8Array[]; readonly certVerified: CertVerified }
  | {
      readonly kind: 'ExpectFinished';
      readonly hs: ServerHs;
      readonly chain: readonly Uint8Array[];
      readonly certVerified: CertVerified;
      readonly sigVerified: SignatureVerified;
    }
  | { readonly kind: 'Traffic'; readonly traffic: TrafficState };

/** What the handshake knows of the connection info before the client's chain (no optional fields). */
type HsInfo = Omit<ConnectionInfo, 'peerCertificates' | 'ocspResponse' | 'authorized' | 'authorizationError'>;

interface ServerHs {
  readonly offer: ClientOffer;
  readonly suite: SuiteInfo;
  readonly transcript: Transcript;
  readonly master: MasterSecret;
  readonly clientHsSecret: Uint8Array;
  readonly clientAp: Uint8Array;
  readonly serverAp: Uint8Array;
  readonly exporter: Uint8Array;
  readonly info: HsInfo;
  readonly resumedChain: readonly Uint8Array[] | undefined;
  readonly localChain: readonly Uint8Array[];
}

const TLS13 = ProtocolVersion.TLS13;
/** A NewSessionTicket's extensions: none (shared, frozen). */
const NO_EXTENSIONS: readonly RawExtension[] = Object.freeze([]);

/** Parse what a TLS 1.3 server needs from a ClientHello (strict: every known extension decoded). */
export function readClientOffer({ hello, basics }: DecodedClientHello, raw: Uint8Array): ClientOffer {
  checkAllowed(hello.extensions, 'CH');
  const get = (t: number): Uint8Array | undefined => findExtension(hello.extensions, t);
  const sharesData = get(ExtensionType.key_share);
  const modesData = get(ExtensionType.psk_key_exchange_modes);
  const pskData = get(ExtensionType.pre_shared_key);
  const cookieData = get(ExtensionType.cookie);
  const rslData = get(ExtensionType.record_size_limit);
  const groups = basics.groups ?? [];
  // RFC 8446 §4.2.8: every KeyShareEntry must be for a group in supported_groups (checked while decoding).
  const shares = sharesData !== undefined ? decodeClientKeyShares(sharesData, groups) : [];
  const psks = pskData !== undefined ? decodeOfferedPsks(pskData) : undefined;
  const pskModes = modesData !== undefined ? decodePskModes(modesData) : [];
  // RFC 8446 §4.2.9: a client offering pre_shared_key MUST also offer psk_key_exchange_modes.
  if (psks !== undefined && modesData === undefined) throw misbehaved('PskModesMissing');
  return {
    hello,
    raw,
    serverName: basics.serverName,
    groups,
    shares,
    signatureSchemes: basics.signatureSchemes ?? [],
    alpn: basics.alpn,
    pskModes,
    psks,
    cookie: cookieData !== undefined ? decodeCookie(cookieData) : undefined,
    recordSizeLimit: rslData !== undefined ? decodeRecordSizeLimit(rslData) : undefined,
    earlyData: get(ExtensionType.early_data) !== undefined,
    postHandshakeAuth: get(ExtensionType.post_handshake_auth) !== undefined,
    statusRequest: get(ExtensionType.status_request) !== undefined,
  };
}

/**
 * The extensions a second ClientHello may change (RFC 8446 §4.1.2): key_share replaced, early_data removed, cookie
 * added, pre_shared_key updated, padding changed.
 */
const MAY_CHANGE_AFTER_HRR: readonly number[] = [ExtensionType.key_share, ExtensionType.early_data, ExtensionType.cookie, ExtensionType.pre_shared_key, ExtensionType.padding];

/** RFC 8446 §4.1.2: every other extension of the second ClientHello is the first one's, same bytes, same order. */
function sameUnchangeableExtensions(first: readonly RawExtension[], second: readonly RawExtension[]): boolean {
  const a = first.filter((e) => !MAY_CHANGE_AFTER_HRR.includes(e.type));
  const b = second.filter((e) => !MAY_CHANGE_AFTER_HRR.includes(e.type));
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RawExtension;
    const y = b[i] as RawExtension;
    if (x.type !== y.type || !equalPublic(x.data, y.data)) return false;
  }
  return true;
}

/** Does this ClientHello offer TLS 1.3 (DTLS 1.3 when `version` is DTLS's)? */
export function offersTls13(hello: ClientHello, version: number = TLS13): boolean {
  const sv = findExtension(hello.extensions, ExtensionType.supported_versions);
  return sv !== undefined && decodeClientVersions(sv).includes(version);
}

/** The HelloRetryRequest (RFC 8446 §4.1.4): key_share when a group is selected, the cookie, supported_versions. */
function encodeHrr(v: Versions, sessionIdEcho: Uint8Array, suite: SuiteInfo, group: number | undefined, cookie: Uint8Array): Uint8Array {
  const exts: RawExtension[] = [];
  if (group !== undefined) exts.push({ type: ExtensionType.key_share, data: encode((w) => w.u16(group)) });
  exts.push({ type: ExtensionType.cookie, data: encode((w) => w.vec16Bytes(cookie)) });
  exts.push({ type: ExtensionType.supported_versions, data: encode((w) => w.u16(v.v13)) });
  return encodeServerHello({ legacyVersion: v.legacy, random: HRR_RANDOM, legacySessionIdEcho: sessionIdEcho, cipherSuite: suite.id, legacyCompressionMethod: 0, extensions: exts });
}

/**
 * RFC 8446 Appendix D.5: a ClientHello whose legacy_version is 0x0300 (SSL 3.0) or lower is refused with
 * protocol_version, even when supported_versions offers TLS 1.3.
 */
function checkLegacyVersion(hello: ClientHello): void {
  if (hello.legacyVersion <= ProtocolVersion.SSL3) {
    throw misbehaved('LegacyVersionInvalid', { detail: `legacy_version 0x${hello.legacyVersion.toString(16).padStart(4, '0')}` });
  }
}

function hrrCookie(cx: ServerCx, ch1Hash: Uint8Array): Uint8Array {
  return cx.provider.hmac('sha256', cx.config.cookieKey, ch1Hash);
}

/** Server, first ClientHello already decoded and found to offer TLS 1.3. */
export function serverHandleClientHello13(cx: ServerCx, decoded: DecodedClientHello, m: HandshakeMessage): ServerState13 {
  const cfg = cx.config;
  const hello = decoded.hello;
  checkLegacyVersion(hello);
  const offer = readClientOffer(decoded, m.raw);
  // RFC 8446 §4.1.2: legacy_compression_methods must be exactly [0] for TLS 1.3.
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) throw misbehaved('LegacyCompressionNotNull');
  // RFC 9147 §5.3: a DTLS 1.3 ClientHello's legacy_cookie is empty.
  if (cx.datagram === true && (hello.legacyCookie?.length ?? 0) !== 0) throw misbehaved('InvalidCookie', { detail: 'non-empty legacy_cookie' });
  const chosen = chooseSuite(cfg.suites, hello.cipherSuites, 'TLSv1.3');
  if (chosen === undefined) throw incompatible('NoCommonCipherSuite');
  const suite = scheduleSuite(cx, chosen);
  if (offer.cookie !== undefined) throw misbehaved('InvalidCookie', { detail: 'cookie in a first ClientHello' });
  if (cfg.allowPskKe && offer.psks !== undefined && offer.pskModes.includes(PSK_KE)) {
    // psk_ke when configured (RFC 8446 §4.2.9): resumption without a key exchange, no forward secrecy.
    const transcript = new TranscriptBuffer().toTranscript(cx.provider, suite.hash);
    const psk = acceptPsk(cx, offer, suite, transcript, PSK_KE);
    if (psk !== undefined) {
      cx.traceReceived('ClientHello', { psk: true, psk_ke: true });
      return continueHandshake(cx, offer, { suite, group: undefined, helloRetry: false }, transcript, undefined, psk);
    }
  }
  const kx = chooseKeyExchange(cfg.groups, offer.groups, offer.shares.map((s) => s.group));
  const group = kx?.group;
  if (group === undefined) {
    if (findExtension(hello.extensions, ExtensionType.supported_groups) === undefined) throw misbehaved('MissingSupportedGroups');
    throw incompatible('NoCommonGroup');
  }
  if (findExtension(hello.extensions, ExtensionType.key_share) === undefined) throw misbehaved('MissingKeyShare');
  cx.traceReceived('ClientHello', () => ({
    server_name: offer.serverName ?? '',
    cipher_suites: hello.cipherSuites.filter((c) => suiteById(c) !== undefined).map((c) => suiteById(c)?.name ?? ''),
    groups: offer.groups.map((g) => nameOf(NamedGroup, g)),
    key_shares: offer.shares.map((s) => nameOf(NamedGroup, s.group)),
    alpn: (offer.alpn ?? []).map(latin1),
    psk: offer.psks !== undefined,
  }));
  const share = kx?.share === true ? offer.shares.find((s) => s.group === group) : undefined;
  const stateless = cx.statelessCookie;
  if (stateless !== undefined) {
    // DTLS 1.3 (RFC 9147 §5.1): a HelloRetryRequest with a stateless cookie before anything else; nothing is kept.
    const keyShareInHrr = share === undefined;
    const cookie = stateless(suite, group, keyShareInHrr, cx.provider.hash(suite.hash, m.raw));
    cx.emit(encodeHrr(versionsOf(cx), hello.legacySessionId, suite, keyShareInHrr ? group : undefined, cookie), 'HelloRetryRequest', {
      cipher_suite: suite.name,
      selected_group: keyShareInHrr ? nameOf(NamedGroup, group) : '',
      stateless: true,
    });
    return { kind: 'ExpectClientHello' };
  }
  if (share === undefined) {
    // RFC 8446 §4.1.4: no usable share, or one for a weaker group than a hybrid one the client supports
    // (handshake/negotiate.ts chooseKeyExchange): HelloRetryRequest with a cookie.
    const transcript = TranscriptBuffer.hrrRollup(cx.provider, suite.hash, suite.hashLen, m.raw);
    const cookie = cfg.hrrCookieHook?.(m.raw) ?? hrrCookie(cx, cx.provider.hash(suite.hash, m.raw));
    const hrr = encodeHrr(versionsOf(cx), hello.legacySessionId, suite, group, cookie);
    cx.emit(hrr, 'HelloRetryRequest', { cipher_suite: suite.name, selected_group: nameOf(NamedGroup, group) });
    transcript.add(hrr);
    if (hello.legacySessionId.length > 0 && cx.datagram !== true) cx.sendChangeCipherSpec();
    // RFC 8446 §4.2.10: after an HRR, the client's 0-RTT records (protected, type application_data) are skipped.
    if (offer.earlyData) cx.setSkipEarlyData(true);
    return { kind: 'ExpectSecondClientHello', first: offer, neg: { suite, group, helloRetry: true }, group, transcript, cookie };
  }
  return continueHandshake(cx, offer, { suite, group, helloRetry: false }, new TranscriptBuffer().toTranscript(cx.provider, suite.hash), share);
}

interface AcceptedPsk {
  readonly index: number;
  readonly state: SessionState;
}

/** PskKeyExchangeMode values (RFC 8446 §4.2.9). */
const PSK_KE = 0;
const PSK_DHE_KE = 1;

/**
 * Try the client's PSKs (tickets we issued); a bad binder on a ticket we can open is fatal (§4.2.11). `mode` is
 * the key exchange mode the resumption would use: psk_dhe_ke by default, psk_ke only when the server allows it.
 */
function acceptPsk(cx: ServerCx, offer: ClientOffer, suite: SuiteInfo, transcript: Transcript, mode: number = PSK_DHE_KE): AcceptedPsk | undefined {
  const psks = offer.psks;
  if (psks === undefined || !offer.pskModes.includes(mode) || cx.config.ticketCount === 0) return undefined;
  const p = cx.provider;
  const now = p.now();
  // RFC 8446 §4.2.11 lets the server pick any identity: only the first MAX_PSK_IDENTITIES are tried (each may
  // cost a ticket decryption), so a ClientHello full of identities buys no more work than 16 (Go tries 5).
  const tried = Math.min(psks.identities.length, MAX_PSK_IDENTITIES);
  for (let i = 0; i < tried; i++) {
    const id = psks.identities[i];
    if (id === undefined) continue;
    const state = openTicket(p, cx.config.ticketKeys, id.identity);
    if (state === undefined || state.version !== TLS13 || state.suite !== suite.id) continue;
    const ageMs = now - state.issuedAt;
    if (ageMs < 0 || ageMs > state.lifetimeSeconds * 1000) continue;
    // RFC 8446 §4.2.11.1: the obfuscated age, de-obfuscated, should be close to our view of the ticket's age.
    const clientAge = (id.obfuscatedTicketAge - state.ageAdd) >>> 0;
    if (Math.abs(clientAge - ageMs) > 10_000) continue;
    if (offer.serverName !== undefined && state.serverName !== '' && state.serverName !== offer.serverName) continue;
    const raw = offer.raw;
    const truncated = raw.subarray(0, raw.length - psks.bindersLen);
    const th = transcript.currentWith(truncated);
    const early = new EarlySecret(p, suite, state.secret);
    const expected = finishedVerifyData(p, suite, early.resumptionBinderKey(), th);
    const binder = psks.binders[i] as Uint8Array;
    if (!p.equalSecret(expected, binder)) throw misbehaved('PskBinderInvalid');
    const used = cx.config.usedTickets;
    if (used !== undefined) {
      // Single-use tickets: a replayed ticket falls back to a full handshake (RFC 8446 §8.1).
      const key = hex(p.hash('sha256', id.identity));
      if (used.has(key)) continue;
      if (used.size >= MAX_USED_TICKETS) {
        for (const [k, exp] of used) if (exp < now || used.size >= MAX_USED_TICKETS) used.delete(k);
      }
      used.set(key, state.issuedAt + state.lifetimeSeconds * 1000);
    }
    return { index: i, state };
  }
  return undefined;
}

/** What the server decided from the offer before it sends anything: the PSK, the ALPN id and the certificate. */
interface FlightPlan {
  readonly offer: ClientOffer;
  readonly neg: Negotiated;
  readonly psk: AcceptedPsk | undefined;
  readonly alpn: Uint8Array | null;
  readonly chosen: { readonly cert: CertifiedKey; readonly scheme: number; readonly matchedName: boolean } | undefined;
  readonly wantClientCert: boolean;
}

/** The handshake secrets installed after the ServerHello. */
interface HandshakeKeys {
  readonly hsSecret: HandshakeSecret;
  readonly clientHs: Uint8Array;
  readonly serverHs: Uint8Array;
}

/** Choose the resumption, the ALPN id and the certificate (RFC 8446 §4.2.3, §4.2.11; RFC 7301). */
function planFlight(cx: ServerCx, offer: ClientOffer, neg: Negotiated, transcript: Transcript, pskKe: AcceptedPsk | undefined): FlightPlan {
  const cfg = cx.config;
  const hello = offer.hello;
  const psk = pskKe ?? acceptPsk(cx, offer, neg.suite, transcript);
  // RFC 8446 §4.2.3: without a PSK, signature_algorithms is required.
  if (psk === undefined && findExtension(hello.extensions, ExtensionType.signature_algorithms) === undefined) throw misbehaved('MissingSignatureAlgorithms');
  const alpn = psk?.state.alpn !== undefined && psk.state.alpn !== null && offer.alpn !== undefined && includesBytes(offer.alpn, psk.state.alpn) ? psk.state.alpn : chooseAlpn(cfg.alpn, offer.alpn);
  let chosen: FlightPlan['chosen'];
  if (psk === undefined) {
    // RFC 8446 §4.2.3: signature_algorithms_cert (else signature_algorithms) constrains the chain's signatures.
    const sac = findExtension(hello.extensions, ExtensionType.signature_algorithms_cert);
    const certSchemes = sac !== undefined ? decodeU16List(sac, 'signature_algorithms_cert') : offer.signatureSchemes;
    chosen = chooseCertificate(cfg.certificates, offer.serverName, offer.signatureSchemes, cfg.sniCallback, false, certSchemes);
  }
  return { offer, neg, psk, alpn, chosen, wantClientCert: psk === undefined && cfg.clientAuth !== 'none' };
}

/** ServerHello (RFC 8446 §4.1.3), then the compatibility-mode CCS (Appendix D.4); returns our key exchange. */
function emitServerHello(cx: ServerCx, plan: FlightPlan, transcript: Transcript, share: KeyShareEntry | undefined): KeyExchangeServerResult | undefined {
  const p = cx.provider;
  const { offer, neg, psk } = plan;
  const { suite, group } = neg;
  const hello = offer.hello;
  const kx = group !== undefined && share !== undefined ? p.keyExchangeServer(group, share.keyExchange) : undefined;
  transcript.add(offer.raw);
  const serverRandom = p.randomBytes(32);
  const v = versionsOf(cx);
  // The body (RFC 8446 §4.1.3) written in place, lengths computed: key_share (group, key_exchange) first, then
  // supported_versions (the order of RFC 8448's traces and of most stacks), then pre_shared_key (selected_identity).
  const ours = kx !== undefined && group !== undefined ? kx.publicKey : undefined;
  const shareLen = ours !== undefined ? 2 + 2 + ours.length : 0;
  const extsLen = (ours !== undefined ? 4 + shareLen : 0) + 4 + 2 + (psk !== undefined ? 4 + 2 : 0);
  const sh = emitMessage(cx, HandshakeType.ServerHello, (w) => {
    w.u16(v.legacy).bytes(serverRandom);
    w.vec8Bytes(hello.legacySessionId);
    w.u16(suite.id).u8(0).u16(extsLen);
    if (ours !== undefined) w.u16(ExtensionType.key_share).u16(shareLen).u16(group as number).vec16Bytes(ours);
    w.u16(ExtensionType.supported_versions).u16(2).u16(v.v13);
    if (psk !== undefined) w.u16(ExtensionType.pre_shared_key).u16(2).u16(psk.index);
  }, 'ServerHello', () => ({
    version: 'TLSv1.3',
    cipher_suite: suite.name,
    group: group !== undefined ? nameOf(NamedGroup, group) : 'none (psk_ke)',
    psk: psk !== undefined,
  }));
  transcript.add(sh);
  // RFC 8446 D.4: CCS right after our first flight message when the client uses compatibility mode (once).
  if (!neg.helloRetry && hello.legacySessionId.length > 0 && cx.datagram !== true) cx.sendChangeCipherSpec();
  return kx;
}

/** Derive and install the handshake traffic keys (RFC 8446 §7.1); the record limits the offer asked for. */
function installHandshakeKeys(cx: ServerCx, plan: FlightPlan, transcript: Transcript, kx: KeyExchangeServerResult | undefined): HandshakeKeys {
  const { offer, neg, psk } = plan;
  const suite = neg.suite;
  const early = new EarlySecret(cx.provider, suite, psk?.state.secret ?? null);
  const hsSecret: HandshakeSecret = early.handshakeSecret(kx?.sharedSecret ?? null);
  const th = transcript.current();
  const clientHs = hsSecret.clientHandshakeTrafficSecret(th);
  const serverHs = hsSecret.serverHandshakeTrafficSecret(th);
  const clientRandom = offer.hello.random;
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, clientHs);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', clientRandom, serverHs);
  cx.installWriteKeys13(suite, serverHs);
  cx.installReadKeys13(suite, clientHs);
  if (offer.earlyData) cx.setSkipEarlyData(true);
  if (offer.recordSizeLimit !== undefined) cx.setPeerRecordSizeLimit(Math.min(offer.recordSizeLimit, 16385) - 1);
  return { hsSecret, clientHs, serverHs };
}

/** EncryptedExtensions (RFC 8446 §4.3.1): ALPN, the server_name acknowledgement, record_size_limit. */
function emitEncryptedExtensions(cx: ServerCx, plan: FlightPlan, transcript: Transcript): void {
  const cfg = cx.config;
  const { offer, alpn, chosen } = plan;
  const ee: RawExtension[] = [];
  if (alpn !== null) ee.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encode(encodeAlpn([alpn])) });
  if (chosen?.matchedName === true) ee.push({ type: ExtensionType.server_name, data: EMPTY });
  // RFC 8449 §4: answer a client's record_size_limit with ours (2^14 + 1 when we set none), so it knows we honour it.
  if (offer.recordSizeLimit !== undefined) {
    ee.push({ type: ExtensionType.record_size_limit, data: encode((w) => w.u16(cfg.recordSizeLimit ?? 16385)) });
  }
  const exts = cfg.encryptedExtensionsHook?.(ee) ?? ee;
  const eeMsg = emitMessage(cx, HandshakeType.EncryptedExtensions, (w) => writeExtensions(w, exts), 'EncryptedExtensions', {
    alpn: alpn === null ? '' : latin1(alpn),
    server_name_ack: chosen?.matchedName === true,
  });
  transcript.add(eeMsg);
}

/** CertificateRequest (RFC 8446 §4.3.2): the schemes we verify (no RSA PKCS#1 v1.5) and our CA names. */
function emitCertificateRequest(cx: ServerCx, transcript: Transcript): void {
  const cfg = cx.config;
  const crExts: RawExtension[] = [{ type: ExtensionType.signature_algorithms, data: encode(encodeU16List(cfg.signatureSchemes.filter((s) => (s & 0xff) !== 0x01))) }];
  if (cfg.caNames.length > 0) crExts.push({ type: ExtensionType.certificate_authorities, data: encode(encodeCertificateAuthorities(cfg.caNames)) });
  const cr = emitMessage(cx, HandshakeType.CertificateRequest, (w) => writeExtensions(w.vec8Bytes(EMPTY), crExts), 'CertificateRequest', {
    certificate_authorities: cfg.caNames.length,
  });
  transcript.add(cr);
}

/** Certificate (RFC 8446 §4.4.2), with the OCSP response on the leaf when the client asked for one (§4.4.2.1). */
function emitCertificate(cx: ServerCx, offer: ClientOffer, cert: CertifiedKey, transcript: Transcript): void {
  const ocsp = offer.statusRequest ? cert.ocspResponse : undefined;
  const certificate: Certificate13 = {
    certificateRequestContext: EMPTY,
    certificateList: cert.chain.map((d, i) => ({
      certData: d,
      extensions: i === 0 && ocsp !== undefined
        ? [{ type: ExtensionType.status_request, data: encode((w) => w.u8(1).vec24Bytes(ocsp)) }]
        : [],
    })),
  };
  const certMsg = emitMessage(cx, HandshakeType.Certificate, (w) => writeCertificate13Body(w, certificate), 'Certificate', {
    certificates: cert.chain.length,
    ocsp: ocsp !== undefined,
  });
  transcript.add(certMsg);
}

/** CertificateVerify (RFC 8446 §4.4.3): our signature over the transcript so far. */
function emitCertificateVerify(cx: ServerCx, cert: CertifiedKey, scheme: number, transcript: Transcript): void {
  const sig = cert.key.sign(scheme, certificateVerifyContent(true, transcript.current()));
  const cv = emitMessage(cx, HandshakeType.CertificateVerify, (w) => w.u16(scheme).vec16Bytes(sig), 'CertificateVerify', () => ({
    algorithm: nameOf(SignatureScheme, scheme),
  }));
  transcript.add(cv);
}

/** Finished (RFC 8446 §4.4.4) under the server handshake traffic secret. */
function emitFinished(cx: ServerCx, suite: SuiteInfo, serverHs: Uint8Array, transcript: Transcript): void {
  const verifyData = finishedVerifyData(cx.provider, suite, serverHs, transcript.current());
  transcript.add(emitMessage(cx, HandshakeType.Finished, (w) => w.bytes(verifyData), 'Finished'));
}

/**
 * Derive the application traffic and exporter secrets (RFC 8446 §7.1), install our write key (the client's read
 * key waits for its Finished) and return what the rest of the handshake needs.
 */
function installApplicationKeys(cx: ServerCx, plan: FlightPlan, transcript: Transcript, keys: HandshakeKeys): ServerHs {
  const { offer, neg, psk, alpn, chosen } = plan;
  const { suite, group } = neg;
  const clientRandom = offer.hello.random;
  const thSf = transcript.current();
  const master = keys.hsSecret.masterSecret();
  const clientAp = master.clientApplicationTrafficSecret(thSf);
  const serverAp = master.serverApplicationTrafficSecret(thSf);
  const exporter = master.exporterMasterSecret(thSf);
  cx.keyLog('CLIENT_TRAFFIC_SECRET_0', clientRandom, clientAp);
  cx.keyLog('SERVER_TRAFFIC_SECRET_0', clientRandom, serverAp);
  cx.keyLog('EXPORTER_SECRET', clientRandom, exporter);
  cx.installWriteKeys13(suite, serverAp);
  return {
    offer,
    suite,
    transcript,
    master,
    clientHsSecret: keys.clientHs,
    clientAp,
    serverAp,
    exporter,
    info: {
      version: 'TLSv1.3',
      cipherSuite: suite.id,
      cipherName: suite.name,
      group,
      groupName: group !== undefined ? nameOf(NamedGroup, group) : undefined,
      signatureScheme: chosen?.scheme,
      alpn,
      alpnProtocol: alpn === null ? null : latin1(alpn),
      serverName: offer.serverName ?? null,
      resumed: psk !== undefined,
      helloRetry: neg.helloRetry,
    },
    resumedChain: psk?.state.peerChain,
    localChain: chosen?.cert.chain ?? [],
  };
}

/** The state after our flight: the client's Certificate when we asked for one, else its Finished. */
function awaitClientFlight(plan: FlightPlan, hs: ServerHs): ServerState13 {
  const psk = plan.psk;
  if (psk !== undefined) {
    return { kind: 'ExpectFinished', hs, chain: psk.state.peerChain, certVerified: chainFromResumption(), sigVerified: signatureFromPsk() };
  }
  if (plan.wantClientCert) return { kind: 'ExpectCertificate', hs };
  const none = noClientCertificate();
  return { kind: 'ExpectFinished', hs, chain: [], certVerified: none, sigVerified: none };
}

/**
 * The server's flight after a ClientHello it accepts (RFC 8446 §2, Figure 1), as named steps in wire order:
 * ServerHello, [CCS], EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished.
 */
function continueHandshake(
  cx: ServerCx,
  offer: ClientOffer,
  neg: Negotiated,
  transcript: Transcript,
  share: KeyShareEntry | undefined,
  pskKe?: AcceptedPsk,
): ServerState13 {
  const plan = planFlight(cx, offer, neg, transcript, pskKe);
  const kx = emitServerHello(cx, plan, transcript, share);
  const keys = installHandshakeKeys(cx, plan, transcript, kx);
  emitEncryptedExtensions(cx, plan, transcript);
  if (plan.wantClientCert) emitCertificateRequest(cx, transcript);
  if (plan.chosen !== undefined) {
    emitCertificate(cx, offer, plan.chosen.cert, transcript);
    emitCertificateVerify(cx, plan.chosen.cert, plan.chosen.scheme, transcript);
  }
  emitFinished(cx, neg.suite, keys.serverHs, transcript);
  return awaitClientFlight(plan, installApplicationKeys(cx, plan, transcript, keys));
}

/** The connection info with the client's chain: an explicit literal (faster here than a spread). */
function withPeerChain(i: HsInfo, peerCertificates: readonly Uint8Array[]): ConnectionInfo {
  return {
    version: i.version,
    cipherSuite: i.cipherSuite,
    cipherName: i.cipherName,
    group: i.group,
    groupName: i.groupName,
    signatureScheme: i.signatureScheme,
    alpn: i.alpn,
    alpnProtocol: i.alpnProtocol,
    serverName: i.serverName,
    peerCertificates,
    resumed: i.resumed,
    helloRetry: i.helloRetry,
  };
}

const handlers: HandlerTable<ServerState13, [HandshakeMessage, ServerCx], ServerState13> = {
  ExpectClientHello(_s, m, cx) {
    expect(m, HandshakeType.ClientHello);
    return serverHandleClientHello13(cx, decodeClientHelloWithBasics(m.body, cx.datagram === true), m);
  },

  ExpectSecondClientHello(s, m, cx) {
    expect(m, HandshakeType.ClientHello);
    // The early data skipped after the HelloRetryRequest ends with the second ClientHello (RFC 8446 §4.2.10).
    cx.setSkipEarlyData(false);
    const decoded = decodeClientHelloWithBasics(m.body, cx.datagram === true);
    const hello = decoded.hello;
    checkLegacyVersion(hello);
    const offer = readClientOffer(decoded, m.raw);
    const first = s.first.hello;
    // RFC 8446 §4.1.2: the second ClientHello must match the first except for key_share, cookie, early_data, pre_shared_key, padding.
    if (!offersTls13(hello, versionsOf(cx).v13)) throw misbehaved('SecondClientHelloChangedParameters', { detail: 'supported_versions' });
    if (!equalPublic(hello.random, first.random) || !equalPublic(hello.legacySessionId, first.legacySessionId)) {
      throw misbehaved('SecondClientHelloChangedParameters', { detail: 'random or legacy_session_id' });
    }
    if (hello.cipherSuites.length !== first.cipherSuites.length || hello.cipherSuites.some((c, i) => c !== first.cipherSuites[i])) {
      throw misbehaved('SecondClientHelloChangedParameters', { detail: 'cipher_suites' });
    }
    if ((offer.serverName ?? '') !== (s.first.serverName ?? '')) throw misbehaved('SecondClientHelloChangedParameters', { detail: 'server_name' });
    if (hello.legacyVersion !== first.legacyVersion || !equalPublic(hello.legacyCompressionMethods, first.legacyCompressionMethods)) {
      throw misbehaved('SecondClientHelloChangedParameters', { detail: 'legacy_version or legacy_compression_methods' });
    }
    if (!sameUnchangeableExtensions(first.extensions, hello.extensions)) throw misbehaved('SecondClientHelloChangedParameters', { detail: 'extensions' });
    if (offer.earlyData) throw misbehaved('SecondClientHelloChangedParameters', { detail: 'early_data after HelloRetryRequest' });
    if (offer.cookie === undefined || !cx.provider.equalSecret(offer.cookie, s.cookie)) throw misbehaved('InvalidCookie');
    // RFC 8446 §4.2.8: exactly one KeyShareEntry, for the group the HRR selected.
    // After a cookie-only HelloRetryRequest (DTLS 1.3 stateless) the client keeps its shares: one is for the group.
    const group = s.group;
    const share = s.keyShareInHrr === false ? offer.shares.find((x) => x.group === group) : offer.shares.length === 1 ? offer.shares[0] : undefined;
    if (share?.group !== group) throw misbehaved('SecondClientHelloWrongKeyShare');
    if (!offer.groups.includes(group)) throw misbehaved('SecondClientHelloChangedParameters', { detail: 'supported_groups' });
    cx.traceReceived('ClientHello', { retry: true, key_shares: [nameOf(NamedGroup, group)] });
    return continueHandshake(cx, offer, s.neg, s.transcript, share);
  },

  ExpectCertificate(s, m, cx) {
    expect(m, HandshakeType.Certificate);
    cx.setSkipEarlyData(false);
    const c = decodeCertificate13(m.body);
    if (c.certificateRequestContext.length !== 0) throw misbehaved('CertificateRequestContextMismatch');
    for (const e of c.certificateList) checkAllowed(e.extensions, 'CT');
    cx.traceReceived('Certificate', { certificates: c.certificateList.length });
    s.hs.transcript.add(m.raw);
    if (c.certificateList.length === 0) {
      // RFC 8446 §4.4.2.4: no certificate when one is required → certificate_required.
      if (cx.config.clientAuth === 'required') throw incompatible('ClientCertificateRequired');
      const none = noClientCertificate();
      return { kind: 'ExpectFinished', hs: s.hs, chain: [], certVerified: none, sigVerified: none };
    }
    const chain = c.certificateList.map((e) => e.certData);
    const certVerified = verifyPeerChain(chain, { verifier: cx.config.verifier, time: cx.provider.now(), usage: 'clientAuth' });
    return { kind: 'ExpectCertificateVerify', hs: s.hs, chain, certVerified };
  },

  ExpectCertificateVerify(s, m, cx) {
    expect(m, HandshakeType.CertificateVerify);
    const cv = decodeCertificateVerify(m.body);
    const offered = cx.config.signatureSchemes.filter((x) => (x & 0xff) !== 0x01);
    const sigVerified = verifyCertificateVerify13(cx.provider, s.chain[0] as Uint8Array, cv.algorithm, cv.signature, offered, false, s.hs.transcript.current());
    cx.traceReceived('CertificateVerify', { algorithm: nameOf(SignatureScheme, cv.algorithm) });
    s.hs.transcript.add(m.raw);
    return { kind: 'ExpectFinished', hs: s.hs, chain: s.chain, certVerified: s.certVerified, sigVerified };
  },

  ExpectFinished(s, m, cx) {
    expect(m, HandshakeType.Finished);
    cx.setSkipEarlyData(false);
    const p = cx.provider;
    const { hs } = s;
    const fin = verifyFinished(p, finishedVerifyData(p, hs.suite, hs.clientHsSecret, hs.transcript.current()), m.body);
    cx.traceReceived('Finished', {});
    hs.transcript.add(m.raw);
    cx.installReadKeys13(hs.suite, hs.clientAp);
    const resumption = hs.master.resumptionMasterSecret(hs.transcript.current());
    const info = withPeerChain(hs.info, s.chain);
    const traffic: TrafficState = {
      proof: { cert: s.certVerified, sig: s.sigVerified, fin },
      suite: hs.suite,
      clientSecret: hs.clientAp,
      serverSecret: hs.serverAp,
      exporterSecret: hs.exporter,
      resumptionSecret: resumption,
      transcript: hs.transcript,
      info,
      clientRandom: hs.offer.hello.random,
      localChain: hs.localChain,
      postHandshakeRequests: new Map(),
      pendingClientAuth: undefined,
      postHandshakeAuth: hs.offer.postHandshakeAuth,
    };
    sendTickets(cx, traffic, info.resumed ? cx.config.resumptionTicketCount : cx.config.ticketCount);
    return { kind: 'Traffic', traffic };
  },

  Traffic(s, m, cx) {
    return serverPostHandshake(s, m, cx);
  },
};

/** The ticket_nonce of a connection's first tickets: 0, 1, ... (one byte each; shared, never modified). */
const TICKET_NONCES: readonly Uint8Array[] = Object.freeze(Array.from({ length: 8 }, (_, i) => Uint8Array.of(i)));

/** Issue `count` NewSessionTickets (RFC 8446 §4.6.1). */
export function sendTickets(cx: ServerCx, t: TrafficState, count: number): void {
  const p = cx.provider;
  const lifetime = cx.config.ticketLifetime;
  for (let i = 0; i < count; i++) {
    const nonce = TICKET_NONCES[i] ?? Uint8Array.of(i);
    const r = p.randomBytes(4);
    const ageAdd = (((r[0] as number) << 24) | ((r[1] as number) << 16) | ((r[2] as number) << 8) | (r[3] as number)) >>> 0;
    const state: SessionState = {
      version: TLS13,
      suite: t.suite.id,
      secret: ticketPsk(p, t.suite, t.resumptionSecret, nonce),
      issuedAt: p.now(),
      lifetimeSeconds: lifetime,
      ageAdd,
      alpn: t.info.alpn,
      serverName: t.info.serverName ?? '',
      peerChain: t.info.peerCertificates,
      extendedMasterSecret: false,
    };
    const ticket = sealTicket(p, cx.config.ticketKeys, state);
    cx.config.onTicketIssued?.(ticket, lifetime);
    const nst: NewSessionTicket13 = { ticketLifetime: lifetime, ticketAgeAdd: ageAdd, ticketNonce: nonce, ticket, extensions: NO_EXTENSIONS };
    emitMessage(cx, HandshakeType.NewSessionTicket, (w) => writeNewSessionTicket13Body(w, nst), 'NewSessionTicket', { lifetime });
  }
}

/** Server side of post-handshake messages: KeyUpdate, and the answer to a post-handshake CertificateRequest. */
function serverPostHandshake(s: Extract<ServerState13, { kind: 'Traffic' }>, m: HandshakeMessage, cx: ServerCx): ServerState13 {
  const t = s.traffic;
  if (m.type === HandshakeType.KeyUpdate && t.pendingClientAuth === undefined) {
    return { kind: 'Traffic', traffic: keyUpdate(t, m, cx, 'server') };
  }
  const pending = t.pendingClientAuth;
  if (pending === undefined) throw unexpectedMessage(m, ['KeyUpdate']);
  const p = cx.provider;
  switch (pending.stage) {
    case 'Certificate': {
      expect(m, HandshakeType.Certificate);
      const c = decodeCertificate13(m.body);
      if (hex(c.certificateRequestContext) !== pending.context) throw misbehaved('CertificateRequestContextMismatch');
      cx.traceReceived('Certificate', { certificates: c.certificateList.length, post_handshake: true });
      pending.transcript.add(m.raw);
      if (c.certificateList.length === 0) {
        if (cx.config.clientAuth === 'required') throw incompatible('ClientCertificateRequired');
        return { kind: 'Traffic', traffic: { ...t, pendingClientAuth: { ...pending, chain: [], stage: 'Finished' } } };
      }
      const chain = c.certificateList.map((e) => e.certData);
      verifyPeerChain(chain, { verifier: cx.config.verifier, time: p.now(), usage: 'clientAuth' });
      return { kind: 'Traffic', traffic: { ...t, pendingClientAuth: { ...pending, chain, stage: 'CertificateVerify' } } };
    }
    case 'CertificateVerify': {
      expect(m, HandshakeType.CertificateVerify);
      const cv = decodeCertificateVerify(m.body);
      const chain = pending.chain ?? [];
      const offered = cx.config.signatureSchemes.filter((x) => (x & 0xff) !== 0x01);
      verifyCertificateVerify13(p, chain[0] as Uint8Array, cv.algorithm, cv.signature, offered, false, pending.transcript.current());
      cx.traceReceived('CertificateVerify', { algorithm: nameOf(SignatureScheme, cv.algorithm) });
      pending.transcript.add(m.raw);
      return { kind: 'Traffic', traffic: { ...t, pendingClientAuth: { ...pending, stage: 'Finished' } } };
    }
    case 'Finished': {
      expect(m, HandshakeType.Finished);
      verifyFinished(p, finishedVerifyData(p, t.suite, t.clientSecret, pending.transcript.current()), m.body);
      cx.traceReceived('Finished', { post_handshake: true });
      const chain = pending.chain ?? [];
      cx.event({ type: 'PeerCertificateUpdated', chain });
      const info: ConnectionInfo = { ...t.info, peerCertificates: chain.length > 0 ? chain : t.info.peerCertificates };
      return { kind: 'Traffic', traffic: { ...t, info, pendingClientAuth: undefined } };
    }
  }
}

/** Server: send a post-handshake CertificateRequest (RFC 8446 §4.6.2). */
export function requestClientCertificate(cx: ServerCx, t: TrafficState): TrafficState {
  if (!t.postHandshakeAuth) throw incompatible('ClientCertificateRequired', { detail: 'the client did not offer post_handshake_auth' });
  const context = cx.provider.randomBytes(16);
  const cfg = cx.config;
  const crExts: RawExtension[] = [{ type: ExtensionType.signature_algorithms, data: encode(encodeU16List(cfg.signatureSchemes.filter((s) => (s & 0xff) !== 0x01))) }];
  if (cfg.caNames.length > 0) crExts.push({ type: ExtensionType.certificate_authorities, data: encode(encodeCertificateAuthorities(cfg.caNames)) });
  const cr = encodeCertificateRequest13({ certificateRequestContext: context, extensions: crExts });
  cx.emit(cr, 'CertificateRequest', { post_handshake: true });
  const transcript = t.transcript.fork();
  transcript.add(cr);
  return { ...t, pendingClientAuth: { context: hex(context), transcript, chain: undefined, stage: 'Certificate' } };
}

/** Dispatch a handshake message to the server's current state. */
/**
 * DTLS 1.3, stateless server (RFC 9147 §5.1): a second ClientHello whose cookie the caller opened and verified. The
 * transcript is rebuilt from the cookie (message_hash of ClientHello1, then the HelloRetryRequest, re-encoded as it
 * was sent) and the hello is checked as a second ClientHello against itself: the first is gone, and the cookie's
 * MAC binds its hash, the suite and the group.
 */
export function serverHandleCookieHello13(cx: ServerCx, m: HandshakeMessage, state: CookieHelloState): ServerState13 {
  expect(m, HandshakeType.ClientHello);
  const decoded = decodeClientHelloWithBasics(m.body, cx.datagram === true);
  const hello = decoded.hello;
  const offer = readClientOffer(decoded, m.raw);
  const suite = scheduleSuite(cx, state.suite);
  if (!hello.cipherSuites.includes(suite.id) || !cx.config.suites.some((x) => x.id === suite.id)) throw misbehaved('InvalidCookie', { detail: 'suite' });
  const transcript = new TranscriptBuffer().toTranscript(cx.provider, suite.hash);
  const synthetic = new Uint8Array(4 + suite.hashLen);
  synthetic[0] = HandshakeType.MessageHash;
  synthetic[3] = suite.hashLen;
  synthetic.set(state.ch1Hash, 4);
  transcript.add(synthetic);
  transcript.add(encodeHrr(versionsOf(cx), hello.legacySessionId, suite, state.keyShareInHrr ? state.group : undefined, state.cookie));
  const first = { ...offer, cookie: undefined };
  return handlers.ExpectSecondClientHello({ kind: 'ExpectSecondClientHello', first, neg: { suite, group: state.group, helloRetry: true }, group: state.group, transcript, cookie: state.cookie, keyShareInHrr: state.keyShareInHrr }, m, cx);
}

export function serverHandle13(s: ServerState13, m: HandshakeMessage, cx: ServerCx): ServerState13 {
  return dispatch(handlers, s, m, cx);
}

