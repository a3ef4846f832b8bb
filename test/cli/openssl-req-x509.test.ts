/**
 * Certificates made exactly the everyday way, `openssl req -x509` (self-signed, cA=TRUE, no keyUsage, no
 * extKeyUsage), accepted wherever they are trusted: as the server certificate of `openssl s_server` against our
 * `connect --ca`, and as a client certificate against `serve --client-auth required` (from our `connect` and from
 * `openssl s_client`). RFC 5280 §4.2.1.12: a certificate without extKeyUsage may be used for any purpose.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, opensslClient, opensslServer, requirePeer, type Peer } from '../helpers/peers.js';
import { parseCertificate } from '../../src/x509/index.js';
import { pemToDer } from '../../src/x509/pem.js';
import { cli, startServe } from './run.js';

let dir: string;

interface Made {
  readonly cert: string;
  readonly key: string;
}

/** `openssl req -x509 -newkey … -nodes -keyout KEY -out CERT -days 30 -subj SUBJ [extra]`, nothing else. */
function reqX509(name: string, newkey: readonly string[], subj: string, extra: readonly string[] = []): Made {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  execFileSync(requirePeer('openssl', 'openssl'), ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', subj, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { cert, key };
}

let server: Made;
let serverNoSan: Made;
let client: Made;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspi-tls-req-x509-'));
  server = reqX509('server', ['-newkey', 'rsa:2048'], '/CN=localhost', ['-addext', 'subjectAltName=DNS:localhost']);
  serverNoSan = reqX509('server-nosan', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=localhost');
  client = reqX509('client', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=req-x509 client');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('what openssl req -x509 makes: cA=TRUE, no keyUsage, no extKeyUsage', () => {
  for (const m of [server, client]) {
    const c = parseCertificate(pemToDer(readFileSync(m.cert, 'utf8'))[0] as Uint8Array);
    assert.equal(c.extensions.basicConstraints?.cA, true);
    assert.equal(c.extensions.keyUsage, undefined);
    assert.equal(c.extensions.extKeyUsage, undefined);
  }
});

test('connect --ca <req -x509 certificate> against openssl s_server using it', { timeout: 60_000 }, async () => {
  for (const tls of ['1.3', '1.2']) {
    const s = await opensslServer({ cert: server.cert, key: server.key, args: ['-rev', tls === '1.3' ? '-tls1_3' : '-tls1_2'] });
    let c: Peer | undefined;
    try {
      c = await cli(['connect', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--ca', server.cert, '--tls', tls]);
      await c.waitFor(new RegExp(`connected to 127\\.0\\.0\\.1:\\d+ version=TLSv${tls.replace('.', '\\.')}`), 15_000, 'stderr');
      c.write('abcdef\n');
      await c.waitFor(/fedcba/, 15_000, 'stdout');
    } catch (e) {
      throw annotate(e, c ? [s, c] : [s]);
    } finally {
      await c?.stop();
      await s.stop();
    }
  }
});

test('a req -x509 server certificate without subjectAltName is refused for its name only (no CN fallback)', { timeout: 60_000 }, async () => {
  const s = await opensslServer({ cert: serverNoSan.cert, key: serverNoSan.key, args: ['-rev', '-tls1_3'] });
  let c: Peer | undefined;
  try {
    c = await cli(['connect', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--ca', serverNoSan.cert]);
    const exit = await c.waitExit(15_000);
    assert.equal(exit.code, 1, c.output());
    assert.match(c.stderr(), /handshake failed: .*not valid for name localhost/);
    assert.doesNotMatch(c.stderr(), /extKeyUsage|WrongUsage/);
  } catch (e) {
    throw annotate(e, c ? [s, c] : [s]);
  } finally {
    await c?.stop();
    await s.stop();
  }
});

test('serve --client-auth required --ca <req -x509 certificate>: our connect and openssl s_client present it', { timeout: 60_000 }, async () => {
  const serve = await startServe(['--mode', 'echo', '--cert', server.cert, '--key', server.key, '--ca', client.cert, '--client-auth', 'required', '--json']);
  let c: Peer | undefined;
  let o: Peer | undefined;
  try {
    c = await cli(['connect', `127.0.0.1:${serve.port}`, '--servername', 'localhost', '--ca', server.cert, '--cert', client.cert, '--key', client.key]);
    await c.waitFor(/connected to/, 15_000, 'stderr');
    c.write('ours\n');
    await c.waitFor(/ours/, 10_000, 'stdout');
    c.closeStdin();
    assert.equal((await c.waitExit(10_000)).code, 0, c.output());
    await serve.waitFor(/"event":"connection".*"client-cert":"[^"]*CN=req-x509 client/, 10_000, 'stdout');

    o = await opensslClient(serve.port, ['-tls1_3', '-servername', 'localhost', '-CAfile', server.cert, '-verify_return_error', '-cert', client.cert, '-key', client.key, '-quiet']);
    o.write('theirs\n');
    await o.waitFor(/theirs/, 15_000, 'stdout');
    await serve.waitFor(/"event":"connection","conn":2,.*"client-cert":"[^"]*CN=req-x509 client/, 10_000, 'stdout');
    const connections = serve.stdout().match(/"event":"connection".*"client-cert":"[^"]*CN=req-x509 client/g) ?? [];
    assert.equal(connections.length, 2, serve.stdout());
  } catch (e) {
    throw annotate(e, [serve, ...(c ? [c] : []), ...(o ? [o] : [])]);
  } finally {
    await o?.stop();
    await c?.stop();
    await serve.stop();
  }
});
