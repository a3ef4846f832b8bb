// The layering and style checks behind scripts/lint.mjs and test/unit/layering.test.ts (DESIGN.md C.1, C.11).
// No dependencies: it reads the import lines and a comment/string-stripped view of each file under src/.
//
// Rules:
//  - one-way dependencies: codec → wire → vocabulary → record → handshake → tls12/tls13 → engine → {api, sspi} → node → cli.
//    Leaves usable from anywhere: crypto/, x509/, credentials/, errors.ts, limits.ts, system-trust.ts and wire/registry.ts (IANA tables; errors.ts
//    needs the alert table). Leaves may import only leaves and codec/. A layer may import its own layer and lower
//    ones; tls12 and tls13 do not import each other, nor do api and sspi. `import type` counts like any import: the
//    types several layers share (options, prepared configuration, ConnectionInfo, events) live in vocabulary/.
//  - node:crypto only in src/crypto/node-provider.ts;
//    node:stream/net/http/https/tls only in src/node/ and src/cli/ (src/system-trust.ts may import `rootCertificates`
//    from node:tls and `readFileSync` from node:fs, for NODE_EXTRA_CA_CERTS, and nothing else); node:fs only in
//    src/cli/; Node built-ins only with the `node:` prefix;
//    packages only if they are runtime `dependencies` in package.json.
//  - `new TlsError` only in src/errors.ts; the `Buffer` identifier only in src/node/, src/cli/ and
//    src/crypto/node-provider.ts; no `any` type annotations, `as any` or `<any>` anywhere in src/.
//  - no import cycles, counting `import type` edges too.
//  - no getter or setter in an object literal: V8 keeps an own accessor in the object's hidden class, so each object
//    made by such a literal (with a closure per object) gets a hidden class of its own, kept in the old generation,
//    which holds what the closure holds alive through young-generation collections (docs/performance.md, issue 18
//    round 4). Use a class with the accessor on its prototype, or one shared descriptor with Object.defineProperty.
//  - no module-level mutable state (issue 13): no top-level `let`/`var`, no top-level WeakMap/WeakSet, a top-level
//    Map/Set only typed ReadonlyMap/ReadonlySet, no top-level empty or mutable-typed array, no top-level instance of a
//    class (it may hold state); the few that stay are in MODULE_STATE_ALLOWED, each with its reason.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep, posix } from 'node:path';

/** Rank of each layer in the one-way order. */
const RANK = /** @type {const} */ ({
  codec: 0,
  wire: 1,
  vocabulary: 2,
  record: 3,
  handshake: 4,
  tls12: 5,
  tls13: 5,
  engine: 6,
  // DTLS sits on the engine (configuration, dependencies) and under the front ends.
  dtls: 6.5,
  api: 7,
  sspi: 7,
  session: 7,
  node: 8,
  cli: 9,
});

const LEAF_DIRS = new Set(['crypto', 'x509', 'credentials']);
const LEAF_FILES = new Set(['src/errors.ts', 'src/limits.ts', 'src/system-trust.ts', 'src/wire/registry.ts']);
/** The one module that reads what the runtime supplies as trust anchors (node:tls rootCertificates, NODE_EXTRA_CA_CERTS). */
const SYSTEM_TRUST = 'src/system-trust.ts';
/**
 * Object-literal accessors that are made once, so no hidden class per object: file → why.
 * @type {ReadonlyMap<string, string>}
 */
const ACCESSOR_LITERAL_ALLOWED = new Map([
  ['src/engine/standard.ts', 'STANDARD_DEPENDENCIES: one frozen module-level value whose provider is made on first use'],
]);

/**
 * Module-level state that stays, by `file name`, with why. Anything else is refused: state belongs to objects that
 * are passed in or owned by instances.
 */
