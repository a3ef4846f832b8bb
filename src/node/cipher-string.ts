/**
 * node:tls's `ciphers` and `sigalgs` strings on our suites and schemes. node:tls passes `ciphers` to OpenSSL: TLS 1.2
 * suites in OpenSSL spelling ('ECDHE-ECDSA-AES128-GCM-SHA256'), keywords ('HIGH', 'DEFAULT', '!aNULL'), and TLS 1.3
 * suites by their RFC names ('TLS_AES_128_GCM_SHA256'). We implement a few suites of each; this maps the string
 * to them, in its order, and fails with a configuration error — never silently — when it leaves none of ours.
 */
import { getCiphers } from 'node:tls';
import { SUITES } from '../crypto/suites.js';
import { SignatureScheme } from '../wire/registry.js';

/** OpenSSL's names of our TLS 1.2 suites. */
const OPENSSL_NAMES: Readonly<Record<string, string>> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
};

/** OpenSSL's name for one of our suites (node:tls `getCipher().name`); TLS 1.3 suites keep their RFC names there. */
export function opensslCipherName(iana: string): string {
  return Object.keys(OPENSSL_NAMES).find((k) => OPENSSL_NAMES[k] === iana) ?? iana;
}

const TLS12 = SUITES.filter((s) => s.version === 'TLSv1.2').map((s) => s.name);
const TLS13 = SUITES.filter((s) => s.version === 'TLSv1.3').map((s) => s.name);

/** OpenSSL keywords → which of our TLS 1.2 suites they select (all of ours are ECDHE + AEAD, 128 bits or more). */
function keyword(word: string): readonly string[] | undefined {
  const w = word.toUpperCase();
  if (['HIGH', 'DEFAULT', 'ALL', 'COMPLEMENTOFDEFAULT', 'ECDHE', 'EECDH', 'KEECDH', 'AEAD', 'TLSV1.2', 'SECURE'].includes(w)) return TLS12;
  if (w === 'AESGCM' || w === 'AES') return TLS12.filter((n) => n.includes('_GCM_'));
  if (w === 'AES128') return TLS12.filter((n) => n.includes('AES_128'));
  if (w === 'AES256') return TLS12.filter((n) => n.includes('AES_256'));
  if (w === 'CHACHA20') return TLS12.filter((n) => n.includes('CHACHA20'));
  if (w === 'ECDSA' || w === 'AECDSA') return TLS12.filter((n) => n.includes('_ECDSA_'));
  if (w === 'RSA' || w === 'ARSA') return TLS12.filter((n) => n.includes('_RSA_'));
  if (w === 'SHA256') return TLS12.filter((n) => n.endsWith('SHA256'));
  if (w === 'SHA384') return TLS12.filter((n) => n.endsWith('SHA384'));
  // Selectors of what we never offer (aNULL, eNULL, EXPORT, LOW, MEDIUM, RC4, DES, 3DES, MD5, PSK, SRP, DSS, CBC…).
  if (/^(ANULL|ENULL|NULL|EXPORT|EXP|LOW|MEDIUM|RC4|DES|3DES|MD5|PSK|SRP|DSS|ADH|AECDH|CAMELLIA|SEED|IDEA|SHA1?|SHA|DHE|EDH|KRSA|SSLV3|TLSV1|CBC)$/.test(w)) return [];
  return undefined;
}

/**
 * `ciphers` → our suites' IANA names joined by ':'. As in node:tls, the string's TLS 1.3 names (if it has any) set
 * the TLS 1.3 suites and the rest the TLS 1.2 ones; without TLS 1.3 names the TLS 1.3 defaults stay. Unknown words
 * are ignored, as OpenSSL does. Throws a TypeError (code ERR_TLS_INVALID_CONFIG) when nothing usable remains: no
 * TLS 1.2 suite of ours and TLS 1.3 either excluded by `tls13Allowed` or named only with suites we lack.
 */
