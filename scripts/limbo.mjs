#!/usr/bin/env node
// Runs the C2SP x509-limbo path-validation corpus through sspi-tls/x509's verifyChain and prints what
// docs/conformance.md reports: passes, invalid chains accepted, valid chains rejected, the BetterTLS subset and
// the time taken. It fetches nothing: the corpus is read from $LIMBO_JSON or /work/shared/data/limbo.json.gz
// (limbo.json, gzipped or not). Needs `npm run build` first (`npm run limbo` does both).
//
//   node scripts/limbo.mjs [--filter SUBSTR] [--json OUT.json] [--quiet]
//
// Mapping of a limbo case onto verifyChain: SERVER → usage serverAuth, CLIENT → clientAuth; expected_peer_name
// DNS → serverName, IP → ipAddress (RFC822 names are not identities we check: no name check); validation_time
// (null = now) → time; max_chain_depth (intermediates, as limbo counts) → maxIntermediates; crls → crls; every
// trusted certificate is an anchor and the untrusted intermediates are presented as the peer's other certificates.
// An anchor we cannot parse is dropped from the store (as a system store loader would) and noted.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const x509Path = new URL('../dist/src/x509/index.js', import.meta.url);
if (!existsSync(fileURLToPath(x509Path))) {
  console.error('limbo: dist/src/x509/index.js does not exist; run `npm run build` first');
  process.exit(1);
}
const { verifyChain, pemToDer, parseCertificate } = await import(x509Path.href);

const args = process.argv.slice(2);
/** @param {string} name */
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = opt('--filter');
const jsonOut = opt('--json');
const quiet = args.includes('--quiet');

