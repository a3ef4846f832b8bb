/**
 * Server identity checks, RFC 6125 / RFC 9525: only dNSName and iPAddress subjectAltNames count (no CN fallback);
 * a wildcard is allowed only as the whole left-most label, matches exactly one label, and never matches directly
 * under a single-label suffix (`*.com`) or on its own (`*`); IP addresses match only iPAddress SANs; comparisons
 * are ASCII case-insensitive; a trailing dot on either side is tolerated.
 */
import { equalPublic } from '../codec/bytes.js';
import type { Certificate } from './certificate.js';

const IPV4_CHARS = /^[0-9.]+$/;

/** Parse an IPv4 dotted-quad or an IPv6 text address (RFC 4291 §2.2, with `::` and an IPv4 tail) into bytes. */
export function parseIpAddress(s: string): Uint8Array | undefined {
  return parseIpv4(s) ?? parseIpv6(s);
}

function parseIpv4(s: string): Uint8Array | undefined {
  if (!IPV4_CHARS.test(s)) return undefined; // a host name: no need to split it
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    // No leading zeros (ambiguous octal in some resolvers), 1–3 digits, ≤ 255.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(input: string): Uint8Array | undefined {
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':') || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

const ASCII_UPPER = /[A-Z]/;
const ASCII_UPPER_ALL = /[A-Z]/g;

/** Normalise a DNS reference or presented name: ASCII lower case, one trailing dot dropped. */
function normalise(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return ASCII_UPPER.test(n) ? n.replace(ASCII_UPPER_ALL, (c) => c.toLowerCase()) : n;
}

/**
 * RFC 1034 §3.5 preferred name syntax as amended by RFC 1123 §2.1 (RFC 5280 §4.2.1.6 requires it of dNSName):
 * letters, digits and hyphens, no hyphen at either end, 1–63 octets. No underscore.
 */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `name` is a syntactically valid DNS reference identifier (ASCII, A-labels for IDNs). */
export function isValidDnsName(name: string): boolean {
  const n = normalise(name);
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((l) => LABEL.test(l));
}

/**
 * Whether a dNSName SAN is well-formed: a valid DNS name, or `*.` followed by one (RFC 6125 §6.4.3 wildcard as
 * the whole left-most label). `.example.com`, empty labels and `_` are malformed.
 */
export function isValidPresentedDnsName(name: string): boolean {
  return isValidDnsName(name.startsWith('*.') ? name.slice(2) : name);
}

/**
 * Whether presented identifier `pattern` (a dNSName SAN) matches reference identifier `reference`, both already
 * checked and normalised. Exposed for tests.
 */
export function dnsNameMatches(pattern: string, reference: string): boolean {
  const p = normalise(pattern);
  const r = normalise(reference);
  if (!p.startsWith('*.')) return p === r && p.split('.').every((l) => LABEL.test(l));
  const suffix = p.slice(2);
  const suffixLabels = suffix.split('.');
  // RFC 9525 §6.3: the wildcard is the whole left-most label; and we refuse wildcards over a single-label suffix.
  if (suffixLabels.length < 2 || !suffixLabels.every((l) => LABEL.test(l))) return false;
  const dot = r.indexOf('.');
  if (dot <= 0) return false;
  return r.slice(dot + 1) === suffix;
}

/**
 * Whether `cert` is valid for DNS name `name` (its dNSName SANs). An IP-address literal is checked against the
 * iPAddress SANs only, as {@link matchIpAddress} does. The subject CN is never consulted.
 */
export function matchServerName(cert: Certificate, name: string): boolean {
  const ip = parseIpAddress(name);
  if (ip !== undefined) return matchIpAddress(cert, ip);
  if (!isValidDnsName(name)) return false;
  const sans = cert.extensions.subjectAltName?.dnsNames ?? [];
  return sans.some((p) => dnsNameMatches(p, name));
}

/** Whether `cert` has an iPAddress SAN equal to `ip` (text or 4/16 bytes). IPv4-mapped IPv6 is not folded. */
export function matchIpAddress(cert: Certificate, ip: string | Uint8Array): boolean {
  const bytes = typeof ip === 'string' ? parseIpAddress(ip) : ip;
  if (bytes === undefined) return false;
  const sans = cert.extensions.subjectAltName?.ipAddresses ?? [];
  return sans.some((a) => equalPublic(a, bytes));
}
