/**
 * The RADIUS side of examples/radius-eap-server.ts against hand-made Access-Requests (encoded with the `radius`
 * package, as a NAS would): RFC 3579's rules for EAP over RADIUS, and retransmissions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import radius from 'radius';
import { TlsServer } from '../../src/index.js';
import { RadiusEapServer } from '../../examples/radius-eap-server.js';
import { getPki } from '../helpers/pki.js';

const SECRET = 'nas secret';
const IDENTITY = new Uint8Array([2, 7, 0, 10, 1, 0x62, 0x6f, 0x62, 0x21, 0x21]); // EAP-Response/Identity "bob!!"

/** Send one datagram and wait (bounded) for an answer; undefined when none comes within `ms`. */
async function exchange(port: number, packet: Buffer, ms = 1_000, shared?: Socket): Promise<Buffer | undefined> {
  const sock = shared ?? createSocket('udp4');
  const answer = await new Promise<Buffer | undefined>((resolve) => {
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      resolve(undefined);
    }, ms);
    const onMessage = (m: Buffer): void => {
      clearTimeout(timer);
      resolve(m);
    };
    sock.once('message', onMessage);
    sock.send(packet, port, '127.0.0.1');
  });
  if (shared === undefined) sock.close();
  return answer;
}

function accessRequest(attributes: unknown[], addMessageAuthenticator = true, identifier = 1): Buffer {
  return radius.encode({ code: 'Access-Request', secret: SECRET, identifier, attributes, add_message_authenticator: addMessageAuthenticator });
}

test('RADIUS: EAP over RADIUS rules (RFC 3579) and retransmissions', async (t) => {
  const pki = await getPki();
  const tls = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }], ca: pki.ca.certPem, clientAuth: 'required' });
  const server = new RadiusEapServer({ secret: SECRET, tls });
  const port = await server.listen(0);
  try {
    await t.test('EAP-Response/Identity → Access-Challenge with EAP-TLS Start, State and a valid Message-Authenticator', async () => {
      const req = accessRequest([['User-Name', 'bob'], ['EAP-Message', Buffer.from(IDENTITY)]]);
      const answer = await exchange(port, req);
      assert.ok(answer, 'an answer');
      assert.ok(radius.verify_response({ request: req, response: answer, secret: SECRET }), 'Response Authenticator and Message-Authenticator');
      const res = radius.decode({ packet: answer, secret: SECRET });
      assert.equal(res.code, 'Access-Challenge');
      const eap = res.attributes['EAP-Message'] as Buffer;
      assert.deepEqual([...eap], [1, 8, 0, 6, 13, 0x20], 'EAP-Request, next Identifier, EAP-TLS, S flag');
      assert.equal((res.attributes['State'] as Buffer).length, 16);
    });

    await t.test('a retransmitted request gets the same answer, byte for byte', async () => {
      const req = accessRequest([['EAP-Message', Buffer.from(IDENTITY)]], true, 9);
      const nas = createSocket('udp4'); // a NAS retransmits from the same address and port
      try {
        const first = await exchange(port, req, 1_000, nas);
        const again = await exchange(port, req, 1_000, nas);
        assert.ok(first && again);
        assert.ok(first.equals(again), 'the cached answer (a new conversation would have a new State)');
        const fresh = await exchange(port, req);
        assert.ok(fresh && !fresh.equals(first), 'from another port it is another request');
      } finally {
        nas.close();
      }
    });

    await t.test('EAP-Message without Message-Authenticator: silently discarded', async () => {
      assert.equal(await exchange(port, accessRequest([['EAP-Message', Buffer.from(IDENTITY)]], false, 2)), undefined);
    });

    await t.test('a wrong shared secret: silently discarded', async () => {
      const req = radius.encode({ code: 'Access-Request', secret: 'wrong', identifier: 3, attributes: [['EAP-Message', Buffer.from(IDENTITY)]], add_message_authenticator: true });
      assert.equal(await exchange(port, req), undefined);
    });

    await t.test('an unknown State: Access-Reject with EAP-Failure', async () => {
      const req = accessRequest([['EAP-Message', Buffer.from([2, 8, 0, 6, 13, 0])], ['State', Buffer.alloc(16, 0xab)]], true, 4);
      const answer = await exchange(port, req);
      assert.ok(answer);
      const res = radius.decode({ packet: answer, secret: SECRET });
      assert.equal(res.code, 'Access-Reject');
      assert.equal((res.attributes['EAP-Message'] as Buffer)[0], 4);
    });

    await t.test('an EAP-TLS response before the identity: Access-Reject', async () => {
      const answer = await exchange(port, accessRequest([['EAP-Message', Buffer.from([2, 1, 0, 6, 13, 0])]], true, 5));
      assert.ok(answer);
      assert.equal(radius.decode({ packet: answer, secret: SECRET }).code, 'Access-Reject');
    });
  } finally {
    await server.close();
  }
});
