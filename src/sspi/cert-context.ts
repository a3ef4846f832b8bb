/**
 * Certificates as SSPI sees them: `CertContext` (a PCCERT_CONTEXT: one certificate, its chain store and, for our
 * own credentials, the private key) and `CertStore` (an HCERTSTORE: a set of certificates, e.g. trusted roots).
 * The factories never throw: a certificate that cannot be parsed, or a key that cannot be loaded or does not match,
 * is reported by AcquireCredentialsHandle as SEC_E_UNKNOWN_CREDENTIALS, as Windows does for bogus certificates.
 */
import { getDefaultProvider } from '../crypto/node-provider.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { pemToDer } from '../x509/pem.js';
import { PKCS_7_ASN_ENCODING, X509_ASN_ENCODING } from './constants.js';

/**
 * An HCERTSTORE: an ordered set of DER certificates, and the CRLs it holds (as CertAddCRLContextToStore adds them;
 * a credential's hRootStore CRLs are what the SCH_CRED_REVOCATION_CHECK_* flags check).
 */
export class CertStore {
  /** The certificates, DER. */
  readonly certificates: readonly Uint8Array[];
  /** The certificate revocation lists, DER. */
  readonly crls: readonly Uint8Array[];

  /** A store over `ders` and `crls` (copied). */
  constructor(ders: readonly Uint8Array[] = [], crls: readonly Uint8Array[] = []) {
    this.certificates = ders.map((d) => d.slice());
    this.crls = crls.map((d) => d.slice());
  }

  /** A store from PEM text with CERTIFICATE and X509 CRL blocks (an unparseable text gives an empty store). */
  static fromPem(pem: string): CertStore {
    try {
      return new CertStore(pemToDer(pem), pemToDer(pem, 'X509 CRL'));
    } catch {
      return new CertStore([]);
    }
  }

  /** A store from DER certificates (and CRLs). */
  static fromDer(ders: readonly Uint8Array[], crls: readonly Uint8Array[] = []): CertStore {
    return new CertStore(ders, crls);
  }
}

/**
 * A PCCERT_CONTEXT: one certificate (`pbCertEncoded`) with the rest of its chain in `hCertStore` (leaf included, as
 * Windows' REMOTE_CERT_CONTEXT store holds the leaf and the peer's intermediates), and optionally its private key.
 */
export class CertContext {
  /** X509_ASN_ENCODING | PKCS_7_ASN_ENCODING. */
  readonly dwCertEncodingType: number = X509_ASN_ENCODING | PKCS_7_ASN_ENCODING;
  /** The certificate, DER. */
  readonly pbCertEncoded: Uint8Array;
  /** Its length. */
  readonly cbCertEncoded: number;
  /** The chain: this certificate first, then the intermediates (and root if given). */
  readonly hCertStore: CertStore;
  /** The private key (PEM text or PKCS#8 DER), or undefined for a certificate without one. */
  readonly privateKey: string | Uint8Array | undefined;
  /** The parsed certificate, or undefined when it could not be parsed. */
  readonly pCertInfo: Certificate | undefined;
  /** Why the certificate could not be used, when `pCertInfo` is undefined. */
  readonly parseError: string | undefined;

  /** @internal Use {@link CertContext.fromPem} / {@link CertContext.fromDer}. */
  constructor(chain: readonly Uint8Array[], privateKey: string | Uint8Array | undefined, parseError?: string) {
    const leaf = chain[0] ?? new Uint8Array(0);
    this.pbCertEncoded = leaf.slice();
    this.cbCertEncoded = leaf.length;
    this.hCertStore = new CertStore(chain);
    this.privateKey = typeof privateKey === 'string' ? privateKey : privateKey?.slice();
    let info: Certificate | undefined;
    let err = parseError;
    if (err === undefined) {
      try {
        if (leaf.length === 0) throw new Error('empty certificate chain');
        info = parseCertificate(leaf);
      } catch (e) {
        err = e instanceof Error ? e.message : String(e);
      }
    }
    this.pCertInfo = info;
    this.parseError = err;
  }

  /**
   * A certificate context from PEM text (leaf first, then intermediates) and, for a credential, the private key's PEM.
   * Never throws; an unusable certificate is reported by AcquireCredentialsHandle.
   */
  static fromPem(chainPem: string, keyPem?: string): CertContext {
    let ders: Uint8Array[];
    try {
      ders = pemToDer(chainPem);
    } catch (e) {
      return new CertContext([], keyPem, e instanceof Error ? e.message : String(e));
    }
    return new CertContext(ders, keyPem, ders.length === 0 ? 'no CERTIFICATE block in PEM text' : undefined);
  }

  /** A certificate context from DER certificates (leaf first) and optionally a PKCS#8 DER private key. */
  static fromDer(chainDers: readonly Uint8Array[], keyDer?: Uint8Array): CertContext {
    return new CertContext(chainDers, keyDer);
  }

  /** Whether a private key is attached. */
  get hasPrivateKey(): boolean {
    return this.privateKey !== undefined;
  }

  /** The chain as DER, leaf first. */
  get chain(): readonly Uint8Array[] {
    return this.hCertStore.certificates;
  }

  /** Subject display string ('CN=…, O=…'), or '' when unparsed. */
  get subject(): string {
    return this.pCertInfo?.subject.text ?? '';
  }

  /** Issuer display string, or '' when unparsed. */
  get issuer(): string {
    return this.pCertInfo?.issuer.text ?? '';
  }

  /** NotAfter (ms since the epoch), or undefined when unparsed. */
  get notAfter(): number | undefined {
    return this.pCertInfo?.notAfter;
  }

  /**
   * Checks the certificate parses and the key loads and matches it: 'ok', 'no-key' (Windows: SEC_E_NO_CREDENTIALS)
   * or 'bad' (SEC_E_UNKNOWN_CREDENTIALS).
   */
  check(): 'ok' | 'no-key' | 'bad' {
    const info = this.pCertInfo;
    if (info === undefined) return 'bad';
    if (this.privateKey === undefined) return 'no-key';
    try {
      const key = getDefaultProvider().loadSigningKey(this.privateKey);
      const a = key.spki;
      const b = info.spki;
      if (a.length !== b.length || !a.every((x, i) => x === b[i])) return 'bad';
      return 'ok';
    } catch {
      return 'bad';
    }
  }
}

/** CertFreeCertificateContext: a no-op (garbage collected); returns true. */
export function CertFreeCertificateContext(_pCertContext: CertContext | null): boolean {
  return true;
}
