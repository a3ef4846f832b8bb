/**
 * Child program of test/unit/entry-points.test.ts: imports `sspi-tls/sspi` and nothing else of ours, then runs
 * the canonical AcceptSecurityContext / InitializeSecurityContext loops in memory. The client credential has no
 * hRootStore and SCH_CRED_AUTO_CRED_VALIDATION: the server is validated against the default trust anchors.
 * Prints one JSON line: { ok, status? }. argv: chain.pem key.pem servername
 */
import { readFileSync } from 'node:fs';
import * as S from '../../src/sspi/index.js';

const [chainPath = '', keyPath = '', servername = ''] = process.argv.slice(2);
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const bytesOf = (b: S.SecBuffer): Uint8Array => (b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));
const tokenOut = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
const tokenIn = (b: Uint8Array): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);

function result(r: object): never {
  console.log(JSON.stringify(r));
  process.exit(0);
}

const ssch = new S.SCH_CREDENTIALS();
ssch.cCreds = 1;
ssch.paCred = [S.CertContext.fromPem(readFileSync(chainPath, 'utf8'), readFileSync(keyPath, 'utf8'))];
const sCred = new S.CredHandle();
let st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, ssch, null, null, sCred, null);
if (st !== S.SEC_E_OK) result({ ok: false, status: hex(st), at: 'server credentials' });
const csch = new S.SCH_CREDENTIALS();
csch.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS | S.SCH_CRED_AUTO_CRED_VALIDATION;
const cCred = new S.CredHandle();
st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, csch, null, null, cCred, null);
if (st !== S.SEC_E_OK) result({ ok: false, status: hex(st), at: 'client credentials' });

const req = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY;
const areq = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
const cCtx = new S.CtxtHandle();
const sCtx = new S.CtxtHandle();
let out = tokenOut();
st = S.InitializeSecurityContext(cCred, null, servername, req, 0, 0, null, 0, cCtx, out, new S.ULONG(), null);
if (st !== S.SEC_I_CONTINUE_NEEDED) result({ ok: false, status: hex(st), at: 'first ISC' });
let toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
let sStarted = false;
let cDone = false;
for (let round = 0; round < 6 && !cDone; round++) {
  out = tokenOut();
  st = S.AcceptSecurityContext(sCred, sStarted ? sCtx : null, tokenIn(toServer), areq, 0, sCtx, out, new S.ULONG(), null);
  sStarted = true;
  if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) result({ ok: false, status: hex(st), at: 'ASC' });
  const toClient = bytesOf(out.pBuffers[0] as S.SecBuffer);
  if (toClient.length === 0) break;
  out = tokenOut();
  st = S.InitializeSecurityContext(cCred, cCtx, servername, req, 0, 0, tokenIn(toClient), 0, null, out, new S.ULONG(), null);
  if (st === S.SEC_E_OK) cDone = true;
  else if (st !== S.SEC_I_CONTINUE_NEEDED) result({ ok: false, status: hex(st), at: 'ISC' });
  toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
}
result({ ok: cDone, status: hex(st) });
