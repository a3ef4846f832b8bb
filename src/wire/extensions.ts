/**
 * Extensions: the raw list (duplicate check, count limit) and per-extension decoders/encoders. Unknown extensions
 * (GREASE included, RFC 8701) are kept raw and skipped by the state machines.
 */
import { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { fromUtf8, utf8 } from '../codec/bytes.js';
import { decodeError, limitExceeded, misbehaved } from '../errors.js';
import { MAX_EXTENSIONS } from '../limits.js';
import { ExtensionType, NamedGroup } from './registry.js';

/** One extension as received. */
export interface RawExtension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Up to this many extensions, duplicates are found by scanning the ones read (fewer than MAX_EXTENSIONS). */
const SMALL_LIST = 16;

/** Extension types some part of the engine reads; every other type is opaque to us. */
const KNOWN_EXTENSIONS: ReadonlySet<number> = new Set<number>(Object.values(ExtensionType));

/**
 * Read the extensions vector; duplicates are illegal_parameter (RFC 8446 §4.2).
 *
 * RFC 8446 sets no bound on how many extensions a ClientHello carries, so with `skipSurplusUnknown` (ClientHello)
 * every extension is checked (type, length, duplicate) but what is stored is bounded: every known extension, the
 * first MAX_EXTENSIONS unknown ones (GREASE and the like) and the last one (so "pre_shared_key is last" is still
 * checked); the rest are skipped. Without it (messages from a server, which may only echo what we offered), more
 * than MAX_EXTENSIONS is refused.
 */
export function readExtensions(r: Reader, skipSurplusUnknown = false): RawExtension[] {
  const v = r.vec16('extensions');
  // Duplicates: the first SMALL_LIST extensions are all stored (skipping starts after MAX_EXTENSIONS unknown ones),
  // so they are checked against `out` (no Set for the usual few); from then on, a Set of every type seen.
  let seen: Set<number> | undefined;
  let count = 0;
  const out: RawExtension[] = [];
  let unknown = 0;
  while (v.remaining > 0) {
    const type = v.u16('extension_type');
    const data = v.vec16Bytes('extension_data');
    if (seen === undefined) {
      for (let i = 0; i < out.length; i++) if ((out[i] as RawExtension).type === type) throw misbehaved('DuplicateExtension', { detail: `extension ${type}` });
      if (++count === SMALL_LIST) {
        seen = new Set<number>();
        for (let i = 0; i < out.length; i++) seen.add((out[i] as RawExtension).type);
        seen.add(type);
      }
    } else {
      if (seen.has(type)) throw misbehaved('DuplicateExtension', { detail: `extension ${type}` });
      seen.add(type);
    }
    const known = KNOWN_EXTENSIONS.has(type);
    if (!known && ++unknown > MAX_EXTENSIONS) {
      if (!skipSurplusUnknown) throw limitExceeded('TooManyExtensions');
      if (v.remaining > 0) continue;
    }
    if (!skipSurplusUnknown && out.length >= MAX_EXTENSIONS) throw limitExceeded('TooManyExtensions');
    out.push({ type, data });
  }
  return out;
}

/** Write an extension list. */
export function writeExtensions(w: Writer, exts: readonly RawExtension[]): void {
  w.vec16((w) => {
    for (const e of exts) w.u16(e.type).vec16Bytes(e.data);
  });
}

/** The body of the extension of `type` in `exts`, or undefined. */
export function findExtension(exts: readonly RawExtension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

function sub(data: Uint8Array, name: string): Reader {
  return new Reader(data, name);
}

/** server_name (RFC 6066 §3): a host_name; returns undefined for an empty (server-side ack) body. */
export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const r = sub(data, 'server_name');
  const list = r.vec16('server_name_list', { min: 1 });
  r.expectEnd();
  let host: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8('name_type');
    const name = list.vec16Bytes('host_name', { min: 1 });
    if (nameType !== 0) continue;
    // RFC 6066 §3: at most one name of a type; a literal IP address is not permitted; no trailing dot.
    if (host !== undefined) throw misbehaved('InvalidServerName', { detail: 'two host names' });
    for (const c of name) {
      if (c <= 0x20 || c >= 0x7f) throw misbehaved('InvalidServerName', { detail: 'non-printable host name' });
    }
    host = fromUtf8(name).toLowerCase();
  }
  return host;
}

