/** PEM (RFC 7468) to DER, for certificate files given to the engine and the CLI. */
import { configError } from '../errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: ReadonlyMap<string, number> = new Map<string, number>([...B64].map((c, i) => [c, i]));

function base64Decode(s: string, label: string): Uint8Array {
  const clean = s.replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw configError(`PEM ${label}: invalid base64`);
  const body = clean.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const ch of body) {
    acc = (acc << 6) | (B64_INDEX.get(ch) as number);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/**
 * Every `-----BEGIN <label>-----` … `-----END <label>-----` block of `pem`, base64-decoded, in order. Text
 * outside the blocks (OpenSSL's human-readable dump, comments) is ignored. Throws `InvalidConfig` on a block that
 * is not terminated or not valid base64. Returns an empty array when there is no such block.
 */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  let at = 0;
  for (;;) {
    const b = pem.indexOf(begin, at);
    if (b < 0) return out;
    const e = pem.indexOf(end, b + begin.length);
    if (e < 0) throw configError(`PEM ${label}: missing END line`);
    const body = pem.slice(b + begin.length, e);
    if (body.includes('-----')) throw configError(`PEM ${label}: nested or mismatched boundaries`);
    out.push(base64Decode(body, label));
    at = e + end.length;
  }
}

/** DER to PEM with the given label, 64-column base64 lines (for logs and test fixtures). */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  let b64 = '';
  for (let i = 0; i < der.length; i += 3) {
    const n = ((der[i] as number) << 16) | ((der[i + 1] ?? 0) << 8) | (der[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((s) => B64[(n >> s) & 63] as string);
    const len = Math.min(3, der.length - i);
    b64 += chars.slice(0, len + 1).join('') + '='.repeat(3 - len);
  }
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
