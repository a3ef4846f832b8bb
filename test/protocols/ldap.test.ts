/**
 * LDAP StartTLS both ways, against Debian's OpenLDAP:
 * - our server side (examples/ldap-starttls-server.ts) answering `ldapsearch -ZZ` from ldap-utils, which checks
 *   our certificate and its name, and presents a client certificate our server demands;
 * - our client side (examples/ldap-starttls-client.ts) upgrading a connection to slapd (configured here with TLS,
 *   client certificates demanded, nothing else in the clear), binding as the root DN and asking "Who am I?".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { TlsClient, TlsError, TlsServer, type ConnectionInfo } from '../../src/index.js';
import { listenLdap, ENTRY_DN } from '../../examples/ldap-starttls-server.js';
import { startTlsBind, LdapError } from '../../examples/ldap-starttls-client.js';
import { ResultCode } from '../../examples/ldap-protocol.js';
import { getPki, type Pki, type LeafFiles } from '../helpers/pki.js';
import { annotate, projectRoot, requirePeer, runPeer, spawnPeer } from '../helpers/peers.js';
import { BASE_DN, ROOT_DN, ROOT_PASSWORD, startSlapd } from './slapd-server.js';

async function withLdapServer<T>(pki: Pki, leaf: LeafFiles, fn: (port: number, seen: ConnectionInfo[]) => Promise<T>): Promise<T> {
  const seen: ConnectionInfo[] = [];
  const tls = new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], ca: pki.ca.certPem, clientAuth: 'required' });
  const server: Server = await listenLdap(0, { tls, onTls: (i) => seen.push(i) });
  try {
    const addr = server.address();
    return await fn(typeof addr === 'object' && addr !== null ? addr.port : 0, seen);
  } finally {
    server.close(); // ldapsearch has closed its connections by now; the process exit would end any straggler
  }
}

// By address: libldap checks it against the certificate's iPAddress SAN. (With a name, it checks the name the address
// maps back to, which depends on the machine's /etc/hosts.)
function ldapsearch(pki: Pki, port: number, extraEnv: Record<string, string> = {}, host = '127.0.0.1') {
  const bin = requirePeer('ldapsearch', 'ldap-utils');
  return runPeer(bin, ['-ZZ', '-x', '-LLL', '-o', 'nettimeout=10', '-H', `ldap://${host}:${port}`, '-b', BASE_DN, '(objectClass=*)'], {
    name: 'ldapsearch',
    timeoutMs: 20_000,
    env: {
      LDAPTLS_CACERT: pki.ca.certPath,
      LDAPTLS_REQCERT: 'demand',
      LDAPTLS_CERT: pki.client.certPath,
      LDAPTLS_KEY: pki.client.keyPath,
      LDAPCONF: '/dev/null',
      ...extraEnv,
    },
  });
}

test('LDAP StartTLS, our server: ldapsearch -ZZ (certificate and name checked both ways)', async (t) => {
  const pki = await getPki();

  await t.test('ldapsearch -ZZ gets the entry over TLS 1.3, with its client certificate checked by us', async () => {
    await withLdapServer(pki, pki.server.p256, async (port, seen) => {
      const r = await ldapsearch(pki, port);
      assert.equal(r.code, 0, r.output);
      assert.match(r.stdout, new RegExp(`^dn: ${ENTRY_DN}$`, 'm'));
      assert.match(r.stdout, /^description: served over TLSv1\.3 by sspi-tls$/m);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.version, 'TLSv1.3');
      assert.equal(seen[0]?.authorized, true);
      assert.equal(seen[0]?.peerCertificates.length !== undefined && seen[0].peerCertificates.length > 0, true, 'client certificate received');
    });
  });

  await t.test('ldapsearch refuses our certificate for the wrong name', async () => {
    await withLdapServer(pki, pki.wrongHost, async (port, seen) => {
      const r = await ldapsearch(pki, port);
      assert.notEqual(r.code, 0, r.output);
      // libldap checks the name after the handshake, then drops the connection before any operation.
      assert.match(r.stderr, /ldap_start_tls: Connect error/);
      assert.doesNotMatch(r.stdout, /^dn:/m);
      assert.ok(seen.length <= 1);
    });
  });

  await t.test('our server refuses a client certificate from an unknown CA', async () => {
    await withLdapServer(pki, pki.server.p256, async (port, seen) => {
      const r = await ldapsearch(pki, port, { LDAPTLS_CERT: pki.untrustedClient.certPath, LDAPTLS_KEY: pki.untrustedClient.keyPath });
      assert.notEqual(r.code, 0, r.output);
      assert.equal(seen.length, 0);
    });
  });

  await t.test('a search in the clear is refused with confidentialityRequired', async () => {
    await withLdapServer(pki, pki.server.p256, async (port) => {
      const bin = requirePeer('ldapsearch', 'ldap-utils');
      const r = await runPeer(bin, ['-x', '-LLL', '-o', 'nettimeout=10', '-H', `ldap://127.0.0.1:${port}`, '-b', BASE_DN], {
        name: 'ldapsearch', timeoutMs: 20_000, env: { LDAPCONF: '/dev/null' },
      });
      assert.equal(r.code, ResultCode.confidentialityRequired, r.output);
    });
  });

  await t.test('the README command: node dist/examples/ldap-starttls-server.js', async () => {
    const p = await spawnPeer(process.execPath, [join(projectRoot, 'dist', 'examples', 'ldap-starttls-server.js'), '--port', '0',
      '--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, '--ca', pki.ca.certPath, '--require-client-cert'], {
      name: 'ldap-starttls-server example', readyPattern: /READY (\d+)/, stream: 'stdout',
    });
    try {
      const r = await ldapsearch(pki, Number(p.ready?.[1]));
      assert.equal(r.code, 0, r.output);
      await p.waitFor(/^tls TLSv1\.3 TLS_\w+ client .*CN=test client/m);
    } catch (e) {
      throw annotate(e, [p]);
    } finally {
      await p.stop();
    }
  });
});

test('LDAP StartTLS, our client: slapd (TLS demanded, client certificate demanded)', async (t) => {
  const pki = await getPki();
  const slapd = await startSlapd(pki);
  const clientWithCert = (extra: { maxVersion?: 'TLSv1.2' } = {}) =>
    new TlsClient({ ca: pki.ca.certPem, clientCertificate: { cert: pki.client.certPem, key: pki.client.keyPem }, ...extra });
  const base = { host: '127.0.0.1', port: slapd.port, bindDn: ROOT_DN, password: ROOT_PASSWORD } as const;
  try {
    await t.test('StartTLS, bind, Who am I? over TLS 1.3', async () => {
      const r = await startTlsBind({ ...base, servername: 'localhost', client: clientWithCert() });
      assert.equal(r.info?.version, 'TLSv1.3');
      assert.equal(r.whoami, `dn:${ROOT_DN}`);
    });

    await t.test('StartTLS, bind over TLS 1.2', async () => {
      const r = await startTlsBind({ ...base, servername: 'localhost', client: clientWithCert({ maxVersion: 'TLSv1.2' }) });
      assert.equal(r.info?.version, 'TLSv1.2');
      assert.equal(r.whoami, `dn:${ROOT_DN}`);
    });

    await t.test('a bind in the clear is refused by slapd (confidentialityRequired)', async () => {
      await assert.rejects(startTlsBind({ ...base, servername: 'localhost', client: clientWithCert(), plaintext: true }),
        (e: unknown) => e instanceof LdapError && e.resultCode === ResultCode.confidentialityRequired);
    });

    await t.test('wrong password inside TLS: invalidCredentials', async () => {
      await assert.rejects(startTlsBind({ ...base, password: 'wrong', servername: 'localhost', client: clientWithCert() }),
        (e: unknown) => e instanceof LdapError && e.resultCode === 49);
    });

    await t.test('our client refuses slapd for the wrong name', async () => {
      await assert.rejects(startTlsBind({ ...base, servername: 'ldap.example.com', client: clientWithCert() }),
        (e: unknown) => e instanceof TlsError && e.reason === 'BadCertificate.WrongName');
    });

    await t.test('without a client certificate slapd ends the handshake', async () => {
      await assert.rejects(startTlsBind({ ...base, servername: 'localhost', client: new TlsClient({ ca: pki.ca.certPem }) }),
        (e: unknown) => (e instanceof TlsError && e.kind === 'AlertReceived') || (e instanceof Error && /closed/.test(e.message)));
    });

    await t.test('the README command: node dist/examples/ldap-starttls-client.js', async () => {
      const r = await runPeer(process.execPath, [join(projectRoot, 'dist', 'examples', 'ldap-starttls-client.js'),
        '--host', '127.0.0.1', '--port', String(slapd.port), '--servername', 'localhost', '--ca', pki.ca.certPath,
        '--cert', pki.client.certPath, '--key', pki.client.keyPath, '--bind-dn', ROOT_DN, '--password', ROOT_PASSWORD], {
        name: 'ldap-starttls-client example', timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, r.output);
      assert.deepEqual(JSON.parse(r.stdout).whoami, `dn:${ROOT_DN}`);
    });
  } catch (e) {
    throw annotate(e, [slapd]);
  } finally {
    await slapd.shutdown();
  }
});
