/**
 * The layering and style rules of DESIGN.md C.1/C.11, run as a test: the real src/ tree must be clean, and the
 * checker must catch each kind of violation (so a broken checker cannot pass silently).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Violation {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}
interface LintCore {
  checkArchitecture(text: string, entries: readonly string[]): Violation[];
  LAYER_ORDER: string;
  lintTree(root: string): Violation[];
  lintSources(
    sources: ReadonlyArray<{ file: string; text: string }>,
    options?: { dependencies?: readonly string[] },
  ): Violation[];
}

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('layering test: package.json not found above ' + import.meta.url);
    dir = up;
  }
  return dir;
}

const root = projectRoot();
const core = (await import(pathToFileURL(join(root, 'scripts', 'lint-core.mjs')).href)) as LintCore;

function check(file: string, text: string): string[] {
  return core
    .lintSources([{ file, text }], { dependencies: ['@noble/post-quantum'] })
    .map((v) => `${v.line}: ${v.message}`);
}

test('src/ obeys the layering and style rules', () => {
  const violations = core.lintTree(root);
  assert.deepEqual(
    violations.map((v) => `${v.file}:${v.line}: ${v.message}`),
    [],
  );
});

test('rejects an upward import (codec → tls13)', () => {
  const v = check('src/codec/reader.ts', "import { x } from '../tls13/key-schedule.js';\n");
  assert.equal(v.length, 1);
  assert.match(v[0] ?? '', /^1: layering: codec\/ may not import tls13\//);
});

test('allows downward imports and leaves from anywhere', () => {
  assert.deepEqual(
    check(
      'src/tls13/client-states.ts',
      [
        "import { Reader } from '../codec/reader.js';",
        "import { readClientHello } from '../wire/client-hello.js';",
        "import { Transcript } from '../handshake/transcript.js';",
        "import type { CryptoProvider } from '../crypto/provider.js';",
        "import { verifyChain } from '../x509/chain.js';",
        "import { decodeError } from '../errors.js';",
        "import { MAX_CERT_CHAIN } from '../limits.js';",
      ].join('\n'),
    ),
    [],
  );
});

test('an upward import is refused for types too; shared types come from vocabulary/', () => {
  const v = check('src/engine/connection.ts', "import { TlsServer } from '../api/connection.js';\n");
  assert.equal(v.length, 1);
  assert.match(v[0] ?? '', /engine\/ may not import api\//);
  const t = check('src/tls13/client.ts', "import type { PreparedClientConfig } from '../engine/config.js';\n");
  assert.equal(t.length, 1);
  assert.match(t[0] ?? '', /tls13\/ may not import engine\/.*type imports too/);
  assert.match(check('src/handshake/context.ts', "import type { EngineEvent } from '../engine/events.js';\n")[0] ?? '', /handshake\/ may not import engine\//);
  assert.match(check('src/sspi/context.ts', "import type { ConnectionInfo } from '../api/types.js';\n")[0] ?? '', /sibling api/);
  assert.deepEqual(check('src/tls13/client.ts', "import type { PreparedClientConfig } from '../vocabulary/config.js';\n"), []);
  assert.match(check('src/vocabulary/config.ts', "import type { TicketKeys } from '../engine/config.js';\n")[0] ?? '', /vocabulary\/ may not import engine\//);
});

test('tls12 and tls13 do not import each other', () => {
  const v = check('src/tls12/server-states.ts', "import { x } from '../tls13/key-schedule.js';\n");
  assert.match(v[0] ?? '', /sibling tls13/);
});

test('leaves may not import layers above codec', () => {
  const v = check('src/x509/chain.ts', "import { x } from '../handshake/verify.js';\n");
  assert.match(v[0] ?? '', /leaf module/);
  assert.deepEqual(check('src/x509/der.ts', "import { Reader } from '../codec/reader.js';\n"), []);
});

test('node built-ins are confined to their modules', () => {
  assert.match(check('src/tls13/x.ts', "import * as nc from 'node:crypto';\n")[0] ?? '', /node:crypto/);
  assert.deepEqual(check('src/crypto/node-provider.ts', "import * as nc from 'node:crypto';\n"), []);
  assert.match(check('src/engine/x.ts', "import { Duplex } from 'node:stream';\n")[0] ?? '', /src\/node\/ and src\/cli/);
  assert.deepEqual(check('src/node/duplex.ts', "import { Duplex } from 'node:stream';\n"), []);
  assert.match(check('src/node/duplex.ts', "import { readFileSync } from 'node:fs';\n")[0] ?? '', /only in src\/cli/);
  assert.deepEqual(check('src/cli/main.ts', "import { readFileSync } from 'node:fs';\n"), []);
  assert.deepEqual(check('src/system-trust.ts', "import { rootCertificates } from 'node:tls';\n"), []);
  assert.deepEqual(check('src/system-trust.ts', "import { readFileSync } from 'node:fs';\n"), []);
  assert.match(check('src/system-trust.ts', "import { connect } from 'node:tls';\n")[0] ?? '', /rootCertificates/);
  assert.match(check('src/system-trust.ts', "import { writeFileSync } from 'node:fs';\n")[0] ?? '', /readFileSync/);
  assert.match(check('src/api/roots.ts', "import { rootCertificates } from 'node:tls';\n")[0] ?? '', /src\/node\/ and src\/cli/);
  assert.match(check('src/crypto/node-provider.ts', "import * as nc from 'crypto';\n")[0] ?? '', /node: prefix/);
  assert.match(check('src/x509/x.ts', "import { X } from '@peculiar/x509';\n")[0] ?? '', /not a runtime dependency/);
});

test('new TlsError, Buffer and any are caught in code but not in comments or strings', () => {
  const v = check(
    'src/engine/connection.ts',
    [
      '  const e = new TlsError("x");',
      'const b = Buffer.from([1]);',
      '  let a: any = 1;',
      'const c = a as any;',
      '// new TlsError, Buffer, : any in a comment',
      "const s = 'new TlsError Buffer as any';",
      'const ok: SecBuffer | ArrayBuffer | undefined = undefined;',
      '/* block comment with Buffer */ const r = /Buffer/.test(s);',
    ].join('\n'),
  );
  assert.deepEqual(
    v.map((x) => x.replace(/:.*$/, '')),
    ['1', '2', '3', '4'],
  );
  assert.deepEqual(check('src/errors.ts', 'throw new TlsError(kind);\n'), []);
  assert.deepEqual(check('src/node/duplex.ts', 'const b = Buffer.from(x);\n'), []);
});

