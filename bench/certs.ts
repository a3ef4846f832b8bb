/**
 * Benchmark certificates, made once per run with the openssl CLI in a fresh directory under os.tmpdir() (never
 * committed): for each key type a self-signed CA and a leaf for "localhost" signed by it. The server sends the
 * leaf; the client trusts the CA, so the client verifies one real signature per chain (then caches it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyKind = 'ecdsa' | 'rsa';

export interface BenchCert {
  readonly kind: KeyKind;
  /** Leaf certificate PEM (the chain the server sends). */
  readonly cert: string;
  /** Leaf private key PEM (PKCS#8). */
  readonly key: string;
  /** CA certificate PEM (the client's trust anchor). */
  readonly ca: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Generate the ECDSA P-256 and RSA-2048 chains; the directory is removed before returning. */
export function makeCerts(): Record<KeyKind, BenchCert> {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-bench-'));
  try {
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
    const out = {} as Record<KeyKind, BenchCert>;
    for (const kind of ['ecdsa', 'rsa'] as const) {
      const alg = kind === 'ecdsa' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
      openssl(dir, ['genpkey', ...alg, '-out', `${kind}-ca.key`]);
      openssl(dir, ['genpkey', ...alg, '-out', `${kind}-leaf.key`]);
      openssl(dir, ['req', '-new', '-key', `${kind}-ca.key`, '-subj', `/CN=sspi-tls bench ${kind} CA`, '-out', `${kind}-ca.csr`]);
      openssl(dir, ['x509', '-req', '-in', `${kind}-ca.csr`, '-signkey', `${kind}-ca.key`, '-days', '30', '-sha256', '-extfile', 'ca.ext', '-out', `${kind}-ca.pem`]);
      openssl(dir, ['req', '-new', '-key', `${kind}-leaf.key`, '-subj', '/CN=localhost', '-out', `${kind}-leaf.csr`]);
      openssl(dir, ['x509', '-req', '-in', `${kind}-leaf.csr`, '-CA', `${kind}-ca.pem`, '-CAkey', `${kind}-ca.key`, '-CAcreateserial', '-days', '30', '-sha256', '-extfile', 'leaf.ext', '-out', `${kind}-leaf.pem`]);
      out[kind] = {
        kind,
        cert: readFileSync(join(dir, `${kind}-leaf.pem`), 'utf8'),
        key: readFileSync(join(dir, `${kind}-leaf.key`), 'utf8'),
        ca: readFileSync(join(dir, `${kind}-ca.pem`), 'utf8'),
      };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
