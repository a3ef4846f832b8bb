/** Pure choices: version, suite, group, signature scheme, ALPN, certificate. No state, no crypto. */
import type { SuiteInfo } from '../crypto/suites.js';
import type { CertifiedKey } from '../vocabulary/config.js';
import { includesBytes } from '../codec/bytes.js';
import { incompatible } from '../errors.js';
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
