/**
 * RFC 5280 §4.2.1.10 name constraints over subjectAltName: dNSName, iPAddress and rfc822Name are evaluated.
 * Fail closed for what is not: a subordinate carrying a name of a type constrained by uniformResourceIdentifier,
 * otherName, x400Address, ediPartyName or registeredID bases is refused. directoryName constraints are not applied
 * (subject DNs are never identity here). Constraint bases are syntax-checked (no leading period or wildcard in a
 * dNSName base, a valid mailbox/host/domain in an rfc822Name base); under a constraint of its type, a name that is
 * not itself well-formed fails. The work is bounded by a budget of name × base comparisons per validation.
 */
import type { Certificate, GeneralSubtrees, NameConstraints } from './certificate.js';
import { isValidPresentedDnsName } from './hostname.js';

/** Name × base comparisons one validation may spend (Go and rustls-webpki use the same order of magnitude). */
export const MAX_NAME_CONSTRAINT_COMPARISONS = 100_000;

/** The comparisons left for one validation; shared by every (CA, certificate) pair checked in it. */
export interface ComparisonBudget {
  remaining: number;
}

function norm(n: string): string {
  const s = n.endsWith('.') ? n.slice(0, -1) : n;
  return s.toLowerCase();
}

const LDH_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function isHostName(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  return h.toLowerCase().split('.').every((l) => LDH_LABEL.test(l));
}

/** A dNSName constraint base: a host name, or empty (every name). No leading period, no wildcard. */
export function isValidDnsBase(base: string): boolean {
  return base === '' || isHostName(base);
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** An rfc822Name SAN: `local@host` (RFC 5321 dot-atom local part, LDH host). */
export function isValidMailbox(m: string): boolean {
  const at = m.lastIndexOf('@');
  return at > 0 && LOCAL_PART.test(m.slice(0, at)) && isHostName(m.slice(at + 1));
}

/** An rfc822Name constraint base: a mailbox, a host (all its mailboxes) or `.domain` (every host below it). */
export function isValidEmailBase(base: string): boolean {
  if (base.includes('@')) return isValidMailbox(base);
  return isHostName(base.startsWith('.') ? base.slice(1) : base);
}

/** dNSName `name` is within subtree `base`: the base itself or any name made by adding labels on its left. */
export function dnsWithin(name: string, base: string): boolean {
  const n = norm(name);
  const b = base.toLowerCase();
  if (b === '') return true;
  return n === b || n.endsWith(`.${b}`);
}

/** A wildcard name `*.x` could match some name inside excluded subtree `base` (used for excluded checks). */
function wildcardOverlaps(name: string, base: string): boolean {
  const n = norm(name);
  if (!n.startsWith('*.')) return false;
  const suffix = n.slice(2);
  const b = base.toLowerCase();
  if (b === '' || b === suffix || suffix.endsWith(`.${b}`)) return true; // every match is inside the base
  // A base one label below the wildcard's suffix is itself a name the wildcard matches.
  return b.endsWith(`.${suffix}`) && b.split('.').length === suffix.split('.').length + 1;
}

/** rfc822Name `mailbox` is within `base` (exact mailbox; a host; `.domain` for hosts below it). */
export function emailWithin(mailbox: string, base: string): boolean {
  const at = mailbox.lastIndexOf('@');
  const local = mailbox.slice(0, at);
  const host = mailbox.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const bat = base.lastIndexOf('@');
    return local === base.slice(0, bat) && host === base.slice(bat + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  if (b.startsWith('.')) return host.endsWith(b);
  return host === b;
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

function baseProblem(s: GeneralSubtrees | undefined): string | undefined {
  if (s === undefined) return undefined;
  const d = s.dnsNames.find((b) => !isValidDnsBase(b));
  if (d !== undefined) return `malformed dNSName constraint '${d}'`;
  const e = s.emails.find((b) => !isValidEmailBase(b));
  if (e !== undefined) return `malformed rfc822Name constraint '${e}'`;
  return undefined;
}

/**
 * The first name of `cert` that violates `nc`, described, or undefined if all are allowed. Spends
 * `budget.remaining` (one per name × base of its type); when it would run out, fails without comparing.
 */
export function checkNameConstraints(nc: NameConstraints, cert: Certificate, budget: ComparisonBudget): string | undefined {
  const bad = baseProblem(nc.permitted) ?? baseProblem(nc.excluded);
  if (bad !== undefined) return bad;
  const san = cert.extensions.subjectAltName;
  if (san === undefined) return undefined;
  const p = nc.permitted;
  const x = nc.excluded;
  const bases = (f: (g: GeneralSubtrees) => number): number => (p === undefined ? 0 : f(p)) + (x === undefined ? 0 : f(x));
  const dnsBases = bases((g) => g.dnsNames.length);
  const ipBases = bases((g) => g.ipAddresses.length);
  const emailBases = bases((g) => g.emails.length);
  const cost = san.dnsNames.length * dnsBases + san.ipAddresses.length * ipBases + san.emails.length * emailBases;
  if (cost > budget.remaining) return `name-constraint work budget exhausted (${cost} comparisons needed, ${budget.remaining} left)`;
  budget.remaining -= cost;

  if (dnsBases > 0) {
    for (const d of san.dnsNames) {
      if (!isValidPresentedDnsName(d)) return `dNSName '${d}' is malformed`;
      if (x !== undefined && x.dnsNames.some((b) => dnsWithin(d, b) || wildcardOverlaps(d, b))) return `dNSName ${d} is excluded`;
      if (p !== undefined && p.dnsNames.length > 0 && !p.dnsNames.some((b) => dnsWithin(d, b))) return `dNSName ${d} is not permitted`;
    }
  }
  for (const ip of san.ipAddresses) {
    if (x !== undefined && x.ipAddresses.some((c) => ipWithin(ip, c))) return `iPAddress ${ipText(ip)} is excluded`;
    if (p !== undefined && p.ipAddresses.length > 0 && !p.ipAddresses.some((c) => ipWithin(ip, c))) return `iPAddress ${ipText(ip)} is not permitted`;
  }
  if (emailBases > 0) {
    for (const m of san.emails) {
      if (!isValidMailbox(m)) return `rfc822Name '${m}' is malformed`;
      if (x !== undefined && x.emails.some((b) => emailWithin(m, b))) return `rfc822Name ${m} is excluded`;
      if (p !== undefined && p.emails.length > 0 && !p.emails.some((b) => emailWithin(m, b))) return `rfc822Name ${m} is not permitted`;
    }
  }
  const unevaluated = (s: GeneralSubtrees | undefined): string | undefined => {
    if (s === undefined) return undefined;
    if (s.uris.length > 0 && san.uris.length > 0) return 'uniformResourceIdentifier';
    if (s.otherNameCount > 0 && san.otherNameCount > 0) return 'otherName';
    if (s.x400AddressCount > 0 && san.x400AddressCount > 0) return 'x400Address';
    if (s.ediPartyNameCount > 0 && san.ediPartyNameCount > 0) return 'ediPartyName';
    if (s.registeredIdCount > 0 && san.registeredIdCount > 0) return 'registeredID';
    return undefined;
  };
  const kind = unevaluated(p) ?? unevaluated(x);
  if (kind !== undefined) return `${kind} constraints are not evaluated and the certificate carries such names (fail closed)`;
  return undefined;
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push((((ip[i] as number) << 8) | (ip[i + 1] as number)).toString(16));
  return g.join(':');
}