const corpusPath = process.env['LIMBO_JSON'] ?? '/work/shared/data/limbo.json.gz';
if (!existsSync(corpusPath)) {
  console.error(`limbo: ${corpusPath} not found; set LIMBO_JSON to a limbo.json(.gz) from C2SP/x509-limbo`);
  process.exit(1);
}
const raw = readFileSync(corpusPath);
const corpus = JSON.parse((raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8'));
/** @type {any[]} */
const cases = corpus.testcases.filter((/** @type {any} */ t) => filter === undefined || t.id.includes(filter));

/** @param {string} pem */
const der = (pem) => {
  const list = pemToDer(pem);
  if (list.length !== 1) throw new Error('expected one certificate');
  return list[0];
};

/**
 * Run one case: { accepted, detail, ms }.
 * @param {any} tc
 */
function runCase(tc) {
  const t0 = performance.now();
  const anchors = [];
  const notes = [];
  for (const pem of tc.trusted_certs) {
    try {
      const d = der(pem);
      parseCertificate(d);
      anchors.push(d);
    } catch (e) {
      notes.push(`anchor dropped: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  /** @type {Record<string, unknown>} */
  const o = {
    leaf: der(tc.peer_certificate),
    intermediates: tc.untrusted_intermediates.map(der),
    trustAnchors: anchors,
    usage: tc.validation_kind === 'CLIENT' ? 'clientAuth' : 'serverAuth',
    time: tc.validation_time === null ? Date.now() : Date.parse(tc.validation_time),
  };
  const peer = tc.expected_peer_name;
  if (peer?.kind === 'DNS') o['serverName'] = peer.value;
  else if (peer?.kind === 'IP') o['ipAddress'] = peer.value;
  if (tc.max_chain_depth !== null && tc.max_chain_depth !== undefined) o['maxIntermediates'] = tc.max_chain_depth;
  if (Array.isArray(tc.crls) && tc.crls.length > 0) o['crls'] = tc.crls.flatMap((/** @type {string} */ p) => pemToDer(p, 'X509 CRL'));
  let accepted;
  let detail;
  try {
    const r = verifyChain(o);
    accepted = r.ok;
    detail = r.ok ? `path of ${r.chain.length}` : `${r.reason}: ${r.detail}`;
  } catch (e) {
    accepted = false;
    detail = `threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (notes.length > 0) detail += ` (${notes.join('; ')})`;
  return { accepted, detail, ms: performance.now() - t0 };
}

const started = performance.now();
/** @type {{id: string, expected: string, accepted: boolean, detail: string, ms: number, features: string[]}[]} */
const results = [];
for (const tc of cases) {
  let r;
  try {
    r = runCase(tc);
  } catch (e) {
    r = { accepted: false, detail: `harness: ${e instanceof Error ? e.message : String(e)}`, ms: 0 };
  }
  results.push({ id: tc.id, expected: tc.expected_result, features: tc.features, ...r });
}
const totalMs = performance.now() - started;

/** @param {typeof results} rs */
function tally(rs) {
  const pass = rs.filter((r) => r.accepted === (r.expected === 'SUCCESS')).length;
  const invalidAccepted = rs.filter((r) => r.expected === 'FAILURE' && r.accepted);
  const validRejected = rs.filter((r) => r.expected === 'SUCCESS' && !r.accepted);
  return { total: rs.length, pass, invalidAccepted, validRejected };
}

// The cases pyca/cryptography's own limbo harness runs (harness/pyca-cryptography/main.py upstream: features it
// declares unsupported, its explicit skip list, SERVER cases with no EKU or serverAuth only): the set its published
// "14 invalid chains accepted" is counted on.
const PYCA_UNSUPPORTED = new Set(['pedantic-public-suffix-wildcard', 'name-constraint-dn', 'pedantic-webpki-eku', 'pedantic-webpki-subscriber-key', 'pedantic-rfc5280', 'rfc5280-incompatible-with-webpki', 'has-policy-constraints', 'has-crl']);
const PYCA_SKIPPED = new Set([
  'pathlen::self-issued-certs-pathlen', 'pathlen::max-chain-depth-1-self-issued', 'rfc5280::serial::zero', 'rfc5280::ski::root-missing-ski',
  'rfc5280::ski::intermediate-missing-ski', 'rfc5280::aki::intermediate-missing-aki', 'webpki::aki::root-with-aki-ski-mismatch',
  'webpki::forbidden-rsa-not-divisable-by-8-in-root', 'rfc5280::ca-as-leaf', 'pathlen::validation-ignores-pathlen-in-leaf', 'pathological::pathological-chain-same-subject-same-key',
]);
const byId = new Map(cases.map((/** @type {any} */ t) => [t.id, t]));
const pycaRuns = (/** @type {{id: string, features: string[]}} */ r) => {
  const tc = byId.get(r.id);
  const eku = tc.extended_key_usage ?? [];
  return tc.validation_kind === 'SERVER' && !PYCA_SKIPPED.has(r.id) && !r.features.some((f) => PYCA_UNSUPPORTED.has(f)) && (eku.length === 0 || (eku.length === 1 && eku[0] === 'serverAuth'));
};

const all = tally(results);
const pyca = tally(results.filter(pycaRuns));
const better = tally(results.filter((r) => r.id.startsWith('bettertls::')));
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3);
const fmt = (/** @type {number} */ ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

console.log(`x509-limbo: ${all.total} cases from ${corpusPath.replace(root, '')}`);
console.log(`  passed:                  ${all.pass}/${all.total}`);
console.log(`  invalid chains accepted: ${all.invalidAccepted.length}`);
console.log(`  valid chains rejected:   ${all.validRejected.length}`);
console.log(`  BetterTLS:               ${better.pass}/${better.total} (invalid accepted ${better.invalidAccepted.length}, valid rejected ${better.validRejected.length})`);
console.log(`  on the ${pyca.total} cases pyca/cryptography's harness runs: invalid accepted ${pyca.invalidAccepted.length}, valid rejected ${pyca.validRejected.length}`);
console.log(`  time:                    ${fmt(totalMs)} in all; slowest ${slowest.map((r) => `${r.id} ${fmt(r.ms)}`).join(', ')}`);
if (!quiet) {
  const list = (/** @type {string} */ title, /** @type {typeof results} */ rs) => {
    if (rs.length === 0) return;
    console.log(`\n${title}:`);
    for (const r of rs) console.log(`  ${r.id}${r.features.length > 0 ? ` [${r.features.join(', ')}]` : ''}\n      ${r.detail}`);
  };
  list('Invalid chains accepted', all.invalidAccepted);
  list('Valid chains rejected', all.validRejected);
}
if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify({ totalMs, results }, null, 1));