/** server_name body (RFC 6066 §3): one host_name entry. */
export function encodeServerName(host: string): (w: Writer) => void {
  const b = utf8(host);
  return (w) => w.vec16((w) => w.u8(0).vec16Bytes(b));
}

/** A u16 list with a u16 length (supported_groups, signature_algorithms). */
export function decodeU16List(data: Uint8Array, name: string): number[] {
  const r = sub(data, name);
  const v = r.vec16(name, { min: 2 });
  r.expectEnd();
  if (v.remaining % 2 !== 0) throw decodeError(name, 'odd length');
  return v.u16List('item');
}

/** A u16 list with a u16 length (supported_groups, signature_algorithms). */
export function encodeU16List(values: readonly number[]): (w: Writer) => void {
  return (w) => w.vec16((w) => { for (const v of values) w.u16(v); });
}

/**
 * ALPN protocol_name_list (RFC 7301 §3.1): non-empty names, non-empty list, as many as its 16-bit length holds
 * (the work, a copy per name and a match against our few, is linear in those bytes).
 */
export function decodeAlpn(data: Uint8Array): Uint8Array[] {
  const r = sub(data, 'application_layer_protocol_negotiation');
  const v = r.vec16('protocol_name_list', { min: 2 });
  r.expectEnd();
  return v.list((e) => e.vec8Bytes('protocol_name', { min: 1 }).slice());
}

/** ALPN protocol_name_list body (RFC 7301 §3.1). */
export function encodeAlpn(protocols: readonly Uint8Array[]): (w: Writer) => void {
  return (w) => w.vec16((w) => { for (const p of protocols) w.vec8Bytes(p); });
}

/** supported_versions in a ClientHello: a u8-length list of u16. */
export function decodeClientVersions(data: Uint8Array): number[] {
  const r = sub(data, 'supported_versions');
  const v = r.vec8('versions', { min: 2, max: 254 });
  r.expectEnd();
  if (v.remaining % 2 !== 0) throw decodeError('supported_versions', 'odd length');
  return v.u16List('version');
}

/** supported_versions in a ServerHello: one u16. */
export function decodeServerVersion(data: Uint8Array): number {
  const r = sub(data, 'supported_versions');
  const v = r.u16('selected_version');
  r.expectEnd();
  return v;
}

/** One KeyShareEntry. */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

/** Group ids some part of the engine knows; shares for other groups are checked but never stored. */
const KNOWN_GROUPS: ReadonlySet<number> = new Set<number>(Object.values(NamedGroup));

/**
 * ClientHello key_share (RFC 8446 §4.2.8): every entry is checked (a non-empty key_exchange, decode_error; one
 * entry per group and each in `supportedGroups`, illegal_parameter), however many there are; only the entries for
 * groups we know are kept (at most one per group), so what is stored stays small whatever the client sends.
 */
export function decodeClientKeyShares(data: Uint8Array, supportedGroups: readonly number[]): KeyShareEntry[] {
  const r = sub(data, 'key_share');
  const v = r.vec16('client_shares');
  r.expectEnd();
  // Sets only for long lists (the work stays linear in the peer's bytes); a few entries are scanned.
  const supported = supportedGroups.length > SMALL_LIST ? new Set(supportedGroups) : undefined;
  const seenFew: number[] = [];
  let seen: Set<number> | undefined;
  const out: KeyShareEntry[] = [];
  while (v.remaining > 0) {
    const group = v.u16('group');
    const keyExchange = v.vec16Bytes('key_exchange', { min: 1 });
    // RFC 8446 §4.2.8: clients MUST NOT offer multiple KeyShareEntry values for the same group, and each must be
    // for a group in supported_groups.
    if (seen === undefined) {
      if (seenFew.includes(group)) throw misbehaved('DuplicateKeyShare');
      seenFew.push(group);
      if (seenFew.length === SMALL_LIST) seen = new Set(seenFew);
    } else {
      if (seen.has(group)) throw misbehaved('DuplicateKeyShare');
      seen.add(group);
    }
    if (supported !== undefined ? !supported.has(group) : !supportedGroups.includes(group)) throw misbehaved('KeyShareNotInSupportedGroups');
    if (KNOWN_GROUPS.has(group)) out.push({ group, keyExchange });
  }
  return out;
}

