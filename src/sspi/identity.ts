/**
 * Client-certificate mapping and impersonation (SSPI.md §5.14). Windows maps a client certificate to an account;
 * this port has no accounts, so a credential carries pluggable mappers (SCHANNEL_CRED / SCH_CREDENTIALS
 * `aphMappers`): by subject, by UPN SAN, by e-mail SAN, or a callback. The first mapper that answers wins.
 * ImpersonateSecurityContext makes the mapped token current for code run under it (AsyncLocalStorage).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CertContext } from './cert-context.js';

/** An access token (what QuerySecurityContextToken returns): the account the client certificate maps to. */
export class AccessToken {
  /** The account name. */
  readonly userName: string;
  /** How it was mapped. */
  readonly mappedBy: 'subject' | 'upn' | 'email' | 'callback';
  /** The client certificate. */
  readonly certificate: CertContext;
  /** False after CloseHandle. */
  open = true;

  /** @internal Made by the mappers. */
  constructor(userName: string, mappedBy: AccessToken['mappedBy'], certificate: CertContext) {
    this.userName = userName;
    this.mappedBy = mappedBy;
    this.certificate = certificate;
  }
}

/** A certificate mapper (the HMAPPER of SCHANNEL_CRED.aphMappers). */
export interface HMAPPER {
  /** The account for `cert`, or null/undefined when this mapper does not know it. */
  map(cert: CertContext): AccessToken | null | undefined;
}

type Table = Readonly<Record<string, string>> | ((value: string) => string | null | undefined);

function lookup(table: Table | undefined, key: string): string | null | undefined {
  if (table === undefined) return key;
  if (typeof table === 'function') return table(key);
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/**
 * Map by the subject DN's display form ('CN=alice, O=Example'). `accounts` maps subjects to account names; without
 * it the subject itself is the account.
 */
export function mapBySubject(accounts?: Table): HMAPPER {
  return {
    map(cert) {
      const s = cert.subject;
      if (s === '') return undefined;
      const user = lookup(accounts, s);
      return user ? new AccessToken(user, 'subject', cert) : undefined;
    },
  };
}

/** Map by the Microsoft UPN otherName SAN (user@realm); without `accounts` the UPN is the account. */
export function mapByUpn(accounts?: Table): HMAPPER {
  return {
    map(cert) {
      for (const upn of cert.pCertInfo?.extensions.subjectAltName?.upns ?? []) {
        const user = lookup(accounts, upn);
        if (user) return new AccessToken(user, 'upn', cert);
      }
      return undefined;
    },
  };
}

/** Map by an rfc822Name (e-mail) SAN; without `accounts` the address is the account. */
export function mapByEmail(accounts?: Table): HMAPPER {
  return {
    map(cert) {
      for (const email of cert.pCertInfo?.extensions.subjectAltName?.emails ?? []) {
        const user = lookup(accounts, email);
        if (user) return new AccessToken(user, 'email', cert);
      }
      return undefined;
    },
  };
}

/** Map with a callback returning the account name (or null for "not mapped"). */
export function mapByCallback(fn: (cert: CertContext) => string | null | undefined): HMAPPER {
  return {
    map(cert) {
      const user = fn(cert);
      return user ? new AccessToken(user, 'callback', cert) : undefined;
    },
  };
}

/** Run the mappers in order; the first token wins. Mapper exceptions count as "not mapped". */
export function mapCertificate(mappers: readonly HMAPPER[], cert: CertContext): AccessToken | undefined {
  for (const m of mappers) {
    try {
      const t = m.map(cert);
      if (t) return t;
    } catch {
      // a failing mapper maps nothing
    }
  }
  return undefined;
}

const impersonation = new AsyncLocalStorage<AccessToken | undefined>();

/** @internal Make `token` current for the rest of this synchronous run and the async work it starts. */
export function enterImpersonation(token: AccessToken | undefined): void {
  impersonation.enterWith(token);
}

/** The token being impersonated by the current code, if any (what a Windows thread token would be). */
export function GetImpersonationToken(): AccessToken | undefined {
  return impersonation.getStore();
}

/** Run `fn` impersonating `token`, restoring the previous identity afterwards (including for async work `fn` starts). */
export function runImpersonated<T>(token: AccessToken, fn: () => T): T {
  return impersonation.run(token, fn);
}

/** CloseHandle for an access token. Returns true (Windows' BOOL). */
export function CloseHandle(hToken: AccessToken | null): boolean {
  if (hToken !== null) hToken.open = false;
  return true;
}