const MODULE_STATE_ALLOWED = new Map([
  ['src/codec/writer.ts pool', 'scratch buffers lent to one writer at a time (an encode, a flight, a call\'s output records) and wiped when given back: nothing observable survives'],
  ['src/record/protection.ts sharedScratch', 'one scratch buffer for sealing: nothing observable survives a call'],
  ['src/sspi/handles.ts nextId', 'SSPI handles are process-wide by the API: a handle value names one object in the whole process'],
  ['src/sspi/handles.ts table', 'SSPI handles are process-wide by the API: a handle value names one object in the whole process'],
  ['src/sspi/identity.ts impersonation', 'ImpersonateSecurityContext holds per execution context (AsyncLocalStorage), as the API requires'],
  ['src/x509/certificate.ts cache', 'memo: parsed certificates by DER, a hit confirmed byte for byte; bounded'],
  ['src/tls13/key-schedule.ts emptyContextInputs', 'memo of a pure function of the label'],
  ['src/tls13/key-schedule.ts emptyHashes', 'memo of a pure function, per provider (weak)'],
  ['src/tls13/key-schedule.ts hashConstants', 'per provider (weak): constants of a hash computed once, and HMAC input scratch (label and transcript hash or ticket nonce, nothing secret) overwritten by each synchronous call'],
  ['src/wire/registry.ts names', 'memo: the reverse of each constant IANA table (weak)'],
  ['src/handshake/tickets.ts ticketAeads', 'memo: the AEAD object of a ticket key (weak, keyed by the key bytes)'],
  ['src/crypto/node-provider.ts defaultProvider', 'the process default provider (system randomness and clock) for callers that pass none; immutable settings, its caches are memos'],
  ['src/node/index.ts defaultAdapter', "node:tls's module functions (connect, createServer…) must work unwired to be a drop-in: they are one default NodeTlsAdapter's; new NodeTlsAdapter() gives an isolated one"],
]);
/** Classes whose instances hold no state worth the name. */
const STATELESS_CLASSES = new Set(['TextEncoder', 'TextDecoder', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'DataView']);

/**
 * Module-level mutable state on one comment- and string-stripped line at column 0: the name and why, or undefined.
 * @param {string} l
 * @returns {{ name: string, why: string } | undefined}
 */
export function moduleState(l) {
  const v = /^(?:export\s+)?(?:let|var)\s+([\w$]+)/.exec(l);
  if (v !== null) return { name: v[1] ?? '', why: 'a module-level `let`' };
  const c = /^(?:export\s+)?const\s+([\w$]+)\s*(?::\s*([^=]+?))?\s*=\s*(.*)$/.exec(l);
  if (c === null) return undefined;
  const name = c[1] ?? '';
  const type = (c[2] ?? '').trim();
  const init = (c[3] ?? '').trim();
  const ctor = /^new\s+([\w$]+)/.exec(init)?.[1];
  if (ctor === 'WeakMap' || ctor === 'WeakSet') return { name, why: `a module-level ${ctor}` };
  if (ctor === 'Map' || ctor === 'Set') {
    return type.startsWith('Readonly') ? undefined : { name, why: `a module-level ${ctor} (type it Readonly${ctor} if it is a constant table)` };
  }
  if (ctor !== undefined && !STATELESS_CLASSES.has(ctor)) return { name, why: `a module-level ${ctor} instance` };
  if (/^\[\s*\]/.test(init)) return { name, why: 'a module-level empty array' };
  if (/\[\]\s*$/.test(type) && !type.startsWith('readonly')) return { name, why: 'a module-level mutable array' };
  return undefined;
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')));

/**
 * Which layer a src-relative posix path belongs to.
 * @param {string} file e.g. 'src/tls13/key-schedule.ts'
 * @returns {{ layer: string, leaf: boolean, rank: number }}
 */
export function layerOf(file) {
  if (LEAF_FILES.has(file)) return { layer: file.slice(4, -3), leaf: true, rank: -1 };
  const parts = file.split('/');
  if (parts.length === 2) {
    // src/index.ts is the public entry of the idiomatic API: it sits at the api layer.
    if (file === 'src/index.ts') return { layer: 'api', leaf: false, rank: RANK.api };
    return { layer: parts[1] ?? file, leaf: false, rank: 99 };
  }
  const dir = parts[1] ?? '';
  if (LEAF_DIRS.has(dir)) return { layer: dir, leaf: true, rank: -1 };
  const rank = /** @type {Record<string, number>} */ (RANK)[dir];
  return { layer: dir, leaf: false, rank: rank ?? 99 };
}

/**
 * Blank out comments (and, when `strings` is set, the contents of string and template literals), keeping every
 * newline so that offsets map to the same line numbers.
 * @param {string} text
 * @param {boolean} strings
 */
export function strip(text, strings) {
  let out = '';
  let i = 0;
  const n = text.length;
  /** last significant (non-space) character emitted as code, to tell a regex literal from a division */
  let prev = '';
  const blank = (/** @type {string} */ s) => s.replace(/[^\n]/g, ' ');
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      const end = text.indexOf('\n', i);
      const j = end === -1 ? n : end;
      out += blank(text.slice(i, j));
      i = j;
    } else if (c === '/' && d === '*') {
      const end = text.indexOf('*/', i + 2);
      const j = end === -1 ? n : end + 2;
      out += blank(text.slice(i, j));
      i = j;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < n && text[j] !== c) {
        if (text[j] === '\\') j++;
        else if (c !== '`' && text[j] === '\n') break;
        j++;
      }
      // Template literal substitutions are kept as string content: good enough for these checks.
      const body = text.slice(i + 1, j);
      out += c + (strings ? blank(body) : body) + (j < n ? c : '');
      i = j + 1;
      prev = c;
    } else if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\breturn$/.test(out.trimEnd()))) {
      // regex literal
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== '\n') {
        const e = text[j];
        if (e === '\\') j++;
        else if (e === '[') inClass = true;
        else if (e === ']') inClass = false;
        else if (e === '/' && !inClass) break;
        j++;
      }
      out += '/' + (strings ? blank(text.slice(i + 1, j)) : text.slice(i + 1, j)) + '/';
      i = j + 1;
      prev = '/';
    } else {
      out += c;
      if (c !== undefined && !/\s/.test(c)) prev = c;
      i++;
    }
  }
  return out;
}