/** ClientHello key_share body (RFC 8446 §4.2.8). */
export function encodeClientKeyShares(shares: readonly KeyShareEntry[]): (w: Writer) => void {
  return (w) => w.vec16((w) => { for (const s of shares) w.u16(s.group).vec16Bytes(s.keyExchange); });
}

/** ServerHello key_share: one entry. */
export function decodeServerKeyShare(data: Uint8Array): KeyShareEntry {
  const r = sub(data, 'key_share');
  const group = r.u16('group');
  const keyExchange = r.vec16Bytes('key_exchange', { min: 1 });
  r.expectEnd();
  return { group, keyExchange };
}

/** HelloRetryRequest key_share: the selected group. */
export function decodeHrrKeyShare(data: Uint8Array): number {
  const r = sub(data, 'key_share');
  const g = r.u16('selected_group');
  r.expectEnd();
  return g;
}

/** cookie (RFC 8446 §4.2.2): a non-empty opaque value. */
export function decodeCookie(data: Uint8Array): Uint8Array {
  const r = sub(data, 'cookie');
  const c = r.vec16Bytes('cookie', { min: 1 });
  r.expectEnd();
  return c;
}

/** psk_key_exchange_modes (RFC 8446 §4.2.9): a non-empty u8 list; unknown modes are kept. */
export function decodePskModes(data: Uint8Array): number[] {
  const r = sub(data, 'psk_key_exchange_modes');
  const v = r.vec8('ke_modes', { min: 1 });
  r.expectEnd();
  return v.list((e) => e.u8('mode'));
}

/** record_size_limit (RFC 8449 §4): a u16 ≥ 64. */
export function decodeRecordSizeLimit(data: Uint8Array): number {
  const r = sub(data, 'record_size_limit');
  const v = r.u16('record_size_limit');
  r.expectEnd();
  if (v < 64) throw misbehaved('InvalidRecordSizeLimit');
  return v;
}

/** An offered PSK identity. */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** pre_shared_key in a ClientHello. `bindersLen` is the length of the binders vector including its 2-byte prefix. */
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
  readonly bindersLen: number;
}

/**
 * ClientHello pre_shared_key (RFC 8446 §4.2.11); a binder count that differs from the identity count is
 * illegal_parameter, other malformations decode_error. Every identity the 16-bit lengths hold is decoded (the
 * server tries only the first MAX_PSK_IDENTITIES: that is what bounds its work, not a refusal).
 */
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = sub(data, 'pre_shared_key');
  const ids = r.vec16('identities', { min: 7 });
  const identities = ids.list((e) => ({
    identity: e.vec16Bytes('identity', { min: 1 }),
    obfuscatedTicketAge: e.u32('obfuscated_ticket_age'),
  }));
  const before = r.remaining;
  const bs = r.vec16('binders', { min: 33 });
  const binders = bs.list((e) => e.vec8Bytes('binder', { min: 32 }));
  r.expectEnd();
  // RFC 8446 §4.2.11: one binder per identity.
  if (binders.length !== identities.length) throw misbehaved('PskBinderInvalid', { alert: 'illegal_parameter', detail: 'binder count' });
  return { identities, binders, bindersLen: before };
}

