#!/usr/bin/env node
// Runs the tlsfuzzer scripts that apply to an ECDHE+AEAD-only server against `sspi-tls serve --mode http` and,
// in the same run, against `openssl s_server -www` restricted to the same suites and groups.
//
//   TLSFUZZER_DIR=/tmp/tlsfuzzer TLSLITE_DIR=/tmp/tlslite-ng npm run conformance [-- options]
//
//   --profile=rsa,ecdsa,tls12      profiles to run (default: all three)
//   --target=sspi,sspi-echo,openssl servers to run (default: all three). `sspi` is `serve --mode http` (node:http:
//                                  it answers HTTP/1.x requests, also the LF-only "GET / HTTP/1.0\n\n" many TLS
//                                  1.2 scripts send), `sspi-echo` is `serve --mode echo` (answers anything, as
//                                  `s_server -www` does)
//   --only=SUBSTR[,SUBSTR]         only scripts whose name contains one of these
//   --timeout=SECONDS              per script (default 300)
//   --json=FILE                    write the results as JSON
//
// Fetches nothing: TLSFUZZER_DIR is a checkout of github.com/tlsfuzzer/tlsfuzzer, TLSLITE_DIR (default: a
// tlslite-ng directory next to it) one of github.com/tlsfuzzer/tlslite-ng; python3 needs the `ecdsa` module
// (Debian: python3-ecdsa). Without them it says so and exits 0 (CI cannot reach GitHub: the published counts
// live in docs/conformance.md). Build first (`npm run build`): the server is dist/src/cli/main.js.
//
// Options the scripts get: our TLS 1.2 server requires extended_master_secret, so scripts that take `-M` get it
// (for both servers); our HelloRetryRequest always carries a cookie, so scripts that take `--cookie` get it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (m === null) throw new Error(`tlsfuzzer: unknown argument ${a}`);
  return [m[1], m[2] ?? 'true'];
}));

const fuzzerDir = process.env.TLSFUZZER_DIR;
const tlsliteDir = process.env.TLSLITE_DIR ?? (fuzzerDir !== undefined ? join(dirname(fuzzerDir), 'tlslite-ng') : undefined);
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function skip(why) {
  console.log(`tlsfuzzer: SKIPPED — ${why}`);
  console.log('  Get the trees (outside the repository), then run:');
  console.log('    git clone https://github.com/tlsfuzzer/tlsfuzzer /tmp/tlsfuzzer');
  console.log('    git clone https://github.com/tlsfuzzer/tlslite-ng /tmp/tlslite-ng');
  console.log('    TLSFUZZER_DIR=/tmp/tlsfuzzer npm run conformance');
  process.exit(0);
}

if (fuzzerDir === undefined) skip('TLSFUZZER_DIR is not set');
if (!existsSync(join(fuzzerDir, 'tlsfuzzer', 'runner.py'))) skip(`${fuzzerDir} is not a tlsfuzzer checkout (no tlsfuzzer/runner.py)`);
if (tlsliteDir === undefined || !existsSync(join(tlsliteDir, 'tlslite', '__init__.py'))) skip(`no tlslite-ng checkout at ${tlsliteDir ?? '(unset)'} (set TLSLITE_DIR)`);
const pyPath = `${fuzzerDir}:${tlsliteDir}`;
if (spawnSync(python, ['-c', 'import ecdsa, tlslite, tlsfuzzer'], { env: { ...process.env, PYTHONPATH: pyPath } }).status !== 0) {
  skip(`${python} cannot import ecdsa, tlslite and tlsfuzzer (Debian: apt-get install python3-ecdsa)`);
}
// SSPI_TLS_CLI: a copy of the built CLI to test (so a rebuild during a long run does not change the server).
const cli = process.env.SSPI_TLS_CLI ?? join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(cli)) {
  console.error('tlsfuzzer: dist/src/cli/main.js is missing; run `npm run build` first');
  process.exit(1);
}

