/**
 * The check a consumer that asked for manual validation does itself after the handshake (curl's
 * Curl_verify_certificate with a CA file, .NET's SslStream certificate validation): the chain from
 * SECPKG_ATTR_REMOTE_CERT_CONTEXT must lead to the given CA, and the leaf must carry the host name. node:crypto only.
 */
import { X509Certificate } from 'node:crypto';
import * as S from '../../src/sspi/index.js';

/** 'ok', or why the peer is refused ('no-certificate' carries the SSPI status of the query). */
export type PeerCheck = 'ok' | 'untrusted' | 'wrong-name' | { readonly noCertificate: number };

export function checkPeer(ctx: S.CtxtHandle, caPem: string, host: string | null): PeerCheck {
  const ref = new S.Ref<S.CertContext | null>(null);
  const st = S.QueryContextAttributes(ctx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, ref);
  if (st !== S.SEC_E_OK || ref.value === null) return { noCertificate: st };
  const ca = new X509Certificate(caPem);
  const others = ref.value.hCertStore.certificates.map((d) => new X509Certificate(d));
  const leaf = new X509Certificate(ref.value.pbCertEncoded);
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (cur.checkIssued(ca) && cur.verify(ca.publicKey)) {
      return host === null || leaf.checkHost(host) !== undefined ? 'ok' : 'wrong-name';
    }
    const issuer = others.find((c) => c.fingerprint256 !== cur.fingerprint256 && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (issuer === undefined) break;
    cur = issuer;
  }
  return 'untrusted';
}
