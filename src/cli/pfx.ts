/**
 * PKCS#12 in the CLI: `--pfx FILE --pass SPEC` (and `--pass` for an encrypted `--key`) for serve/connect, and the
 * `sspi-tls pfx` command that makes a PFX from a certificate and key (`--out`) or describes one (`--info`).
 * Password specs are OpenSSL's: `pass:TEXT`, `env:VAR`, `file:PATH` (first line). Every failure is one line, exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CredentialError, isEncryptedKey, isPfx, keysWithChains, readPfx, unlockPrivateKey, writePfx } from '../credentials/index.js';
import { equalPublic } from '../codec/bytes.js';
import { getDefaultCredentialCrypto } from '../crypto/node-provider.js';
import { parseCertificate } from '../x509/certificate.js';
import { parseArgs, str, flag, UsageError, type OptionSpec, type Parsed } from './args.js';
import { readCertificates, readText } from './creds.js';
import { Printer } from './output.js';

/** The password a spec names: `pass:TEXT`, `env:VAR` or `file:PATH` (its first line). */
export function passphraseFrom(option: string, spec: string): string {
  if (spec.startsWith('pass:')) return spec.slice(5);
  if (spec.startsWith('env:')) {
    const v = process.env[spec.slice(4)];
    if (v === undefined) throw new UsageError(`${option}: environment variable '${spec.slice(4)}' is not set`);
    return v;
  }
  if (spec.startsWith('file:')) return (readText(option, spec.slice(5)).split(/\r?\n/)[0] ?? '');
  throw new UsageError(`${option}: expected pass:TEXT, env:VAR or file:PATH`);
}

function credentialMessage(option: string, file: string, e: unknown): UsageError {
  if (e instanceof CredentialError) return new UsageError(`${option} '${file}': ${e.message.replace(/^PFX: /, '')}`);
  return new UsageError(`${option} '${file}': ${(e as Error).message}`);
}

/** Key and chain of a PFX file (the first key that has a certificate). */
export function readPfxCredentials(file: string, passphrase: string): { cert: Uint8Array[]; key: Uint8Array } {
  const bytes = new Uint8Array(Buffer.from(readText('--pfx', file), 'latin1'));
  try {
    const pair = keysWithChains(readPfx(bytes, passphrase))[0];
    if (pair === undefined) throw new UsageError(`--pfx '${file}' holds no private key with its certificate`);
    return { cert: [...pair.chain], key: pair.key };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw credentialMessage('--pfx', file, e);
  }
}

/**
 * serve/connect: the credentials of `--pfx FILE [--pass SPEC]`, or of `--cert/--key` when `--pass` is given (an
 * encrypted key); undefined when neither applies (the caller's own --cert/--key path).
 */
export function cliCredentials(command: string, a: Parsed): { cert: Uint8Array[]; key: Uint8Array } | undefined {
  const pfx = str(a, 'pfx');
  const pass = str(a, 'pass');
  const certFile = str(a, 'cert');
  const keyFile = str(a, 'key');
  if (pfx !== undefined) {
    if (certFile !== undefined || keyFile !== undefined) throw new UsageError(`${command}: --pfx replaces --cert and --key`);
    return readPfxCredentials(pfx, pass === undefined ? '' : passphraseFrom('--pass', pass));
  }
  if (pass !== undefined && keyFile === undefined) throw new UsageError(`${command}: --pass goes with --pfx or with an encrypted --key`);
  // Friendly hints for the two mistakes the issue saw: a .p12 given to --cert, an encrypted --key without --pass.
  if (certFile !== undefined && isPfx(new Uint8Array(Buffer.from(readText('--cert', certFile), 'latin1')))) {
    throw new UsageError(`--cert '${certFile}' is a PKCS#12 (PFX) file: use --pfx FILE --pass pass:…|env:…|file:…`);
  }
  if (pass === undefined && keyFile !== undefined) {
    const text = readText('--key', keyFile);
    if (isEncryptedKey(text.includes('-----BEGIN') ? text : new Uint8Array(Buffer.from(text, 'latin1')))) {
      throw new UsageError(`--key '${keyFile}' is encrypted: give its passphrase with --pass pass:…|env:…|file:…`);
    }
  }
  if (pass === undefined || certFile === undefined || keyFile === undefined) return undefined;
  const chain = readCertificates('--cert', certFile);
  const text = readText('--key', keyFile);
  let key: Uint8Array;
  try {
    key = unlockPrivateKey(text.includes('-----BEGIN') ? text : new Uint8Array(Buffer.from(text, 'latin1')), passphraseFrom('--pass', pass));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw credentialMessage('--key', keyFile, e);
  }
  checkMatch(chain, key, keyFile, certFile);
  return { cert: chain, key };
}

/** The SubjectPublicKeyInfo of a PKCS#8 key (node:crypto). */
function spkiOfKey(pkcs8: Uint8Array): Uint8Array {
  return getDefaultCredentialCrypto().privateKey(pkcs8).spki;
}

/** SHA-1 thumbprint, upper-case hex (as Windows shows it). */
function thumbprint(der: Uint8Array): string {
  return Buffer.from(getDefaultCredentialCrypto().digest('sha1', der)).toString('hex').toUpperCase();
}