/** ServerHello pre_shared_key (RFC 8446 §4.2.11): the selected identity index. */
export function decodeSelectedPsk(data: Uint8Array): number {
  const r = sub(data, 'pre_shared_key');
  const v = r.u16('selected_identity');
  r.expectEnd();
  return v;
}

/**
 * certificate_authorities (RFC 8446 §4.2.4): DistinguishedName list, bounded by its 16-bit length only (a server
 * listing its whole trust store sends hundreds of names; the work is linear in the bytes).
 */
export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  const r = sub(data, 'certificate_authorities');
  const v = r.vec16('authorities', { min: 3 });
  r.expectEnd();
  return v.list((e) => e.vec16Bytes('DistinguishedName', { min: 1 }));
}

/** certificate_authorities body (RFC 8446 §4.2.4) from DER distinguished names. */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): (w: Writer) => void {
  return (w) => w.vec16((w) => { for (const n of names) w.vec16Bytes(n); });
}


/**
 * RFC 8446 §4.2 table: in which TLS 1.3 messages each known extension may appear. CH = ClientHello,
 * SH = ServerHello, HRR, EE = EncryptedExtensions, CT = Certificate entry, CR = CertificateRequest,
 * NST = NewSessionTicket.
 */
export type Tls13Message = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';
/** Extension type → the TLS 1.3 messages it may appear in (RFC 8446 §4.2); unlisted types are not restricted by message. */
export const ALLOWED_IN: Readonly<Record<number, readonly Tls13Message[]>> = {
  [ExtensionType.server_name]: ['CH', 'EE'],
  [ExtensionType.max_fragment_length]: ['CH', 'EE'],
  [ExtensionType.status_request]: ['CH', 'CR', 'CT'],
  [ExtensionType.supported_groups]: ['CH', 'EE'],
  [ExtensionType.signature_algorithms]: ['CH', 'CR'],
  [ExtensionType.use_srtp]: ['CH', 'EE'],
  [ExtensionType.heartbeat]: ['CH', 'EE'],
  [ExtensionType.application_layer_protocol_negotiation]: ['CH', 'EE'],
  [ExtensionType.signed_certificate_timestamp]: ['CH', 'CR', 'CT'],
  [ExtensionType.padding]: ['CH'],
  [ExtensionType.record_size_limit]: ['CH', 'EE'],
  [ExtensionType.pre_shared_key]: ['CH', 'SH'],
  [ExtensionType.early_data]: ['CH', 'EE', 'NST'],
  [ExtensionType.supported_versions]: ['CH', 'SH', 'HRR'],
  [ExtensionType.cookie]: ['CH', 'HRR'],
  [ExtensionType.psk_key_exchange_modes]: ['CH'],
  [ExtensionType.certificate_authorities]: ['CH', 'CR'],
  [ExtensionType.oid_filters]: ['CR'],
  [ExtensionType.post_handshake_auth]: ['CH'],
  [ExtensionType.signature_algorithms_cert]: ['CH', 'CR'],
  [ExtensionType.key_share]: ['CH', 'SH', 'HRR'],
};

/**
 * Check a received extension list against the §4.2 table. Known extensions in the wrong message are
 * illegal_parameter; for server messages, anything the client did not offer is unsupported_extension (§4.2).
 */
export function checkAllowed(exts: readonly RawExtension[], where: Tls13Message, offered?: ReadonlySet<number>): void {
  for (const e of exts) {
    const allowed = ALLOWED_IN[e.type];
    if (offered !== undefined && !offered.has(e.type)) {
      // The cookie in an HRR is the one extension a server may send unsolicited (§4.2.2).
      if (!(where === 'HRR' && e.type === ExtensionType.cookie)) throw misbehaved('UnsolicitedExtension', { detail: `extension ${e.type} in ${where}` });
    }
    if (allowed !== undefined && !allowed.includes(where)) {
      throw misbehaved('ExtensionNotAllowedHere', { detail: `extension ${e.type} in ${where}` });
    }
  }
}
