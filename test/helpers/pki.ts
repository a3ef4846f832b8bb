/**
 * Test PKI, generated at test time with the openssl CLI into a fresh os.tmpdir() directory (nothing made by tests
 * is committed: DEVELOPERS.md). Generated once per process and cached.
 *
 *   root CA (ECDSA P-256)
 *     ├─ server leaves for `localhost` + IP 127.0.0.1: RSA-2048, ECDSA P-256, ECDSA P-384, Ed25519
 *     ├─ alt.test leaf (ECDSA P-256) for SNI tests
 *     ├─ client leaf (ECDSA P-256, clientAuth)
 *     └─ bad variants: wrong host, clientAuth-only EKU, keyCertSign-only key usage, expired, not yet valid
 *   other CA (ECDSA P-256)
 *     ├─ untrusted client leaf (clientAuth)
 *     └─ untrusted server leaf (localhost)
 *
 * Every leaf also has a PKCS#12 file (leaf + key + root, password PKI_PASSWORD) for Java, and keys are PKCS#8.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requirePeer } from './peers.js';

const run = promisify(execFile);

/** Password of every PKCS#12 file. */
export const PKI_PASSWORD = 'interop-pass';

/** A certificate authority. */
export interface CaFiles {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly certDer: Uint8Array;
}

/** A leaf certificate with its key, as files and contents. */
export interface LeafFiles {
  readonly name: string;
  /** Leaf certificate only (PEM). */
  readonly certPath: string;
  /** Leaf then the issuing CA (PEM). */
  readonly chainPath: string;
  /** PKCS#8 private key (PEM). */
  readonly keyPath: string;
  readonly certPem: string;
  readonly chainPem: string;
  readonly keyPem: string;
  readonly certDer: Uint8Array;
  /** PKCS#8 DER. */
  readonly keyDer: Uint8Array;
  /** PKCS#12 with leaf, key and issuing CA; password PKI_PASSWORD. */
  readonly p12Path: string;
  readonly p12Password: string;
}

export interface Pki {
  readonly dir: string;
  readonly ca: CaFiles;
  readonly otherCa: CaFiles;
  readonly server: {
    readonly rsa2048: LeafFiles;
    readonly p256: LeafFiles;
    readonly p384: LeafFiles;
    readonly ed25519: LeafFiles;
  };
  /** Leaf for `alt.test` (SNI). */
  readonly alt: LeafFiles;
  /** Client certificate (clientAuth EKU) under the root CA. */
  readonly client: LeafFiles;
  /** Client certificate under the other CA. */
  readonly untrustedClient: LeafFiles;
  /** Server leaf for localhost under the other CA (unknown CA). */
  readonly untrustedServer: LeafFiles;
  /** Server leaf for `wrong.test` only (wrong host). */
  readonly wrongHost: LeafFiles;
  /** Server leaf whose EKU is clientAuth only. */
  readonly wrongEku: LeafFiles;
  /** Server leaf whose keyUsage lacks digitalSignature. */
  readonly wrongKeyUsage: LeafFiles;
  /** Server leaf valid 2000-01-01 .. 2001-01-01. */
  readonly expired: LeafFiles;
  /** Server leaf valid from 2090-01-01. */
  readonly notYetValid: LeafFiles;
}

type KeyAlg = 'rsa2048' | 'p256' | 'p384' | 'ed25519';

function genpkeyArgs(alg: KeyAlg): string[] {
  switch (alg) {
    case 'rsa2048':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
    case 'p256':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'];
    case 'p384':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'];
    case 'ed25519':
      return ['-algorithm', 'ED25519'];
  }
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run(requirePeer('openssl', 'openssl'), args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new Error(`pki: openssl ${args.join(' ')} failed: ${err.stderr ?? err.message ?? String(e)}`);
  }
}

function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

let serial = 1;

async function makeCa(dir: string, name: string, cn: string): Promise<CaFiles> {
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    [
      '[req]',
      'distinguished_name = dn',
      '[dn]',
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  await openssl(['genpkey', ...genpkeyArgs('p256'), '-out', keyPath], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', keyPath, '-sha256', '-days', '3650', '-subj', `/O=sspi-tls tests/CN=${cn}`,
      '-config', ext, '-extensions', 'v3_ca', '-set_serial', String(serial++), '-out', certPath],
    dir,
  );
  const certPem = readFileSync(certPath, 'utf8');
  return { certPath, keyPath, certPem, certDer: pemToDer(certPem) };
}

interface LeafSpec {
  readonly name: string;
  readonly alg: KeyAlg;
  readonly cn: string;
  readonly san: string;
  readonly eku: string;
  readonly keyUsage?: string;
  /** [startdate, enddate] as YYYYMMDDHHMMSSZ, via `openssl ca`. */
  readonly validity?: readonly [string, string];
}