/** TLS 1.3 scripts that apply to an ECDHE+AEAD server without client certificates, PSK-only modes, FFDHE or EdDSA. */
const TLS13 = [
  'test-tls13-0rtt-garbage', 'test-tls13-ccs', 'test-tls13-conversation', 'test-tls13-count-tickets', 'test-tls13-crfg-curves',
  'test-tls13-ecdhe-curves', 'test-tls13-empty-alert', 'test-tls13-finished', 'test-tls13-finished-plaintext', 'test-tls13-hrr',
  'test-tls13-invalid-ciphers', 'test-tls13-keyshare-omitted', 'test-tls13-keyupdate', 'test-tls13-large-number-of-extensions',
  'test-tls13-legacy-version', 'test-tls13-lengths', 'test-tls13-multiple-ccs-messages', 'test-tls13-no-unknown-groups',
  'test-tls13-nociphers', 'test-tls13-obsolete-curves', 'test-tls13-record-layer-limits', 'test-tls13-record-padding',
  'test-tls13-rsa-signatures', 'test-tls13-rsapss-signatures', 'test-tls13-serverhello-random', 'test-tls13-session-resumption',
  'test-tls13-shuffled-extentions', 'test-tls13-signature-algorithms', 'test-tls13-symetric-ciphers', 'test-tls13-unencrypted-alert',
  'test-tls13-unrecognised-groups', 'test-tls13-version-negotiation', 'test-tls13-zero-content-type', 'test-tls13-zero-length-data',
  'test-tls13-connection-abort', 'test-tls13-pkcs-signature',
];
/** TLS 1.2 scripts that apply to an ECDHE+AEAD server (no CBC, RSA key transport, DHE, renegotiation or client certificates). */
const TLS12 = [
  'test-aes-gcm-nonces', 'test-ccs', 'test-chacha20', 'test-client-hello-max-size', 'test-clienthello-md5', 'test-connection-abort',
  'test-conversation', 'test-downgrade-protection', 'test-ecdhe-rsa-key-exchange', 'test-ecdhe-rsa-key-exchange-with-bad-messages',
  'test-empty-extensions', 'test-extended-master-secret-extension', 'test-extensions', 'test-fallback-scsv', 'test-fuzzed-finished',
  'test-invalid-cipher-suites', 'test-invalid-client-hello', 'test-invalid-client-hello-w-record-overflow',
  'test-invalid-compression-methods', 'test-invalid-content-type', 'test-invalid-session-id', 'test-invalid-version',
  'test-large-hello', 'test-large-number-of-extensions', 'test-message-duplication', 'test-message-skipping', 'test-point-extension',
  'test-record-layer-fragmentation', 'test-record-size-limit', 'test-renegotiation-disabled', 'test-serverhello-random',
  'test-sessionID-resumption', 'test-session-ticket-resumption', 'test-sig-algs', 'test-signature-algorithms',
  'test-truncating-of-client-hello', 'test-truncating-of-finished', 'test-unsupported-curve-fallback', 'test-version-numbers',
  'test-x25519', 'test-zero-length-data', 'test-hello-request-by-client',
];
/** With an ECDSA (P-256) certificate: the scripts whose signature algorithms include ECDSA. */
const ECDSA = ['test-tls13-ecdsa-support', 'test-tls13-conversation', 'test-ecdsa-sig-flexibility', 'test-tls13-signature-algorithms'];
/** TLS 1.2-only server: version negotiation from a TLS 1.3 client, and the TLS 1.2 basics. */
const TLS12_ONLY = ['test-tls13-non-support', 'test-tls13-version-negotiation', 'test-conversation', 'test-version-numbers', 'test-downgrade-protection'];

const PROFILES = {
  rsa: { cert: 'rsa', tls12Only: false, scripts: [...TLS13, ...TLS12] },
  ecdsa: { cert: 'ecdsa', tls12Only: false, scripts: ECDSA },
  tls12: { cert: 'rsa', tls12Only: true, scripts: TLS12_ONLY },
};

