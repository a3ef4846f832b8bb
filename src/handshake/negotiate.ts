/** Pure choices: version, suite, group, signature scheme, ALPN, certificate. No state, no crypto. */
import type { SuiteInfo } from '../crypto/suites.js';
import type { CertifiedKey } from '../vocabulary/config.js';
import { includesBytes } from '../codec/bytes.js';
import { incompatible } from '../errors.js';
import { NamedGroup } from '../wire/registry.js';
import { dnsNameMatches } from '../x509/hostname.js';

/** Server preference: our first suite the client offered (unknown and GREASE ids are skipped). */
export function chooseSuite(ours: readonly SuiteInfo[], offered: readonly number[], version: 'TLSv1.3' | 'TLSv1.2'): SuiteInfo | undefined {
  for (const s of ours) if (s.version === version && offered.includes(s.id)) return s;
  return undefined;
}

/** Server preference among the client's supported groups. */
export function chooseGroup(ours: readonly number[], clientGroups: readonly number[]): number | undefined {
  for (const g of ours) if (clientGroups.includes(g)) return g;
  return undefined;
}

/** The hybrid post-quantum groups (draft-ietf-tls-ecdhe-mlkem): stronger than any classical group. */
const HYBRID_GROUPS: readonly number[] = [NamedGroup.X25519MLKEM768, NamedGroup.SecP256r1MLKEM768, NamedGroup.SecP384r1MLKEM1024];

/** Is `group` a hybrid post-quantum group? */
export function isHybridGroup(group: number): boolean {
  return HYBRID_GROUPS.includes(group);
}

/**
 * The group for a TLS 1.3 key exchange (docs/design/hello-retry-policy.md): `share` says whether the client already
 * sent a key share for it; when it did not, the server sends a HelloRetryRequest for `group`.
 *
 * A HelloRetryRequest costs a round trip, so it is sent only when it buys something:
 *  - the client sent a share for a group we accept: use it (our first such group in our preference order), unless
 *    our preferred group among the client's supported_groups is a hybrid post-quantum group and the share is not
 *    (then the round trip buys post-quantum security);
 *  - the client sent no usable share: HelloRetryRequest for our preferred group among its supported_groups.
 */
export function chooseKeyExchange(
  ours: readonly number[],
  clientGroups: readonly number[],
  shareGroups: readonly number[],
): { readonly group: number; readonly share: boolean } | undefined {
  const preferred = chooseGroup(ours, clientGroups);
  if (preferred === undefined) return undefined;
  const shared = chooseGroup(ours, shareGroups);
  if (shared === undefined) return { group: preferred, share: false };
  if (isHybridGroup(preferred) && !isHybridGroup(shared)) return { group: preferred, share: false };
  return { group: shared, share: true };
}

/** ALPN (RFC 7301 §3.2): server preference; no overlap → no_application_protocol. */
export function chooseAlpn(ours: readonly Uint8Array[] | undefined, offered: readonly Uint8Array[] | undefined): Uint8Array | null {
  if (ours === undefined || offered === undefined) return null;
  for (const p of ours) if (includesBytes(offered, p)) return p;
  throw incompatible('NoApplicationProtocol');
}

/**
 * Does a certificate name (possibly `*.example.com`) cover `host`? The certificate matcher of src/x509/hostname.ts
 * (RFC 9525: one whole left-most wildcard label, never over a single-label suffix), so the certificate chosen for a
 * name is one the client's check of that name accepts.
 */
export function nameMatches(pattern: string, host: string): boolean {
  return dnsNameMatches(pattern, host);
}

/**
 * Choose the server's certificate: by SNI callback, then by name (exact before wildcard), preferring a key that can
 * sign with a scheme the client offered; the first certificate is the default.
 */
export function chooseCertificate(
  certs: readonly CertifiedKey[],
  serverName: string | undefined,
  clientSchemes: readonly number[],
  callback: ((name: string) => number | undefined) | undefined,
  tls12 = false,
  certSchemes?: readonly number[],
): { cert: CertifiedKey; scheme: number; matchedName: boolean } {
  const canSign = (c: CertifiedKey): number | undefined => {
    const mine = tls12 ? c.schemes12 : c.schemes13;
    for (const s of clientSchemes) if (mine.includes(s)) return s;
    return undefined;
  };
  const ordered: { c: CertifiedKey; matched: boolean }[] = [];
  if (serverName !== undefined) {
    const idx = callback?.(serverName);
    const picked = idx !== undefined ? certs[idx] : undefined;
    if (picked !== undefined) ordered.push({ c: picked, matched: true });
    for (const c of certs) if (c.names.includes(serverName)) ordered.push({ c, matched: true });
    for (const c of certs) if (c.names.some((n) => n.startsWith('*.') && nameMatches(n, serverName))) ordered.push({ c, matched: true });
  }
  for (const c of certs) ordered.push({ c, matched: false });
  // RFC 8446 §4.4.2.2: prefer a chain whose leaf is signed with an algorithm the client accepts for certificates;
  // if none is, send one anyway (the client decides).
  const certOk = (c: CertifiedKey): boolean =>
    certSchemes === undefined || (c.leaf.signatureAlgorithm !== undefined && certSchemes.includes(c.leaf.signatureAlgorithm));
  for (const pass of [true, false]) {
    for (const { c, matched } of ordered) {
      if (pass && !certOk(c)) continue;
      const scheme = canSign(c);
      if (scheme !== undefined) return { cert: c, scheme, matchedName: matched };
    }
  }
  throw incompatible('NoCommonSignatureScheme');
}
