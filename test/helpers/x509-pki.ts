/**
 * A throw-away test PKI made with the `openssl` CLI in os.tmpdir() (DEVELOPERS.md: certificates made by tests are
 * never committed). Every certificate is issued with `openssl ca`, which gives exact validity dates, a CA database
 * (index.txt) per issuer for revocation and `openssl ocsp`, and extensions from a config section.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key types the helper can make. */
export type KeyKind = 'rsa2048' | 'rsa1024' | 'p256' | 'p384' | 'ed25519';

/** A certificate made by {@link TestPki}, with its key and files. */
export interface PkiCert {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The CA database directory of this certificate as an issuer. */
  readonly caDir: string;
  readonly keyKind: KeyKind;
}

/** How to issue a certificate. */
export interface IssueOptions {
  /** File base name, unique within the PKI. */
  readonly name: string;
  /** Subject in openssl `-subj` form: `/CN=leaf/O=Test`. */
  readonly subject: string;
  readonly key?: KeyKind;
  /** Issuer; omitted → self-signed. */
  readonly issuer?: PkiCert;
  /** Extension config lines (`basicConstraints=critical,CA:TRUE`, `subjectAltName=DNS:a.test`). */
  readonly ext?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** `openssl ca -sigopt` values, e.g. `['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest']`. */
  readonly sigopt?: readonly string[];
  /** Digest (default sha256; Ed25519 issuers ignore it). */
  readonly md?: string;
}

/** CA extensions: a CA with optional pathLen. */
export function caExt(pathLen?: number): string[] {
  return [
    `basicConstraints=critical,CA:TRUE${pathLen === undefined ? '' : `,pathlen:${pathLen}`}`,
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ];
}

/** Server leaf extensions for the given SAN list (`DNS:x`, `IP:1.2.3.4`). */
export function serverExt(san: string, eku = 'serverAuth'): string[] {
  return [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku}`,
    `subjectAltName=${san}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ];
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

const DAY = 86400_000;