async function makeLeaf(dir: string, ca: CaFiles, spec: LeafSpec): Promise<LeafFiles> {
  const base = join(dir, spec.name);
  const keyPath = `${base}.key.pem`;
  const csrPath = `${base}.csr`;
  const certPath = `${base}.pem`;
  const chainPath = `${base}.chain.pem`;
  const p12Path = `${base}.p12`;
  const extPath = `${base}.ext`;
  const keyUsage =
    spec.keyUsage ?? (spec.alg === 'rsa2048' ? 'critical, digitalSignature, keyEncipherment' : 'critical, digitalSignature');
  const extLines = [
    'basicConstraints = critical, CA:FALSE',
    `keyUsage = ${keyUsage}`,
    `extendedKeyUsage = ${spec.eku}`,
    `subjectAltName = ${spec.san}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
  ];
  await openssl(['genpkey', ...genpkeyArgs(spec.alg), '-out', keyPath], dir);
  await openssl(['req', '-new', '-key', keyPath, '-subj', `/O=sspi-tls tests/CN=${spec.cn}`, '-out', csrPath], dir);
  if (spec.validity) {
    // `openssl x509` (3.0) cannot set dates in the past or future; `openssl ca` can.
    const caDir = `${base}.cadir`;
    mkdirSync(caDir);
    writeFileSync(join(caDir, 'index.txt'), '');
    writeFileSync(join(caDir, 'serial'), `${(serial++).toString(16).padStart(4, '0')}\n`);
    const cnf = `${base}.ca.cnf`;
    writeFileSync(
      cnf,
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `dir = ${caDir}`,
        'database = $dir/index.txt',
        'serial = $dir/serial',
        'new_certs_dir = $dir',
        `certificate = ${ca.certPath}`,
        `private_key = ${ca.keyPath}`,
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'copy_extensions = none',
        '[any]',
        'organizationName = optional',
        'commonName = supplied',
        '[ext]',
        ...extLines,
        '',
      ].join('\n'),
    );
    await openssl(
      ['ca', '-batch', '-notext', '-config', cnf, '-extensions', 'ext', '-startdate', spec.validity[0], '-enddate',
        spec.validity[1], '-in', csrPath, '-out', certPath],
      dir,
    );
  } else {
    writeFileSync(extPath, extLines.join('\n') + '\n');
    await openssl(
      ['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(serial++),
        '-days', '825', '-sha256', '-extfile', extPath, '-out', certPath],
      dir,
    );
  }
  const certPem = readFileSync(certPath, 'utf8');
  const chainPem = certPem + ca.certPem;
  writeFileSync(chainPath, chainPem);
  await openssl(
    ['pkcs12', '-export', '-in', certPath, '-inkey', keyPath, '-certfile', ca.certPath, '-name', spec.name,
      '-passout', `pass:${PKI_PASSWORD}`, '-out', p12Path],
    dir,
  );
  const keyPem = readFileSync(keyPath, 'utf8');
  return {
    name: spec.name,
    certPath,
    chainPath,
    keyPath,
    certPem,
    chainPem,
    keyPem,
    certDer: pemToDer(certPem),
    keyDer: pemToDer(keyPem),
    p12Path,
    p12Password: PKI_PASSWORD,
  };
}

const LOCALHOST_SAN = 'DNS:localhost, IP:127.0.0.1';

async function build(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-pki-'));
  // Removed when the test process exits; KEEP_PKI=1 keeps it for debugging (the path is in failure messages).
  if (process.env['KEEP_PKI'] === undefined) {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const [ca, otherCa] = await Promise.all([makeCa(dir, 'root-ca', 'Test Root CA'), makeCa(dir, 'other-ca', 'Other CA')]);
  const server = (name: string, alg: KeyAlg, extra: Partial<LeafSpec> = {}): LeafSpec => ({
    name, alg, cn: 'localhost', san: LOCALHOST_SAN, eku: 'serverAuth', ...extra,
  });
  const [rsa2048, p256, p384, ed25519, alt, client, untrustedClient, untrustedServer, wrongHost, wrongEku, wrongKeyUsage] =
    await Promise.all([
      makeLeaf(dir, ca, server('server-rsa2048', 'rsa2048')),
      makeLeaf(dir, ca, server('server-p256', 'p256')),
      makeLeaf(dir, ca, server('server-p384', 'p384')),
      makeLeaf(dir, ca, server('server-ed25519', 'ed25519')),
      makeLeaf(dir, ca, server('alt', 'p256', { cn: 'alt.test', san: 'DNS:alt.test' })),
      makeLeaf(dir, ca, { name: 'client', alg: 'p256', cn: 'test client', san: 'DNS:client.test', eku: 'clientAuth' }),
      makeLeaf(dir, otherCa, { name: 'untrusted-client', alg: 'p256', cn: 'untrusted client', san: 'DNS:client.test', eku: 'clientAuth' }),
      makeLeaf(dir, otherCa, server('untrusted-server', 'p256')),
      makeLeaf(dir, ca, server('wrong-host', 'p256', { cn: 'wrong.test', san: 'DNS:wrong.test' })),
      makeLeaf(dir, ca, server('wrong-eku', 'p256', { eku: 'clientAuth' })),
      makeLeaf(dir, ca, server('wrong-key-usage', 'p256', { keyUsage: 'critical, keyAgreement' })),
    ]);
  // `openssl ca` runs are kept sequential: each has its own database, but serial numbers come from one counter.
  const expired = await makeLeaf(dir, ca, server('expired', 'p256', { validity: ['20000101000000Z', '20010101000000Z'] }));
  const notYetValid = await makeLeaf(dir, ca, server('not-yet-valid', 'p256', { validity: ['20900101000000Z', '20910101000000Z'] }));
  return {
    dir,
    ca,
    otherCa,
    server: { rsa2048, p256, p384, ed25519 },
    alt,
    client,
    untrustedClient,
    untrustedServer,
    wrongHost,
    wrongEku,
    wrongKeyUsage,
    expired,
    notYetValid,
  };
}

let cached: Promise<Pki> | undefined;

/** The per-process test PKI (generated on first call). */
export function getPki(): Promise<Pki> {
  cached ??= build();
  return cached;
}
