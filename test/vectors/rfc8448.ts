/**
 * RFC 8448 ("Example Handshake Traces for TLS 1.3") parsed at test time from the RFC text, like Go's parseVector.
 * The file is read from ../shared/rfc/rfc8448.txt relative to the repository root (CI puts shared/ beside the
 * clone); RFC8448_PATH overrides it. Nothing of the RFC is pasted into the repository.
 *
 * Structure of a trace: steps start with `   {client}  …` or `   {server}  …` (the title may wrap onto the next
 * line and end with ':'), and each step lists labelled values `      label (N octets):  hex …` whose hex may run
 * over several lines and across page breaks. Values without an octet count (`salt:  0 (all zero octets)`) are
 * skipped; `(0 octets):  (empty)` is an empty value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../helpers/hex.js';

/** One labelled value of a step. */
export interface VectorValue {
  readonly label: string;
  readonly bytes: Uint8Array;
}

/** One `{client}`/`{server}` step with its values in order. */
export interface VectorStep {
  readonly who: 'client' | 'server';
  /** The step title without the `{who}` prefix, wrapped lines joined, trailing ':' removed. */
  title: string;
  readonly values: readonly VectorValue[];
}

/** A parsed trace section with lookups that fail loudly. */
export class Trace {
  readonly section: string;
  readonly steps: readonly VectorStep[];
  constructor(section: string, steps: readonly VectorStep[]) {
    this.section = section;
    this.steps = steps;
  }

  /** Steps of `who` whose title contains `title` (exactly, case-sensitive). */
  find(who: 'client' | 'server', title: string): VectorStep[] {
    return this.steps.filter((s) => s.who === who && s.title.includes(title));
  }

  /** The `index`-th step of `who` whose title contains `title`. */
  step(who: 'client' | 'server', title: string, index = 0): VectorStep {
    const s = this.find(who, title)[index];
    if (s === undefined) throw new Error(`RFC 8448 ${this.section}: no ${index + 1}. {${who}} step containing "${title}"`);
    return s;
  }

  /** The value `label` of a step (the `index`-th step matching `title`). */
  get(who: 'client' | 'server', title: string, label: string, index = 0): Uint8Array {
    const s = this.step(who, title, index);
    const v = s.values.find((x) => x.label === label);
    if (v === undefined) {
      throw new Error(`RFC 8448 ${this.section}: step "{${who}} ${s.title}" has no value "${label}" (has: ${s.values.map((x) => x.label).join(', ')})`);
    }
    return v.bytes;
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the RFC text is expected. */
export function rfc8448Path(): string {
  return process.env['RFC8448_PATH'] ?? resolve(repoRoot, '../shared/rfc/rfc8448.txt');
}

let cachedText: string | undefined;

function rfcText(): string {
  if (cachedText !== undefined) return cachedText;
  const path = rfc8448Path();
  if (!existsSync(path)) {
    throw new Error(
      `RFC 8448 text not found at ${path}: the vector tests read shared/rfc/rfc8448.txt beside the repository ` +
        '(set RFC8448_PATH to point elsewhere)',
    );
  }
  cachedText = readFileSync(path, 'utf8');
  return cachedText;
}

const PAGE_JUNK = [/^RFC 8448\s+TLS 1\.3 Traces/, /^Thomson\s+Informational/, /^\f/];
const STEP = /^ {3}\{(client|server)\}\s+(.*)$/;
const VALUE = /^ {6}(\S.*?) \((\d+) octets?\):\s*(.*)$/;
const HEXLINE = /^ {6,}((?:[0-9a-f]{2} ?)+)\s*$/;

/** Parse RFC 8448's section `number` (e.g. '3' for "3.  Simple 1-RTT Handshake"). */
export function parseVector(number: string): Trace {
  const lines = rfcText().split('\n').map((l) => l.replace(/\r$/, ''));
  const head = new RegExp(`^${number.replace('.', '\\.')}\\.\\s{2}\\S`);
  const start = lines.findIndex((l) => head.test(l));
  if (start < 0) throw new Error(`RFC 8448: no section ${number}`);
  let end = lines.findIndex((l, i) => i > start && /^\d+\.\s{2}\S/.test(l));
  if (end < 0) end = lines.length;
  const body = lines.slice(start + 1, end).filter((l) => !PAGE_JUNK.some((re) => re.test(l)));

  const steps: VectorStep[] = [];
  let cur: { who: 'client' | 'server'; title: string; values: VectorValue[]; open: boolean } | undefined;
  for (let i = 0; i < body.length; i++) {
    const line = body[i] as string;
    const st = STEP.exec(line);
    if (st !== null) {
      cur = { who: st[1] as 'client' | 'server', title: (st[2] as string).trim(), values: [], open: !(st[2] as string).trim().endsWith(':') };
      steps.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    if (cur.open && /^ {6,}\S/.test(line) && !VALUE.test(line)) {
      // Wrapped step title.
      cur.title += ` ${line.trim()}`;
      if (cur.title.endsWith(':') || cur.title.endsWith(')')) cur.open = false;
      continue;
    }
    const v = VALUE.exec(line);
    if (v === null) continue;
    cur.open = false;
    const label = v[1] as string;
    const count = Number(v[2]);
    let hex = count === 0 ? '' : (v[3] as string);
    // Collect continuation lines (skipping blank lines left by page breaks) until we have `count` bytes.
    while (hex.replace(/\s/g, '').length < 2 * count) {
      i++;
      const next = body[i];
      if (next === undefined) throw new Error(`RFC 8448 §${number}: value "${label}" ran off the section`);
      if (next.trim() === '') continue;
      const h = HEXLINE.exec(next);
      if (h === null) throw new Error(`RFC 8448 §${number}: value "${label}" is short: ${hex.replace(/\s/g, '').length / 2} of ${count} bytes`);
      hex += ` ${h[1] as string}`;
    }
    const bytes = fromHex(hex);
    if (bytes.length !== count) throw new Error(`RFC 8448 §${number}: value "${label}" has ${bytes.length} bytes, says ${count}`);
    cur.values.push({ label, bytes });
  }
  for (const s of steps) s.title = s.title.replace(/:$/, '');
  return new Trace(number, steps);
}