/**
 * @typedef {{ spec: string, line: number, typeOnly: boolean, names: string | null }} ImportRef
 * @typedef {{ file: string, line: number, message: string }} Violation
 */

/** @param {string} text @param {number} index */
function lineAt(text, index) {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Every import/export-from/dynamic import in a file (comments already stripped).
 * @param {string} code
 * @returns {ImportRef[]}
 */
export function importsOf(code) {
  /** @type {ImportRef[]} */
  const refs = [];
  const fromRe = /(^|[;\s}])(import|export)(\s+type)?\s+([^;'"]*?)\s*from\s*(['"])([^'"]+)\5/g;
  for (const m of code.matchAll(fromRe)) {
    const at = (m.index ?? 0) + (m[1] ?? '').length;
    refs.push({ spec: m[6] ?? '', line: lineAt(code, at), typeOnly: Boolean(m[3]), names: m[4] ?? null });
  }
  const bareRe = /(^|[;\s}])import\s*(['"])([^'"]+)\2/g;
  for (const m of code.matchAll(bareRe)) {
    const at = (m.index ?? 0) + (m[1] ?? '').length;
    refs.push({ spec: m[3] ?? '', line: lineAt(code, at), typeOnly: false, names: null });
  }
  const dynRe = /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g;
  for (const m of code.matchAll(dynRe)) {
    refs.push({ spec: m[2] ?? '', line: lineAt(code, m.index ?? 0), typeOnly: false, names: null });
  }
  return refs.sort((a, b) => a.line - b.line);
}

/**
 * Resolve a relative specifier of `from` to a src-relative .ts path.
 * @param {string} from e.g. 'src/tls13/key-schedule.ts'
 * @param {string} spec e.g. '../crypto/provider.js'
 */
function resolveRelative(from, spec) {
  const joined = posix.normalize(posix.join(posix.dirname(from), spec));
  return joined.replace(/\.(m?)js$/, '.$1ts');
}

/**
 * Check a set of source files.
 * @param {ReadonlyArray<{ file: string, text: string }>} sources posix paths relative to the project root ('src/…')
 * @param {{ dependencies?: readonly string[] }} [options] runtime dependencies from package.json
 * @returns {Violation[]}
 */
export function lintSources(sources, options = {}) {
  const deps = new Set(options.dependencies ?? []);
  /** @type {Violation[]} */
  const out = [];
  /** import graph (value and type imports) for the cycle check */
  /** @type {Map<string, { to: string, line: number }[]>} */
  const graph = new Map();
  const known = new Set(sources.map((s) => s.file));

  for (const { file, text } of sources) {
    const code = strip(text, false);
    const bare = strip(text, true);
    const me = layerOf(file);
    const inDir = (/** @type {string} */ d) => file.startsWith(`src/${d}/`);
    const report = (/** @type {number} */ line, /** @type {string} */ message) => out.push({ file, line, message });
    /** @type {{ to: string, line: number }[]} */
    const edges = [];
    graph.set(file, edges);

    for (const ref of importsOf(code)) {
      const { spec, line, typeOnly } = ref;
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (!target.startsWith('src/')) {
          report(line, `imports '${spec}' from outside src/`);
          continue;
        }
        edges.push({ to: target, line });
        const them = layerOf(target);
        if (them.layer === me.layer && !me.leaf) continue;
        if (them.leaf) continue; // leaves are usable from anywhere
        if (me.leaf) {
          if (them.layer === 'codec') continue;
          report(line, `${me.layer} is a leaf module and may not import ${them.layer}/ ('${spec}')`);
          continue;
        }
        if (them.rank > me.rank) {
          report(
            line,
            `layering: ${me.layer}/ may not import ${them.layer}/ ('${spec}'); dependencies run ` +
              'codec → wire → vocabulary → record → handshake → tls12/tls13 → engine → {api, sspi} → node → cli' +
              (typeOnly ? ' (type imports too: shared types belong in vocabulary/)' : ''),
          );
        } else if (them.rank === me.rank && them.layer !== me.layer) {
          report(line, `layering: ${me.layer}/ may not import its sibling ${them.layer}/ ('${spec}')`);
        }
        continue;
      }

      const isNode = spec.startsWith('node:');
      const name = spec.replace(/^node:/, '');
      const base = name.split('/')[0] ?? name;
      if (!isNode && BUILTINS.has(base)) {
        report(line, `import Node built-ins with the node: prefix ('node:${spec}')`);
      }
      if (isNode || BUILTINS.has(base)) {
        if (base === 'crypto' && file !== 'src/crypto/node-provider.ts') {
          report(line, 'node:crypto may be imported only in src/crypto/node-provider.ts');
        } else if (['stream', 'net', 'http', 'https', 'tls', 'http2', 'dgram'].includes(base)) {
          const ok = inDir('node') || inDir('cli');
          const trustTls = base === 'tls' && file === SYSTEM_TRUST;
          if (trustTls) {
            const names = (ref.names ?? '').replace(/[{}\s]/g, '');
            if (typeOnly || names !== 'rootCertificates') {
              report(line, `${SYSTEM_TRUST} may import only \`{ rootCertificates }\` from 'node:tls'`);
            }
          } else if (!ok) {
            report(line, `${spec} may be imported only in src/node/ and src/cli/`);
          }
        } else if (base === 'fs' && !inDir('cli')) {
          const names = (ref.names ?? '').replace(/[{}\s]/g, '');
          if (file !== SYSTEM_TRUST || typeOnly || names !== 'readFileSync') {
            report(line, `${spec} may be imported only in src/cli/ (and \`{ readFileSync }\` in ${SYSTEM_TRUST})`);
          }
        }
        continue;
      }
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : base;
      if (!deps.has(pkg)) {
        report(line, `'${pkg}' is not a runtime dependency in package.json`);
      }
    }

    // Accessors in object literals (a class body or an interface's `{` does not count).
    for (const m of bare.matchAll(/([{,])\s*(?:get|set)\s+[A-Za-z_$#][\w$]*\s*\(/g)) {
      const at = m.index ?? 0;
      if (m[1] === '{' && /\b(?:class|interface)\b[^{};]*$/.test(bare.slice(Math.max(0, at - 300), at))) continue;
      if (ACCESSOR_LITERAL_ALLOWED.has(file)) continue;
      report(lineAt(bare, at + m[0].search(/get|set/)), 'no getter or setter in an object literal: each object would get a hidden class of its own (use a class, or one shared descriptor)');
    }

    // Token checks on the comment- and string-stripped view.
    const lines = bare.split('\n');
    lines.forEach((l, idx) => {
      const line = idx + 1;
      if (/\bnew\s+TlsError\b/.test(l) && file !== 'src/errors.ts') {
        report(line, '`new TlsError` only in src/errors.ts; use the factories there');
      }
      if (
        /(?<![.\w$])Buffer\b/.test(l) &&
        !inDir('node') &&
        !inDir('cli') &&
        file !== 'src/crypto/node-provider.ts'
      ) {
        report(line, '`Buffer` is not allowed here (use Uint8Array; Buffer only in src/node/, src/cli/, node-provider)');
      }
      if (/:\s*any\b(?![\w$])/.test(l) || /\bas\s+any\b(?![\w$])/.test(l) || /[<,]\s*any\s*[>,\[]/.test(l)) {
        report(line, 'no `any` in src/ (use unknown and narrow)');
      }
      const st = moduleState(l);
      if (st !== undefined && !MODULE_STATE_ALLOWED.has(`${file} ${st.name}`)) {
        report(line, `no module-level mutable state: ${st.why} '${st.name}' (pass it in or let an instance own it; see MODULE_STATE_ALLOWED)`);
      }
    });
  }

  // Cycles (Tarjan-free DFS; reports each cycle once by its smallest member).
  const state = new Map();
  /** @type {string[]} */
  const stack = [];
  const seen = new Set();
  /** @param {string} f */
  const dfs = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const { to, line } of graph.get(f) ?? []) {
      if (!known.has(to)) continue;
      if (state.get(to) === 1) {
        const cycle = stack.slice(stack.indexOf(to));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ file: f, line, message: `import cycle: ${[...cycle, to].join(' → ')}` });
        }
      } else if (!state.has(to)) {
        dfs(to);
      }
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) dfs(f);

  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

/**
 * The import graph between files (value and type imports), summarised: file arrows, folder arrows, and how many of
 * them run upward (against the one-way order, leaves included) or form cycles. `npm run lint -- --graph` prints it.
 * @param {ReadonlyArray<{ file: string, text: string }>} sources
 */
export function graphSummary(sources) {
  let fileArrows = 0;
  let typeOnlyArrows = 0;
  /** @type {Map<string, { upward: boolean, count: number }>} */
  const folderArrows = new Map();
  for (const { file, text } of sources) {
    const me = layerOf(file);
    for (const ref of importsOf(strip(text, false))) {
      if (!ref.spec.startsWith('.')) continue;
      const target = resolveRelative(file, ref.spec);
      fileArrows++;
      if (ref.typeOnly) typeOnlyArrows++;
      const them = layerOf(target);
      if (them.layer === me.layer) continue;
      const upward = me.leaf ? !them.leaf && them.layer !== 'codec' : !them.leaf && them.rank >= me.rank;
      const key = `${me.layer} → ${them.layer}`;
      const a = folderArrows.get(key) ?? { upward, count: 0 };
      a.count++;
      folderArrows.set(key, a);
    }
  }
  const cycles = lintSources(sources).filter((v) => v.message.startsWith('import cycle')).length;
  const upward = [...folderArrows].filter(([, a]) => a.upward).map(([k]) => k);
  return { files: sources.length, fileArrows, typeOnlyArrows, folderArrows: folderArrows.size, upward, cycles };
}

/** @param {string} root */
export function readSources(root) {
  return walkTs(join(root, 'src'))
    .sort()
    .map((p) => ({ file: relative(root, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));
}

/** @param {string} dir @returns {string[]} */
function walkTs(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walkTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The one-way order as ARCHITECTURE.md must state it. */
export const LAYER_ORDER = 'codec → wire → vocabulary → record → handshake → {tls12, tls13} → engine → {api, sspi} → node → cli';

/**
 * ARCHITECTURE.md against the tree: its folder table lists exactly the folders and top-level files of src/ (rows
 * start with a `src/...` path in backquotes), and it states the layer order the lint enforces.
 * @param {string} text ARCHITECTURE.md
 * @param {readonly string[]} entries names directly under src/ (folders, and .ts files)
 * @returns {Violation[]}
 */
export function checkArchitecture(text, entries) {
  /** @type {Violation[]} */
  const out = [];
  const lines = text.split('\n');
  /** @type {Map<string, number>} */
  const listed = new Map();
  lines.forEach((l, i) => {
    const m = /^\|\s*`src\/([^`/]+)`\s*\|/.exec(l);
    if (m?.[1] !== undefined) listed.set(m[1], i + 1);
  });
  for (const e of entries) {
    if (!listed.has(e)) out.push({ file: 'ARCHITECTURE.md', line: 1, message: `src/${e} is missing from the folder table` });
  }
  for (const [e, line] of listed) {
    if (!entries.includes(e)) out.push({ file: 'ARCHITECTURE.md', line, message: `the folder table lists src/${e}, which does not exist` });
  }
  if (!text.includes(LAYER_ORDER)) out.push({ file: 'ARCHITECTURE.md', line: 1, message: `does not state the layer order: ${LAYER_ORDER}` });
  return out;
}

/**
 * Lint the src/ tree of a project root.
 * @param {string} root
 * @returns {Violation[]}
 */
export function lintTree(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const violations = lintSources(readSources(root), { dependencies: Object.keys(pkg.dependencies ?? {}) });
  const entries = readdirSync(join(root, 'src')).filter((n) => statSync(join(root, 'src', n)).isDirectory() || (n.endsWith('.ts') && !n.endsWith('.d.ts')));
  const arch = join(root, 'ARCHITECTURE.md');
  const text = existsSync(arch) ? readFileSync(arch, 'utf8') : '';
  return [...violations, ...checkArchitecture(text, entries.sort())];
}
