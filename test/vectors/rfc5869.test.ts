/**
 * RFC 5869 Appendix A test cases (1–3 SHA-256, 4–7 SHA-1) against hkdfExtract / hkdfExpand of
 * src/tls13/key-schedule.ts, parsed at test time from ../shared/rfc/rfc5869.txt (RFC5869_PATH overrides).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HashAlg } from '../../src/crypto/provider.js';
import { hkdfExpand, hkdfExtract } from '../../src/tls13/key-schedule.js';
import { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { fromHex, toHex } from '../helpers/hex.js';

interface HkdfCase {
  readonly name: string;
  readonly hash: HashAlg;
  readonly ikm: Uint8Array;
  readonly salt: Uint8Array | undefined;
  readonly info: Uint8Array;
  readonly length: number;
  readonly prk: Uint8Array;
  readonly okm: Uint8Array;
}

function parseCases(): HkdfCase[] {
  const path = process.env['RFC5869_PATH'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../..', '../shared/rfc/rfc5869.txt');
  if (!existsSync(path)) throw new Error(`RFC 5869 text not found at ${path} (set RFC5869_PATH)`);
  const text = readFileSync(path, 'utf8');
  const cases: HkdfCase[] = [];
  for (const m of text.matchAll(/^A\.(\d)\.\s+Test Case \d+\n([\s\S]*?)(?=^A\.\d\.|^Author)/gm)) {
    const block = (m[2] as string).replace(/^(RFC 5869|Krawczyk).*$/gm, '');
    const field = (name: string): string | undefined => {
      const f = new RegExp(`^   ${name}\\s*=\\s*([\\s\\S]*?)(?=^   \\S|$(?![\\s\\S]))`, 'm').exec(block);
      return f?.[1];
    };
    const bytes = (name: string): Uint8Array | undefined => {
      const v = field(name);
      if (v === undefined) throw new Error(`RFC 5869 A.${m[1]}: no ${name}`);
      if (/not provided/.test(v)) return undefined;
      const hex = v.replace(/\(\d+ octets\)/g, '').replace(/0x/, '').replace(/\s+/g, '');
      return fromHex(hex);
    };
    const hash = (field('Hash') ?? '').trim() === 'SHA-256' ? 'sha256' : 'sha1';
    cases.push({
      name: `A.${m[1]}`,
      hash,
      ikm: bytes('IKM') as Uint8Array,
      salt: bytes('salt'),
      info: bytes('info') ?? new Uint8Array(0),
      length: Number((field('L') ?? '').trim()),
      prk: bytes('PRK') as Uint8Array,
      okm: bytes('OKM') as Uint8Array,
    });
  }
  return cases;
}

const cases = parseCases();
const p = new DeterministicProvider();

test('RFC 5869: all seven test cases parse', () => {
  assert.deepEqual(cases.map((c) => c.name), ['A.1', 'A.2', 'A.3', 'A.4', 'A.5', 'A.6', 'A.7']);
  assert.deepEqual(cases.map((c) => c.okm.length), cases.map((c) => c.length));
});

for (const c of cases) {
  test(`RFC 5869 ${c.name} (${c.hash}, L=${c.length}): HKDF-Extract and HKDF-Expand`, () => {
    const hashLen = c.hash === 'sha256' ? 32 : 20;
    // §2.2: salt not provided → HashLen zeros.
    const prk = hkdfExtract(p, c.hash, c.salt ?? new Uint8Array(hashLen), c.ikm);
    assert.equal(toHex(prk), toHex(c.prk), 'PRK');
    assert.equal(toHex(hkdfExpand(p, c.hash, prk, c.info, c.length, hashLen)), toHex(c.okm), 'OKM');
  });
}

test('HKDF-Expand refuses L > 255 * HashLen', () => {
  assert.throws(() => hkdfExpand(p, 'sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1, 32), { name: 'TlsError', alert: 'internal_error' });
});
