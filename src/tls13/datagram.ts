/**
 * What changes in the TLS 1.3 machines when they run DTLS 1.3 (RFC 9147 §5), selected by `cx.datagram`: the
 * version numbers, the suite's label prefix and the ClientHello's form. Everything else of RFC 9147 (records,
 * epochs, ACKs, retransmission) lives in src/dtls/v13 around the machines.
 */
import { dtls13Suite, type SuiteInfo } from '../crypto/suites.js';
import type { HandshakeContext } from '../handshake/context.js';
import { ProtocolVersion } from '../wire/registry.js';

/** DTLS 1.3 in supported_versions (RFC 9147 §5.3). */
export const DTLS13 = 0xfefc;
/** DTLS 1.2: legacy_version of DTLS 1.3 hellos. */
export const DTLS12 = 0xfefd;

/** The version numbers a handshake uses: TLS's or DTLS's. */
export interface Versions {
  /** legacy_version of ClientHello and ServerHello. */
  readonly legacy: number;
  /** The 1.3 value in supported_versions. */
  readonly v13: number;
}

const TLS: Versions = { legacy: ProtocolVersion.TLS12, v13: ProtocolVersion.TLS13 };
const DTLS: Versions = { legacy: DTLS12, v13: DTLS13 };

export function versionsOf(cx: HandshakeContext): Versions {
  return cx.datagram === true ? DTLS : TLS;
}

/** The suite the key schedule runs with: the DTLS 1.3 copy ("dtls13" labels) over datagrams. */
export function scheduleSuite(cx: HandshakeContext, suite: SuiteInfo): SuiteInfo {
  return cx.datagram === true ? dtls13Suite(suite) : suite;
}
