/**
 * Credential files made at test time by the real tools (openssl pkcs12/pkcs8/ec/rsa, Java keytool) in a fresh temp
 * directory removed at exit, and byte-level helpers to damage or re-encode them. Nothing here is committed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from '../helpers/peers.js';

let dir: string | undefined;

/** The per-process scratch directory. */
export function scratch(): string {
  if (dir === undefined) {
    const d = mkdtempSync(join(tmpdir(), 'sspi-tls-cred-'));
    dir = d;
    if (process.env['KEEP_PKI'] === undefined) process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

/** Run a tool (bounded); returns stdout then stderr; throws with its stderr on failure. */
export function tool(cmd: string, debianPackage: string, args: readonly string[], input?: string): string {
  const bin = requirePeer(cmd, debianPackage);
  const r = spawnSync(bin, args, { cwd: scratch(), timeout: 60_000, encoding: 'latin1', input: input ?? '' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout + r.stderr;
}

/** `openssl …`. */
export function openssl(args: readonly string[]): string {
  return tool('openssl', 'openssl', args);
}

/** Whether `openssl args` succeeds (for options a local OpenSSL may lack, like -legacy). */
export function opensslAccepts(args: readonly string[]): boolean {
  try {
    openssl(args);
    return true;
  } catch {
    return false;
  }
}

/** A file of the scratch directory. */
export function path(name: string): string {
  return join(scratch(), name);
}

/** Bytes of a scratch file. */
export function bytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path(name)));
}

interface Node {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly children: readonly Node[] | undefined;
}

function parse(b: Uint8Array, at: number): { node: Node; end: number } {
  const tag = b[at] as number;
  let len = b[at + 1] as number;
  let hdr = 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[at + 2 + i] as number);
    hdr = 2 + n;
  }
  const value = b.subarray(at + hdr, at + hdr + len);
  let children: Node[] | undefined;
  if ((tag & 0x20) !== 0) {
    children = [];
    let p = 0;
    while (p < value.length) {
      const c = parse(value, p);
      children.push(c.node);
      p = c.end;
    }
  }
  return { node: { tag, value, children }, end: at + hdr + len };
}

function definite(tag: number, value: Uint8Array): number[] {
  const n = value.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return [tag, ...len, ...value];
}

function ber(n: Node): number[] {
  if (n.children !== undefined) return [n.tag, 0x80, ...n.children.flatMap(ber), 0, 0];
  if (n.tag === 0x04 && n.value.length > 16) {
    // A constructed OCTET STRING of 16-byte pieces, indefinite length (as NSS and old Windows write).
    const parts: number[] = [];
    for (let i = 0; i < n.value.length; i += 16) parts.push(...definite(0x04, n.value.subarray(i, i + 16)));
    return [0x24, 0x80, ...parts, 0, 0];
  }
  return definite(n.tag, n.value);
}

/**
 * The same value in BER: every constructed value with an indefinite length, every OCTET STRING longer than 16 bytes
 * split into a constructed one (the bytes an OCTET STRING carries, over which the PKCS#12 MAC is computed, are
 * unchanged; nested encodings inside OCTET STRINGs stay DER).
 */
export function toBer(der: Uint8Array): Uint8Array {
  return new Uint8Array(ber(parse(der, 0).node));
}
