/**
 * RFC 5280 §4.2.1.10 name constraints, for the name types that carry TLS identity: dNSName and iPAddress.
 * rfc822Name and URI constraints are not evaluated; a constrained subordinate that carries names of those types
 * fails closed. directoryName constraints are not applied (we never use subject DNs for identity).
 */
import type { Certificate, GeneralSubtrees, NameConstraints } from './certificate.js';

function norm(n: string): string {
  const s = n.endsWith('.') ? n.slice(0, -1) : n;
  return s.toLowerCase();
}

/** dNSName `name` is within subtree `base` (`example.com` covers itself and subdomains; `.example.com` only subdomains). */
export function dnsWithin(name: string, base: string): boolean {
  const n = norm(name);
  const b = base.toLowerCase();
  if (b === '' || b === '.') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/** A wildcard name `*.x` could match some name inside excluded subtree `base` (used for excluded checks). */
function wildcardOverlaps(name: string, base: string): boolean {
  const n = norm(name);
  if (!n.startsWith('*.')) return false;
  const suffix = n.slice(2);
  const b = base.toLowerCase().replace(/^\./, '');
  return b.endsWith(`.${suffix}`) && b.split('.').length === suffix.split('.').length + 1;
}

/** IP address bytes (4 or 16) within `addr ‖ mask` (8 or 32 bytes). */
export function ipWithin(ip: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== ip.length * 2) return false;
  for (let i = 0; i < ip.length; i++) {
    const m = constraint[ip.length + i] as number;
    if (((ip[i] as number) & m) !== ((constraint[i] as number) & m)) return false;
  }
  return true;
}

/** The first name of `cert` that violates `nc`, described, or undefined if all are allowed. */
export function checkNameConstraints(nc: NameConstraints, cert: Certificate): string | undefined {
  const san = cert.extensions.subjectAltName;
  if (san === undefined) return undefined;
  const p = nc.permitted;
  const x = nc.excluded;
  for (const d of san.dnsNames) {
    if (x !== undefined && x.dnsNames.some((b) => dnsWithin(d, b) || wildcardOverlaps(d, b))) return `dNSName ${d} is excluded`;
    if (p !== undefined && p.dnsNames.length > 0 && !p.dnsNames.some((b) => dnsWithin(d, b))) return `dNSName ${d} is not permitted`;
  }
  for (const ip of san.ipAddresses) {
    if (x !== undefined && x.ipAddresses.some((c) => ipWithin(ip, c))) return `iPAddress ${ipText(ip)} is excluded`;
    if (p !== undefined && p.ipAddresses.length > 0 && !p.ipAddresses.some((c) => ipWithin(ip, c))) return `iPAddress ${ipText(ip)} is not permitted`;
  }
  const unevaluated = (s: GeneralSubtrees | undefined): boolean =>
    s !== undefined && ((s.emails.length > 0 && san.emails.length > 0) || (s.uris.length > 0 && san.uris.length > 0));
  if (unevaluated(p) || unevaluated(x)) return 'rfc822Name/URI constraints are not supported (fail closed)';
  return undefined;
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push((((ip[i] as number) << 8) | (ip[i + 1] as number)).toString(16));
  return g.join(':');
}
