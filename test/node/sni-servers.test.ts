/**
 * The servers the adapter builds for SNICallback answers belong to the server whose options they are built with.
 * They used to live in one module-level map keyed by the answer alone, so a second server answering with the same
 * secure context got a TlsServer built from the first server's options (its ALPN list, its client-auth policy).
 * The peer here is node:tls itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer, type Server, type TlsDuplex } from '../../src/node/index.js';
import { getPki } from '../helpers/pki.js';

const WAIT_MS = 10_000;

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function alpnOf(port: number, ca: string): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no secureConnect')), WAIT_MS);
    const s = nodeTls.connect({ host: '127.0.0.1', port, servername: 'alt.test', ca, ALPNProtocols: ['one', 'two'] }, () => {
      clearTimeout(t);
      const p = s.alpnProtocol ?? false;
      s.destroy();
      resolve(p);
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

test('two servers answering SNICallback with the same secure context each keep their own options (ALPN)', async () => {
  const pki = await getPki();
  const alt = createSecureContext({ key: pki.alt.keyPem, cert: pki.alt.certPem });
  const answer = (s: TlsDuplex): void => {
    s.on('error', () => undefined);
    s.end();
  };
  const first = createServer({ ALPNProtocols: ['one'], SNICallback: (_n, cb) => cb(null, alt) }, answer);
  const second = createServer({ ALPNProtocols: ['two'], SNICallback: (_n, cb) => cb(null, alt) }, answer);
  const servers = [first, second];
  try {
    const p1 = await listening(first);
    const p2 = await listening(second);
    assert.equal(await alpnOf(p1, pki.ca.certPem), 'one');
    assert.equal(await alpnOf(p2, pki.ca.certPem), 'two', "the second server's own ALPN list, not the first's");
    // The same server reuses what it built for the answer (and still answers with its own options).
    assert.equal(await alpnOf(p2, pki.ca.certPem), 'two');
    assert.equal(await alpnOf(p1, pki.ca.certPem), 'one');
  } finally {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  }
});