export function mapCipherString(text: string, tls13Allowed = true): string {
  const order: string[] = [];
  const removed = new Set<string>();
  let namesTls13 = false;
  const opensslNames = new Set(getCiphers());
  const positives: string[] = [];
  let unknownPositives = 0;
  for (const token of text.split(/[:, ]+/).filter((t) => t !== '')) {
    const raw = token.replace(/@.*$/, ''); // @SECLEVEL=n, @STRENGTH
    if (raw === '') continue;
    if (/^TLS_/.test(raw) && !TLS12.includes(raw)) namesTls13 = true;
    const op = raw[0] === '!' || raw[0] === '-' || raw[0] === '+' ? raw[0] : '';
    const body = op === '' ? raw : raw.slice(1);
    // 'ECDHE+AESGCM': the intersection of its parts.
    const parts = body.split('+');
    let picked: readonly string[] | undefined;
    for (const part of parts) {
      const one = OPENSSL_NAMES[part] !== undefined ? [OPENSSL_NAMES[part]] : TLS12.includes(part) || TLS13.includes(part) ? [part] : keyword(part);
      if (one === undefined) {
        picked = undefined;
        break;
      }
      picked = picked === undefined ? [...one] : picked.filter((n) => one.includes(n));
    }
    if (op === '') {
      positives.push(body);
      if (picked === undefined && (!opensslNames.has(body.toLowerCase()) || body !== body.toUpperCase())) unknownPositives++;
    }
    if (picked === undefined) continue;
    if (op === '!') for (const n of picked) removed.add(n);
    else if (op === '-') for (const n of picked) order.splice(order.indexOf(n) >>> 0, order.includes(n) ? 1 : 0);
    else if (op === '+') {
      for (const n of picked) {
        if (!order.includes(n)) continue;
        order.splice(order.indexOf(n), 1);
        order.push(n);
      }
    } else for (const n of picked) if (!order.includes(n)) order.push(n);
  }
  // OpenSSL fails with "no cipher match" when no word of the string names anything it knows (its names are
  // case-sensitive); node:tls.getCiphers() lists the names of Node's OpenSSL, in lower case.
  if (!namesTls13 && positives.length > 0 && unknownPositives === positives.length) {
    throw Object.assign(new TypeError(`no cipher match: ciphers '${text}' names no cipher suite`), { code: 'ERR_TLS_INVALID_CONFIG' });
  }
  const chosen = order.filter((n) => !removed.has(n));
  const usable13 = tls13Allowed && (!namesTls13 || chosen.some((n) => TLS13.includes(n)));
  const usable12 = chosen.some((n) => TLS12.includes(n));
  if (!usable13 && !usable12) {
    throw Object.assign(
      new TypeError(`no cipher match: ciphers '${text}' selects none of the suites we implement (${[...TLS13, ...Object.keys(OPENSSL_NAMES)].join(', ')})`),
      { code: 'ERR_TLS_INVALID_CONFIG' },
    );
  }
  return chosen.join(':');
}

const SIGALG_ALIASES: Readonly<Record<string, number>> = {
  'ECDSA+SHA256': SignatureScheme.ecdsa_secp256r1_sha256,
  'ECDSA+SHA384': SignatureScheme.ecdsa_secp384r1_sha384,
  'ECDSA+SHA512': SignatureScheme.ecdsa_secp521r1_sha512,
  'RSA+SHA256': SignatureScheme.rsa_pkcs1_sha256,
  'RSA+SHA384': SignatureScheme.rsa_pkcs1_sha384,
  'RSA+SHA512': SignatureScheme.rsa_pkcs1_sha512,
  'RSA-PSS+SHA256': SignatureScheme.rsa_pss_rsae_sha256,
  'RSA-PSS+SHA384': SignatureScheme.rsa_pss_rsae_sha384,
  'RSA-PSS+SHA512': SignatureScheme.rsa_pss_rsae_sha512,
};

/** node:tls `sigalgs` ('ecdsa_secp256r1_sha256:RSA-PSS+SHA256') → scheme values; a TypeError names an unknown one. */
export function mapSigalgs(text: string): number[] {
  const names = SignatureScheme as Readonly<Record<string, number>>;
  return text.split(':').map((raw) => {
    const t = raw.trim();
    const v = names[t] ?? SIGALG_ALIASES[t.toUpperCase()];
    if (v === undefined) throw Object.assign(new TypeError(`unknown signature algorithm '${t}' in sigalgs`), { code: 'ERR_TLS_INVALID_CONFIG' });
    return v;
  });
}
