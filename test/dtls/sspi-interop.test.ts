/**
 * Our SSPI in datagram mode against real peers over UDP on 127.0.0.1: an AcceptSecurityContext loop serving
 * `openssl s_client -dtls1_2`, and an InitializeSecurityContext loop against `openssl s_server -dtls1_2`. One
 * datagram per token, SEC_I_MESSAGE_FRAGMENT drained, then Encrypt/DecryptMessage one record per datagram.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import * as S from '../../src/sspi/index.js';
import { getPki } from '../helpers/pki.js';
import { freePort, opensslClient, requirePeer, spawnPeer } from '../helpers/peers.js';
import { scope } from '../helpers/net.js';
import { call, decrypt, encrypt } from './sspi-helpers.js';
import { udpListening, within } from './io.js';

const pki = await getPki();

function cred(protocols: number, use: number): S.CredHandle {
  const c = new S.SCHANNEL_CRED();
  c.grbitEnabledProtocols = protocols;
  if (use === S.SECPKG_CRED_INBOUND) {
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  } else {
    c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  }
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, c, null, null, h, null), S.SEC_E_OK);
  return h;
}

/** Send a call's token, then every fragment after it (SEC_I_MESSAGE_FRAGMENT: call again without input). */
function sendAll(side: 'client' | 'server', h: S.CredHandle, ctx: S.CtxtHandle, first: { status: number; token: Uint8Array }, send: (d: Uint8Array) => void): number {
  let r = first;
  if (r.token.length > 0) send(r.token);
  while (r.status === S.SEC_I_MESSAGE_FRAGMENT) {
    r = call(side, h, ctx, true, null);
    if (r.token.length > 0) send(r.token);
  }
  return r.status;
}

test('SSPI AcceptSecurityContext over UDP ↔ openssl s_client -dtls1_2: handshake, data both ways', () =>
  scope(async ({ peers }) => {
    const h = cred(S.SP_PROT_DTLS1_2_SERVER, S.SECPKG_CRED_INBOUND);
    const ctx = new S.CtxtHandle();
    const udp: Socket = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    try {
      let started = false;
      let established = false;
      const got = new Promise<string>((resolve, reject) => {
        udp.on('message', (msg, rinfo) => {
          const send = (d: Uint8Array): void => udp.send(d, rinfo.port, rinfo.address);
          const d = new Uint8Array(msg);
          if (!established) {
            const status = sendAll('server', h, ctx, call('server', h, ctx, started, d), send);
            started = true;
            if (status === S.SEC_E_OK) established = true;
            else if (status !== S.SEC_I_CONTINUE_NEEDED) reject(new Error(`ASC 0x${status.toString(16)}`));
            return;
          }
          const r = decrypt(ctx, d);
          if (r.status === S.SEC_I_RENEGOTIATE) sendAll('server', h, ctx, call('server', h, ctx, true, null), send);
          else if (r.status === S.SEC_E_OK && r.text.length > 0) {
            send(encrypt(ctx, `pong ${r.text}`));
            resolve(r.text);
          }
        });
      });
      const c = await opensslClient(udp.address().port, ['-dtls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands', '-nbio'], { stdin: 'hello sspi\n' });
      peers.push(c);
      assert.equal(await within(15_000, 'data through DecryptMessage', got), 'hello sspi\n');
      await c.waitFor(/pong hello sspi/, 10_000, 'stdout');
    } finally {
      udp.close();
      S.DeleteSecurityContext(ctx);
    }
  }));

test('SSPI InitializeSecurityContext over UDP ↔ openssl s_server -dtls1_2: handshake, data both ways', () =>
  scope(async ({ peers }) => {
    const port = await freePort();
    const leaf = pki.server.p256;
    const srv = await spawnPeer(requirePeer('openssl', 'openssl'), ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', leaf.certPath, '-key', leaf.keyPath, '-cert_chain', leaf.chainPath, '-brief', '-nbio'], { name: 'openssl s_server' });
    peers.push(srv);
    await udpListening(port);
    const h = cred(S.SP_PROT_DTLS1_2_CLIENT, S.SECPKG_CRED_OUTBOUND);
    const ctx = new S.CtxtHandle();
    const udp = createSocket('udp4');
    // An ICMP port-unreachable before s_server reads is not fatal: the caller's timer resends.
    udp.on('error', () => undefined);
    try {
      const send = (d: Uint8Array): void => udp.send(d);
      let established = false;
      let timer: NodeJS.Timeout | undefined;
      const texts: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        udp.on('message', (msg) => {
          const d = new Uint8Array(msg);
          if (!established) {
            const status = sendAll('client', h, ctx, call('client', h, ctx, true, d), send);
            if (status === S.SEC_E_OK) {
              established = true;
              clearInterval(timer);
              send(encrypt(ctx, 'hello from sspi\n'));
              resolve();
            } else if (status !== S.SEC_I_CONTINUE_NEEDED) reject(new Error(`ISC 0x${status.toString(16)}`));
            return;
          }
          const r = decrypt(ctx, d);
          if (r.status === S.SEC_E_OK && r.text.length > 0) texts.push(r.text);
        });
      });
      await new Promise<void>((r) => udp.connect(port, '127.0.0.1', r));
      sendAll('client', h, ctx, call('client', h, ctx, false, null), send);
      // The caller's timer (s_server may not be reading yet): ISC without input sends the flight again.
      timer = setInterval(() => {
        if (!established) sendAll('client', h, ctx, call('client', h, ctx, true, null), send);
      }, 1000);
      try {
        await within(20_000, 'the ISC handshake', done);
      } finally {
        clearInterval(timer);
      }
      await srv.waitFor(/hello from sspi/, 10_000, 'stdout');
      srv.write('back to sspi\n');
      await srv.waitUntil('our DecryptMessage', () => texts.join('').includes('back to sspi\n'), 10_000).catch(() => undefined);
      assert.equal(texts.join(''), 'back to sspi\n');
    } finally {
      udp.close();
      S.DeleteSecurityContext(ctx);
    }
  }));