test('module-level mutable state is refused unless allow-listed with a reason; constant tables typed readonly pass', () => {
  const v = check(
    'src/engine/connection.ts',
    [
      'let counter = 0;',
      'const cache = new Map<string, number>();',
      'const seen = new WeakMap<object, number>();',
      'export const registry = new Registry(16);',
      'const queue: number[] = [];',
      'const TABLE: ReadonlyMap<number, string> = new Map([[1, "a"]]);',
      'const NAMES: ReadonlySet<string> = new Set(["a"]);',
      'const EMPTY = new Uint8Array(0);',
      'const LIST: readonly number[] = [1, 2];',
      'function f(): void {',
      '  let local = 1;',
      '  const m = new Map();',
      '}',
      '// let inComment = 1;',
    ].join('\n'),
  );
  assert.deepEqual(
    v.map((x) => x.replace(/:.*$/, '')),
    ['1', '2', '3', '4', '5'],
  );
  assert.ok(v.every((x) => x.includes('no module-level mutable state')));
  // An allow-listed one (with its reason in scripts/lint-core.mjs) passes.
  assert.deepEqual(check('src/sspi/handles.ts', 'let nextId = 1;\nconst table = new Map<number, object>();\n'), []);
});

test('rejects a getter or setter in an object literal, not in a class or an interface', () => {
  const v = check(
    'src/node/x.ts',
    [
      'export function observer(d: { n: number }) {',
      '  return {',
      '    get count() {',
      '      return d.n;',
      '    },',
      '  };',
      '}',
      'export const o = f({ a: 1, set b(v: number) {} });',
      'export class C {',
      '  get x(): number {',
      '    return 1;',
      '  }',
      '}',
      'export interface I { get y(): number }',
      '// { get inComment() {} }',
    ].join('\n'),
  );
  assert.deepEqual(v, [
    '3: no getter or setter in an object literal: each object would get a hidden class of its own (use a class, or one shared descriptor)',
    '8: no getter or setter in an object literal: each object would get a hidden class of its own (use a class, or one shared descriptor)',
  ]);
});

test('reports cycles made by type imports too', () => {
  const v = core.lintSources([
    { file: 'src/node/a.ts', text: "import type { B } from './b.js';\nexport interface A { b: B }\n" },
    { file: 'src/node/b.ts', text: "import { a } from './a.js';\nexport type B = typeof a;\n" },
  ]);
  assert.equal(v.length, 1);
  assert.match(v[0]?.message ?? '', /import cycle/);
});

test('reports value-import cycles', () => {
  const v = core.lintSources([
    { file: 'src/wire/a.ts', text: "import { b } from './b.js';\nexport const a = 1;\n" },
    { file: 'src/wire/b.ts', text: "import { a } from './a.js';\nexport const b = 2;\n" },
  ]);
  assert.equal(v.length, 1);
  assert.match(v[0]?.message ?? '', /import cycle: src\/wire\/a\.ts → src\/wire\/b\.ts → src\/wire\/a\.ts/);
});

test('ARCHITECTURE.md: its folder table must match the tree and it must state the layer order', () => {
  const table = (rows: string[]): string => ['| path | job | may import |', '| --- | --- | --- |', ...rows.map((r) => `| \`src/${r}\` | x | y |`), core.LAYER_ORDER].join('\n');
  assert.deepEqual(core.checkArchitecture(table(['codec', 'index.ts']), ['codec', 'index.ts']), []);
  const missing = core.checkArchitecture(table(['codec']), ['codec', 'wire']);
  assert.match(missing[0]?.message ?? '', /src\/wire is missing/);
  const extra = core.checkArchitecture(table(['codec', 'gone']), ['codec']);
  assert.match(extra[0]?.message ?? '', /lists src\/gone, which does not exist/);
  assert.equal(extra[0]?.line, 4);
  const noOrder = core.checkArchitecture('| `src/codec` | x | y |', ['codec']);
  assert.match(noOrder[0]?.message ?? '', /layer order/);
});
