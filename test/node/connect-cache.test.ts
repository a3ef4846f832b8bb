/**
 * connect() shares one prepared client per configuration content (cheap per-call options). The cache must never
 * hand one configuration's client to another: every option takes part in the key (fail closed), and options it
 * cannot compare by content (functions, class instances) are not cached at all. Each case connects twice to a server
 * that requires a client certificate, the second time with an option that must change the outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import type { NodeClientOptions } from '../../src/node/options.js';
import { getPki } from '../helpers/pki.js';

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const pki = await getPki();
  const server = createServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
    (s: TlsDuplex) => {
      s.on('error', () => undefined);
      s.end('hello');
    },
  );
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

/** 'ok' when the server's greeting arrived, else the error's code or message. */
function attempt(port: number, extra: Partial<NodeClientOptions>): Promise<string> {
  return getPki().then(
    (pki) =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, ...extra } as NodeClientOptions);
        const t = setTimeout(() => {
          s.destroy();
          resolve('timeout');
        }, 10_000);
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => {
          clearTimeout(t);
          resolve(got === 'hello' ? 'ok' : `no greeting (${got})`);
        });
        s.on('error', (e: Error & { code?: string }) => {
          clearTimeout(t);
          resolve(e.code ?? e.message);
        });
      }),
  );
}

test('connect() cache: a configuration with a PFX client certificate is not served the cached client without one', async () => {
  const pki = await getPki();
  await withServer(async (port) => {
    assert.notEqual(await attempt(port, {}), 'ok', 'no client certificate: refused');
    assert.equal(await attempt(port, { pfx: readFileSync(pki.client.p12Path), passphrase: pki.client.p12Password }), 'ok');
    assert.notEqual(await attempt(port, {}), 'ok', 'and the plain configuration still has none');
  });
});

test('connect() cache: key objects with passphrases are compared by content (a wrong passphrase is not served the right one\'s client)', async () => {
  const pki = await getPki();
  const encrypted = createPrivateKey(pki.client.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }) as string;
  await withServer(async (port) => {
    assert.equal(await attempt(port, { key: [{ pem: encrypted, passphrase: 'right' }], cert: pki.client.chainPem }), 'ok');
    await assert.rejects(
      attempt(port, { key: [{ pem: encrypted, passphrase: 'wrong' }], cert: pki.client.chainPem }),
      /passphrase|decrypt|BadPassword/i,
      'the wrong passphrase is a configuration error, not the cached client of the right one',
    );
  });
});