const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const TLS12_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function waitForPort(port, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(); });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} not listening after ${ms} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function makeCerts(dir) {
  const ossl = (a) => {
    const r = spawnSync('openssl', a, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${a.join(' ')}: ${r.stderr}`);
  };
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.pem', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
  ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ecdsa.key', '-out', 'ecdsa.pem', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
}

function serverCommand(target, profile, port, dir) {
  const cert = join(dir, `${profile.cert}.pem`);
  const key = join(dir, `${profile.cert}.key`);
  if (target === 'sspi' || target === 'sspi-echo') {
    const mode = target === 'sspi' ? 'http' : 'echo';
    // One process, as s_server: the published counts were taken that way.
    const a = [cli, 'serve', '--workers', '1', '--host', '127.0.0.1', '--port', String(port), '--cert', cert, '--key', key, '--mode', mode, '--groups', 'x25519,p256,p384'];
    if (profile.tls12Only) a.push('--tls', '1.2');
    return [process.execPath, a];
  }
  const a = ['s_server', '-www', '-accept', String(port), '-cert', cert, '-key', key, '-ciphersuites', TLS13_SUITES, '-cipher', TLS12_CIPHERS, '-groups', 'X25519:P-256:P-384'];
  if (profile.tls12Only) a.push('-tls1_2');
  else a.push('-no_tls1', '-no_tls1_1', '-no_ssl3');
  return ['openssl', a];
}

function scriptArgs(name, port, profile) {
  const src = join(fuzzerDir, 'tlsfuzzer', '_apps', `${name.replace(/-/g, '_')}.py`);
  const text = existsSync(src) ? readFileSync(src, 'utf8') : '';
  const a = ['-h', '127.0.0.1', '-p', String(port)];
  // TLS 1.2 scripts: (EC)DHE instead of RSA key transport (`-d`), and an ECDHE+AEAD suite where they take one
  // (`-C`; their default is CBC).
  if (!name.startsWith('test-tls13-') && /'-d'/.test(text)) a.push('-d');
  if (!name.startsWith('test-tls13-') && /'-C'/.test(text)) {
    a.push('-C', profile.cert === 'ecdsa' ? 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' : 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  }
  if (/'-M'/.test(text) && /--ems/.test(text)) a.push('-M');
  if (/--cookie/.test(text)) a.push('--cookie');
  // Both servers send two NewSessionTickets after a full handshake (our default ticketCount, OpenSSL's -num_tickets).
  if (name === 'test-tls13-count-tickets') a.push('-t', '2');
  // The TLS 1.2 half of the resumption script: an ECDHE+AEAD suite.
  if (/--tls1\.2-cipher/.test(text)) a.push('-d', '--tls1.2-cipher', profile.cert === 'ecdsa' ? 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' : 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  return a;
}

/** Run one script; returns its summary counts and the names of failing probes. */
function runScript(name, port, timeoutS, profile) {
  return new Promise((resolve) => {
    const script = join(fuzzerDir, 'scripts', `${name}.py`);
    if (!existsSync(script)) {
      resolve({ status: 'absent', total: 0, pass: 0, fail: 0, skip: 0, xfail: 0, xpass: 0, failed: [] });
      return;
    }
    const started = Date.now();
    const child = spawn(python, [script, ...scriptArgs(name, port, profile)], { cwd: fuzzerDir, env: { ...process.env, PYTHONPATH: pyPath }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label) => Number((new RegExp(`^${label}:\\s*(\\d+)`, 'm').exec(out) ?? [])[1] ?? 0);
      const failed = [];
      // The summary lists failing probes after "FAILED:", one per tab-indented line.
      const at = out.lastIndexOf('\nFAILED:\n');
      if (at >= 0) {
        for (const line of out.slice(at + 9).split('\n')) {
          if (!line.startsWith('\t')) break;
          failed.push(line.trim().replace(/^'|'$/g, ''));
        }
      }
      const total = num('TOTAL');
      resolve({
        status: timedOut ? 'timeout' : total === 0 ? 'error' : code === 0 ? 'ok' : 'fail',
        code,
        seconds: Math.round((Date.now() - started) / 1000),
        total,
        skip: num('SKIP'),
        pass: num('PASS'),
        xfail: num('XFAIL'),
        fail: num('FAIL'),
        xpass: num('XPASS'),
        failed,
        tail: total === 0 || timedOut ? out.split('\n').slice(-15).join('\n') : undefined,
      });
    });
  });
}

async function runTarget(target, profileName, dir, filter, timeoutS) {
  const profile = PROFILES[profileName];
  const results = {};
  for (const name of profile.scripts) {
    if (filter.length > 0 && !filter.some((f) => name.includes(f))) continue;
    const port = await freePort();
    const [cmd, a] = serverCommand(target, profile, port, dir);
    const server = spawn(cmd, a, { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    try {
      await waitForPort(port, 15_000);
      results[name] = await runScript(name, port, timeoutS, profile);
    } catch (e) {
      results[name] = { status: 'error', total: 0, pass: 0, fail: 0, skip: 0, xfail: 0, xpass: 0, failed: [], tail: String(e) };
    } finally {
      try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    const r = results[name];
    console.log(`${target.padEnd(9)} ${profileName.padEnd(5)} ${name.padEnd(55)} ${r.status.padEnd(7)} pass ${r.pass}/${r.total}${r.fail > 0 ? ` FAIL ${r.fail}` : ''}${r.seconds !== undefined ? ` (${r.seconds}s)` : ''}`);
    if (r.failed.length > 0) for (const f of r.failed) console.log(`          ✗ ${f}`);
    if (r.tail !== undefined) console.log(r.tail.split('\n').map((l) => `          | ${l}`).join('\n'));
  }
  return results;
}

const profiles = (args.profile ?? 'rsa,ecdsa,tls12').split(',');
const targets = (args.target ?? 'sspi,sspi-echo,openssl').split(',');
const filter = args.only !== undefined ? args.only.split(',') : [];
const timeoutS = Number(args.timeout ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-tlsfuzzer-'));
const all = {};
try {
  makeCerts(dir);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const fuzzerCommit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fuzzerDir, encoding: 'utf8' }).stdout.trim();
  console.log(`tlsfuzzer run ${new Date().toISOString()} sspi-tls ${commit || '?'} tlsfuzzer ${fuzzerCommit || '(not a git checkout)'}`);
  for (const profile of profiles) {
    if (PROFILES[profile] === undefined) throw new Error(`unknown profile ${profile}`);
    all[profile] = {};
    // The two servers of a profile run side by side (each script still runs alone against its server).
    const runs = targets.map(async (t) => { all[profile][t] = await runTarget(t, profile, dir, filter, timeoutS); });
    await Promise.all(runs);
  }
  // Summary table: per script, passes/total (failing probes) for each target, and the options the script got.
  // A TLS 1.2 script that cannot offer extended_master_secret (no -M) meets our EMS requirement: marked "no EMS".
  console.log('\n| profile | script | options | ' + targets.map((t) => `${t} pass/total (fail)`).join(' | ') + ' |');
  console.log('|---|---|---|' + targets.map(() => '---|').join(''));
  const totals = Object.fromEntries(targets.map((t) => [t, { fail: 0, failEms: 0, scripts: 0 }]));
  for (const profile of profiles) {
    for (const name of PROFILES[profile].scripts) {
      const opts = scriptArgs(name, 0, PROFILES[profile]).slice(4);
      const noEms = !name.startsWith('test-tls13-') && !opts.includes('-M');
      const cells = targets.map((t) => {
        const r = all[profile][t]?.[name];
        if (r === undefined) return '';
        if (r.status !== 'ok') totals[t].scripts++;
        totals[t].fail += r.fail;
        if (!noEms) totals[t].failEms += r.fail;
        return r.status === 'ok' || r.status === 'fail' ? `${r.pass}/${r.total}${r.fail > 0 ? ` (${r.fail})` : ''}` : r.status;
      });
      if (cells.every((c) => c === '')) continue;
      const shown = [...opts.map((o) => o.replace(/^TLS_ECDHE_(RSA|ECDSA)_WITH_AES_128_GCM_SHA256$/, 'ECDHE-$1-AES128-GCM')), ...(noEms ? ['no EMS'] : [])].join(' ');
      console.log(`| ${profile} | ${name} | ${shown} | ${cells.join(' | ')} |`);
    }
  }
  for (const t of targets) {
    console.log(`${t}: ${totals[t].fail} failing probes (${totals[t].failEms} in scripts that can offer EMS or are TLS 1.3), ${totals[t].scripts} scripts not clean`);
  }
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify(all, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