function checkMatch(chain: readonly Uint8Array[], key: Uint8Array, keyFile: string, certFile: string): void {
  const leaf = chain[0];
  if (leaf === undefined || !equalPublic(parseCertificate(leaf).spki, spkiOfKey(key))) {
    throw new UsageError(`--key '${keyFile}' does not match the certificate in --cert '${certFile}'`);
  }
}

/** Options of `sspi-tls pfx`. */
export const PFX_SPEC: Readonly<Record<string, OptionSpec>> = {
  cert: { type: 'string' },
  key: { type: 'string' },
  'key-pass': { type: 'string' },
  out: { type: 'string' },
  pass: { type: 'string' },
  name: { type: 'string' },
  legacy: { type: 'boolean' },
  iter: { type: 'string' },
  info: { type: 'string' },
  json: { type: 'boolean' },
};

/** `sspi-tls pfx`: make a PFX (`--cert --key --out --pass`) or describe one (`--info FILE --pass`). */
export function pfxCommand(argv: readonly string[]): number {
  const a = parseArgs('pfx', argv, PFX_SPEC, 0);
  const passSpec = str(a, 'pass');
  const info = str(a, 'info');
  if (info !== undefined) return describe(info, passSpec === undefined ? '' : passphraseFrom('--pass', passSpec), flag(a, 'json'));
  const certFile = str(a, 'cert');
  const keyFile = str(a, 'key');
  const out = str(a, 'out');
  if (certFile === undefined || keyFile === undefined || out === undefined) throw new UsageError('pfx: needs --cert FILE --key FILE --out FILE --pass SPEC (or --info FILE)');
  if (passSpec === undefined) throw new UsageError('pfx: --pass SPEC is required (pass:TEXT, env:VAR, file:PATH; pass: for an empty password)');
  const iterText = str(a, 'iter') ?? '2048';
  if (!/^\d{1,8}$/.test(iterText) || Number(iterText) < 1) throw new UsageError(`pfx: --iter '${iterText}' is not a positive number`);
  const chain = readCertificates('--cert', certFile);
  const keyPass = str(a, 'key-pass');
  const text = readText('--key', keyFile);
  let key: Uint8Array;
  try {
    key = unlockPrivateKey(text.includes('-----BEGIN') ? text : new Uint8Array(Buffer.from(text, 'latin1')), keyPass === undefined ? undefined : passphraseFrom('--key-pass', keyPass));
  } catch (e) {
    throw credentialMessage('--key', keyFile, e);
  }
  checkMatch(chain, key, keyFile, certFile);
  const name = str(a, 'name');
  const bytes = writePfx({
    chain,
    key,
    password: passphraseFrom('--pass', passSpec),
    encryption: flag(a, 'legacy') ? 'legacy' : 'aes',
    iterations: Number(iterText),
    ...(name !== undefined ? { friendlyName: name } : {}),
  });
  try {
    writeFileSync(out, bytes, { mode: 0o600 });
  } catch (e) {
    throw new UsageError(`pfx: cannot write --out '${out}': ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  const p = new Printer(process.stdout, flag(a, 'json'));
  const thumb = thumbprint(chain[0] as Uint8Array);
  p.line(`wrote ${out}: ${chain.length} certificate(s) and the key, ${flag(a, 'legacy') ? '3DES/SHA-1 (legacy)' : 'AES-256-CBC/PBKDF2-SHA-256'}, thumbprint ${thumb}`, {
    event: 'pfx-written',
    file: out,
    certificates: chain.length,
    encryption: flag(a, 'legacy') ? 'legacy' : 'aes',
    thumbprint: thumb,
  });
  return 0;
}

function describe(file: string, password: string, json: boolean): number {
  const bytes = new Uint8Array(readFileSync(file));
  let contents;
  try {
    contents = readPfx(bytes, password);
  } catch (e) {
    throw credentialMessage('--info', file, e);
  }
  const p = new Printer(process.stdout, json);
  p.line(`MAC: ${contents.macDigest ?? 'none'}; encryption: ${[...new Set(contents.schemes)].join(', ') || 'none'}`, {
    event: 'pfx',
    mac: contents.macDigest ?? null,
    schemes: [...new Set(contents.schemes)],
  });
  const withKeys = keysWithChains(contents);
  for (const c of contents.certificates) {
    const thumb = thumbprint(c.der);
    let subject = '?';
    try {
      subject = parseCertificate(c.der).subject.text;
    } catch {
      subject = '(unparseable certificate)';
    }
    const hasKey = withKeys.some((k) => equalPublic(k.chain[0] as Uint8Array, c.der));
    p.line(`certificate: ${subject}; thumbprint ${thumb}${c.friendlyName !== undefined ? `; friendlyName ${JSON.stringify(c.friendlyName)}` : ''}${hasKey ? '; with private key' : ''}`, {
      event: 'certificate',
      subject,
      thumbprint: thumb,
      friendlyName: c.friendlyName ?? null,
      localKeyId: c.localKeyId === undefined ? null : Buffer.from(c.localKeyId).toString('hex'),
      privateKey: hasKey,
    });
  }
  return 0;
}