/** A temporary PKI directory; call `cleanup()` when done. */
export class TestPki {
  readonly dir: string;
  #n = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'sspi-tls-pki-'));
  }

  /** Run openssl with `args`; throws with its stderr on failure. */
  openssl(args: readonly string[]): string {
    try {
      return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  }

  /** Make a private key file. */
  key(name: string, kind: KeyKind): string {
    const path = join(this.dir, `${name}.key`);
    const alg: Record<KeyKind, string[]> = {
      rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
      p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      ed25519: ['-algorithm', 'ED25519'],
    };
    this.openssl(['genpkey', ...alg[kind], '-out', path]);
    return path;
  }

  #caConfig(caDir: string, md: string, extLines: readonly string[], tag: string): string {
    const cnf = join(this.dir, `${tag}.cnf`);
    writeFileSync(
      cnf,
      [
        '[ca]',
        'default_ca = CA_default',
        '[CA_default]',
        `dir = ${caDir}`,
        `database = ${join(caDir, 'index.txt')}`,
        `new_certs_dir = ${join(caDir, 'new')}`,
        `serial = ${join(caDir, 'serial')}`,
        `default_md = ${md}`,
        'policy = policy_any',
        'email_in_dn = no',
        'unique_subject = no',
        'copy_extensions = none',
        '[policy_any]',
        'commonName = optional',
        '[ext]',
        ...extLines,
        '',
      ].join('\n'),
    );
    return cnf;
  }

  #newCaDir(name: string): string {
    const d = join(this.dir, `${name}.ca`);
    mkdirSync(join(d, 'new'), { recursive: true });
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), (0x1000 + this.#n * 16).toString(16).toUpperCase().padStart(4, '0') + '\n');
    return d;
  }

  /** Issue a certificate (self-signed when `issuer` is omitted). */
  issue(o: IssueOptions): PkiCert {
    this.#n++;
    const keyPath = this.key(o.name, o.key ?? 'p256');
    const csr = join(this.dir, `${o.name}.csr`);
    this.openssl(['req', '-new', '-key', keyPath, '-subj', o.subject, '-out', csr]);
    const caDir = this.#newCaDir(o.name);
    const signerDir = o.issuer?.caDir ?? caDir;
    const keyKind = o.key ?? 'p256';
    const isEd = (o.issuer?.keyKind ?? keyKind) === 'ed25519';
    const cnf = this.#caConfig(signerDir, isEd ? 'default' : (o.md ?? 'sha256'), o.ext ?? [], o.name);
    const certPath = join(this.dir, `${o.name}.pem`);
    const notBefore = o.notBefore ?? new Date(Date.now() - DAY);
    const notAfter = o.notAfter ?? new Date(Date.now() + 365 * DAY);
    const args = ['ca', '-batch', '-config', cnf, '-notext', '-preserveDN', '-in', csr, '-out', certPath, '-extensions', 'ext', '-startdate', stamp(notBefore), '-enddate', stamp(notAfter)];
    if (o.issuer === undefined) args.push('-selfsign', '-keyfile', keyPath);
    else args.push('-cert', o.issuer.certPath, '-keyfile', o.issuer.keyPath);
    for (const s of o.sigopt ?? []) args.push('-sigopt', s);
    this.openssl(args);
    const pem = readFileSync(certPath, 'utf8');
    const der = new Uint8Array(execFileSync('openssl', ['x509', '-in', certPath, '-outform', 'DER']));
    return { name: o.name, der, pem, certPath, keyPath, caDir, keyKind };
  }

  /** Revoke `cert` in its issuer's database. */
  revoke(cert: PkiCert, issuer: PkiCert): void {
    const cnf = this.#caConfig(issuer.caDir, 'sha256', [], `${cert.name}-revoke`);
    this.openssl(['ca', '-config', cnf, '-revoke', cert.certPath, '-cert', issuer.certPath, '-keyfile', issuer.keyPath]);
  }

  /**
   * An OCSP response (DER) for `cert` from `issuer`'s database, signed by `signer` (the issuer itself or a
   * delegated responder), valid for `ndays` from now.
   */
  ocspResponse(cert: PkiCert, issuer: PkiCert, signer: PkiCert = issuer, opts: { ndays?: number; otherSerialOnly?: boolean } = {}): Uint8Array {
    const out = join(this.dir, `${cert.name}-${signer.name}-${this.#n++}.ocsp`);
    this.openssl([
      'ocsp', '-index', join(issuer.caDir, 'index.txt'), '-CA', issuer.certPath, '-rsigner', signer.certPath, '-rkey', signer.keyPath,
      '-issuer', issuer.certPath, '-cert', cert.certPath, '-respout', out, '-ndays', String(opts.ndays ?? 1),
    ]);
    return new Uint8Array(readFileSync(out));
  }

  /**
   * A CRL (DER) from `issuer`'s database by `openssl ca -gencrl`: v2 with a cRLNumber and an AKI, valid from now
   * for `hours` (default 24), plus extra `[crl_ext]` lines (e.g. a raw deltaCRLIndicator).
   */
  crl(issuer: PkiCert, opts: { hours?: number; ext?: readonly string[]; number?: number } = {}): Uint8Array {
    const tag = `${issuer.name}-crl-${this.#n++}`;
    const cnf = this.#caConfig(issuer.caDir, 'sha256', [], tag);
    const crlnumber = join(issuer.caDir, 'crlnumber');
    writeFileSync(crlnumber, `${(opts.number ?? this.#n).toString(16).padStart(2, '0')}\n`);
    writeFileSync(cnf, `${readFileSync(cnf, 'utf8').replace('[policy_any]', `crlnumber = ${crlnumber}\n[policy_any]`)}[crl_ext]\nauthorityKeyIdentifier=keyid:always\n${(opts.ext ?? []).join('\n')}\n`);
    const pem = join(this.dir, `${tag}.crl.pem`);
    this.openssl(['ca', '-gencrl', '-config', cnf, '-cert', issuer.certPath, '-keyfile', issuer.keyPath, '-crlhours', String(opts.hours ?? 24), '-crlexts', 'crl_ext', '-out', pem]);
    const der = join(this.dir, `${tag}.crl.der`);
    this.openssl(['crl', '-in', pem, '-outform', 'DER', '-out', der]);
    return new Uint8Array(readFileSync(der));
  }

  /** Revoke `cert` in its issuer's database with a CRL reason code (`keyCompromise`, `superseded`, …). */
  revokeWithReason(cert: PkiCert, issuer: PkiCert, reason: string): void {
    const cnf = this.#caConfig(issuer.caDir, 'sha256', [], `${cert.name}-revoke-${reason}`);
    this.openssl(['ca', '-config', cnf, '-revoke', cert.certPath, '-crl_reason', reason, '-cert', issuer.certPath, '-keyfile', issuer.keyPath]);
  }

  /** Remove the directory. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A copy of `der` with its last byte flipped (the end of the signature BIT STRING). */
export function flipLastByte(der: Uint8Array): Uint8Array {
  const c = der.slice();
  c[c.length - 1] = (c[c.length - 1] as number) ^ 0x01;
  return c;
}
