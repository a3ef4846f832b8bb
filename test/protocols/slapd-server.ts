/**
 * A throwaway OpenLDAP slapd for the StartTLS client test: slapd.conf in a temp directory, an mdb database for
 * dc=example,dc=test with a root DN, TLS with the test PKI's localhost certificate, client certificates demanded
 * (TLSVerifyClient demand) and `security tls=1`, so nothing but StartTLS itself works in the clear.
 */
import { join } from 'node:path';
import type { Pki } from '../helpers/pki.js';
import { requirePeer } from '../helpers/peers.js';
import { installFile, serviceDir, serviceUser, startOnFreePort, waitForListening, writeServiceFile, type Daemon } from './daemons.js';
import { chownSync, existsSync, mkdirSync } from 'node:fs';

export const BASE_DN = 'dc=example,dc=test';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PASSWORD = 'ldap-root-secret';

export async function startSlapd(pki: Pki): Promise<Daemon> {
  // /usr/sbin is not on a non-root user's PATH on Debian.
  const slapd = existsSync('/usr/sbin/slapd') ? '/usr/sbin/slapd' : requirePeer('slapd', 'slapd');
  const user = serviceUser('openldap');
  const dir = serviceDir('sspi-tls-slapd-', user);
  const db = join(dir, 'db');
  mkdirSync(db, { mode: 0o700 });
  if (user !== undefined) chownSync(db, user.uid, user.gid);
  const cert = installFile(pki.server.p256.certPath, join(dir, 'server.pem'), user);
  const key = installFile(pki.server.p256.keyPath, join(dir, 'server.key'), user, 0o600);
  const ca = installFile(pki.ca.certPath, join(dir, 'ca.pem'), user);
  const conf = writeServiceFile(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCACertificateFile ${ca}`,
      `TLSCertificateFile ${cert}`,
      `TLSCertificateKeyFile ${key}`,
      'TLSVerifyClient demand',
      'security tls=1',
      'database mdb',
      `suffix "${BASE_DN}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PASSWORD}`,
      `directory ${db}`,
      '',
    ].join('\n'),
    user,
  );
  const daemon = await startOnFreePort(dir, user, slapd, (port) => ['-d', '256', '-h', `ldap://127.0.0.1:${port}/`, '-f', conf], {
    name: 'slapd',
    readyPattern: /slapd starting/,
    bindFailure: /bind\(.*\) failed|slap_open_listener: failed/,
    timeoutMs: 30_000,
  });
  try {
    await waitForListening(daemon.port); // "slapd starting" comes before its listener thread calls listen()
  } catch (e) {
    await daemon.shutdown();
    throw e;
  }
  return daemon;
}
