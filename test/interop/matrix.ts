/**
 * The TLS 1.3 interop matrix as data (DESIGN.md C.12 item 8): the tests in test/interop/tls13-*.test.ts run exactly
 * these cases, and the README's interop table is generated from the same list (`interopTable()`), so it stays true.
 *
 * To keep the run short on 2 cores, each suite and each group appears once per peer and role (not suite × group),
 * and the 1 MiB transfer runs once per peer and role.
 */

export type PeerName = 'openssl' | 'gnutls' | 'java' | 'node';
export type OurRole = 'server' | 'client';
export type SuiteName = 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1';
export type CertName = 'p256' | 'p384' | 'rsa2048' | 'ed25519';

/** What a case exercises. */
export type Feature =
  | 'suite' // this cipher suite, forced on both sides
  | 'group' // this key-exchange group, forced on both sides
  | 'cert' // this server certificate key type
  | 'alpn' // ALPN: the server picks h2 from the client's list
  | 'sni' // the server picks between two certificates by SNI (alt.test)
  | 'hrr' // HelloRetryRequest forced by the server's group preference
  | 'keyupdate-ours' // we send KeyUpdate (update_requested), data flows both ways after it
  | 'keyupdate-peer' // the peer sends KeyUpdate, data flows both ways after it
  | 'transfer'; // 1 MiB each way compared by SHA-256, then close_notify both ways

export interface InteropCase {
  /** Stable id, e.g. 'openssl/our-server/suite/TLS_AES_256_GCM_SHA384'. */
  readonly id: string;
  readonly peer: PeerName;
  readonly ours: OurRole;
  readonly version: 'TLSv1.3';
  readonly feature: Feature;
  readonly suite: SuiteName;
  readonly group: GroupName;
  readonly cert: CertName;
  /** Human-readable test title. */
  readonly title: string;
}

export const SUITES: readonly SuiteName[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
export const GROUPS: readonly GroupName[] = ['x25519', 'secp256r1', 'secp384r1'];
export const CERTS: readonly CertName[] = ['p256', 'p384', 'rsa2048', 'ed25519'];

export const SUITE_IDS: Readonly<Record<SuiteName, number>> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
};
export const GROUP_IDS: Readonly<Record<GroupName, number>> = { x25519: 0x001d, secp256r1: 0x0017, secp384r1: 0x0018 };

/** How each peer spells a group. */
export const GROUP_SPELLING: Readonly<Record<PeerName, Readonly<Record<GroupName, string>>>> = {
  openssl: { x25519: 'X25519', secp256r1: 'P-256', secp384r1: 'P-384' },
  gnutls: { x25519: 'GROUP-X25519', secp256r1: 'GROUP-SECP256R1', secp384r1: 'GROUP-SECP384R1' },
  java: { x25519: 'x25519', secp256r1: 'secp256r1', secp384r1: 'secp384r1' },
  node: { x25519: 'X25519', secp256r1: 'P-256', secp384r1: 'P-384' },
};

/** GnuTLS priority-string names of the suites' ciphers. */
export const GNUTLS_CIPHER: Readonly<Record<SuiteName, string>> = {
  TLS_AES_128_GCM_SHA256: 'AES-128-GCM',
  TLS_AES_256_GCM_SHA384: 'AES-256-GCM',
  TLS_CHACHA20_POLY1305_SHA256: 'CHACHA20-POLY1305',
};

/** Node has no API to send a TLS 1.3 KeyUpdate, so `keyupdate-peer` is skipped for it (listed in the table). */
export function unsupported(peer: PeerName, feature: Feature): string | undefined {
  if (peer === 'node' && feature === 'keyupdate-peer') return 'node:tls cannot send KeyUpdate';
  return undefined;
}

const DEFAULT_SUITE: SuiteName = 'TLS_AES_128_GCM_SHA256';
const DEFAULT_GROUP: GroupName = 'x25519';
const DEFAULT_CERT: CertName = 'p256';

function make(peer: PeerName, ours: OurRole, feature: Feature, v: Partial<Pick<InteropCase, 'suite' | 'group' | 'cert'>> = {}, what = ''): InteropCase {
  const suite = v.suite ?? DEFAULT_SUITE;
  const group = v.group ?? DEFAULT_GROUP;
  const cert = v.cert ?? DEFAULT_CERT;
  const detail = what === '' ? '' : `/${what}`;
  const peerSide = ours === 'server' ? 'client' : 'server';
  return {
    id: `${peer}/our-${ours}/${feature}${detail}`,
    peer,
    ours,
    version: 'TLSv1.3',
    feature,
    suite,
    group,
    cert,
    title: `TLS 1.3 our ${ours} ↔ ${peer} ${peerSide}: ${feature}${what === '' ? '' : ` ${what}`}`,
  };
}

/** Every TLS 1.3 interop case, in run order. */
export const TLS13_MATRIX: readonly InteropCase[] = (() => {
  const out: InteropCase[] = [];
  const peers: PeerName[] = ['openssl', 'gnutls', 'java', 'node'];
  for (const peer of peers) {
    for (const ours of ['server', 'client'] as const) {
      for (const suite of SUITES) out.push(make(peer, ours, 'suite', { suite }, suite));
      for (const group of GROUPS) out.push(make(peer, ours, 'group', { group }, group));
      if (ours === 'server') {
        for (const cert of CERTS) if (cert !== DEFAULT_CERT) out.push(make(peer, ours, 'cert', { cert }, cert));
      }
      out.push(make(peer, ours, 'alpn'));
      out.push(make(peer, ours, 'sni'));
      out.push(make(peer, ours, 'hrr', { group: 'secp384r1' }));
      out.push(make(peer, ours, 'keyupdate-ours'));
      out.push(make(peer, ours, 'keyupdate-peer'));
      out.push(make(peer, ours, 'transfer'));
    }
  }
  return out;
})();

/** The cases of one peer. */
export function casesFor(peer: PeerName): readonly InteropCase[] {
  return TLS13_MATRIX.filter((c) => c.peer === peer);
}

/** A Markdown table of the matrix (peer × role rows, feature columns) for the README. */
export function interopTable(matrix: readonly InteropCase[] = TLS13_MATRIX): string {
  const features: Feature[] = ['suite', 'group', 'cert', 'alpn', 'sni', 'hrr', 'keyupdate-ours', 'keyupdate-peer', 'transfer'];
  const head = `| peer | our side | ${features.join(' | ')} |`;
  const sep = `|${' --- |'.repeat(features.length + 2)}`;
  const rows: string[] = [];
  const keys = [...new Set(matrix.map((c) => `${c.peer}|${c.ours}`))];
  for (const key of keys) {
    const [peer, ours] = key.split('|') as [PeerName, OurRole];
    const cells = features.map((f) => {
      const cs = matrix.filter((c) => c.peer === peer && c.ours === ours && c.feature === f);
      if (cs.length === 0) return '–';
      if (unsupported(peer, f) !== undefined) return 'n/a';
      if (f === 'suite') return cs.map((c) => c.suite.replace(/^TLS_|_SHA\d+$/g, '')).join(', ');
      if (f === 'group') return cs.map((c) => c.group).join(', ');
      if (f === 'cert') return cs.map((c) => c.cert).join(', ');
      return '✓';
    });
    rows.push(`| ${peer} | ${ours} | ${cells.join(' | ')} |`);
  }
  return [head, sep, ...rows].join('\n');
}
