/**
 * EncryptMessage / DecryptMessage (SSPI.md §5.6, §5.7, §6.7, §7): one record per call, in place in the caller's
 * buffers. DecryptMessage rewrites `[DATA, EMPTY, EMPTY, EMPTY]` into STREAM_HEADER / DATA / STREAM_TRAILER / EXTRA
 * (views into the caller's buffer), or the DATA slot into SECBUFFER_MISSING with SEC_E_INCOMPLETE_MESSAGE.
 */
import { asTlsError } from '../errors.js';
import { recordEnd } from '../record/deframer.js';
import { baseType, buffersOf, inputBytes } from './buffers.js';
import * as C from './constants.js';
import { dtlsDecrypt, dtlsEncrypt, lookupDtlsContext } from './dtls.js';
import type { SECURITY_STATUS } from './constants.js';
import { lookupContext, mapPeer, noteEvent, replaceInfo, setExchange, toFailed, toPeerClosed, toPostHandshakePending, type SchannelContext } from './context.js';
import { statusForError } from './status.js';
import type { CtxtHandle, PULONG, SecBuffer, SecBufferDesc } from './types.js';

/** DecryptMessage processes one record per call. */
const ONE_RECORD = Object.freeze({ maxRecords: 1 });

/** State gate shared by both functions (§10 table). */
function gate(ctx: SchannelContext, encrypt: boolean): SECURITY_STATUS | undefined {
  switch (ctx.phase.kind) {
    case 'Handshaking':
      return ctx.engine.isEstablished ? undefined : C.SEC_E_INVALID_HANDLE;
    case 'Established':
      return undefined;
    case 'Closing':
      return encrypt ? C.SEC_E_CONTEXT_EXPIRED : undefined;
    case 'PeerClosed':
    case 'PostHandshakePending':
    case 'Failed':
      return C.SEC_E_CONTEXT_EXPIRED;
  }
}

/**
 * EncryptMessage: `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]` sized from STREAM_SIZES; the record is written
 * as header ‖ data (in place, same length) ‖ trailer, contiguous when the caller laid the buffers out back to back.
 * `fQOP` SECQOP_WRAP_OOB_DATA sends the 2-byte alert in DATA instead. Never throws.
 */
export function EncryptMessage(phContext: CtxtHandle | null, fQOP: number, pMessage: SecBufferDesc | null, MessageSeqNo: number): SECURITY_STATUS {
  void MessageSeqNo;
  try {
    const dtls = lookupDtlsContext(phContext);
    if (dtls !== undefined) return dtlsEncrypt(dtls, pMessage);
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    const bufs = buffersOf(pMessage);
    if (bufs === undefined) return C.SEC_E_INVALID_TOKEN;
    const g = gate(ctx, true);
    if (g !== undefined) return g;
    const qop = fQOP >>> 0;
    if (qop !== 0 && qop !== C.SECQOP_WRAP_OOB_DATA) return C.SEC_E_QOP_NOT_SUPPORTED;
    // One pass over the writable buffers: exactly one DATA, the first STREAM_HEADER and STREAM_TRAILER.
    let data: SecBuffer | undefined;
    let dataCount = 0;
    let header: SecBuffer | undefined;
    let trailer: SecBuffer | undefined;
    for (const b of bufs) {
      if ((b.BufferType & C.SECBUFFER_READONLY) !== 0) continue;
      const t = baseType(b);
      if (t === C.SECBUFFER_DATA) {
        data ??= b;
        dataCount++;
      } else if (t === C.SECBUFFER_STREAM_HEADER) header ??= b;
      else if (t === C.SECBUFFER_STREAM_TRAILER) trailer ??= b;
    }
    if (dataCount !== 1 || data === undefined) return C.SEC_E_INVALID_TOKEN;
    const plain = inputBytes(data);
    if (plain === undefined) return C.SEC_E_INVALID_TOKEN;
    const sizes = ctx.engine.streamSizes();
    if (header === undefined || trailer === undefined) return C.SEC_E_BUFFER_TOO_SMALL;
    if (plain.length > sizes.maximumMessage) return C.SEC_E_BUFFER_TOO_SMALL;
    const hCap = header.pvBuffer === null ? 0 : Math.min(header.cbBuffer >>> 0, header.pvBuffer.length);
    const tCap = trailer.pvBuffer === null ? 0 : Math.min(trailer.cbBuffer >>> 0, trailer.pvBuffer.length);
    if (hCap < sizes.header || tCap < sizes.trailer) return C.SEC_E_BUFFER_TOO_SMALL;
    let head: Uint8Array;
    let body: Uint8Array;
    let tail: Uint8Array;
    try {
      if (qop === C.SECQOP_WRAP_OOB_DATA) {
        if (plain.length !== 2) return C.SEC_E_INVALID_TOKEN;
        const rec = ctx.engine.sendAlert(plain[1] as number, plain[0] === C.TLS1_ALERT_FATAL);
        if (plain[0] === C.TLS1_ALERT_FATAL) toFailed(ctx);
        const h = Math.min(sizes.header, rec.length);
        head = rec.subarray(0, h);
        body = rec.subarray(h, h + plain.length);
        tail = rec.subarray(h + plain.length);
      } else {
        // The cipher's output goes straight into the caller's buffers: no intermediate record.
        ({ header: head, body, trailer: tail } = ctx.engine.sealRecordParts(plain));
      }
    } catch (e) {
      const err = asTlsError(e);
      return err.kind === 'Closed' ? C.SEC_E_CONTEXT_EXPIRED : C.SEC_E_ENCRYPT_FAILURE;
    }
    if (head.length > hCap || body.length !== plain.length || tail.length > tCap) return C.SEC_E_ENCRYPT_FAILURE;
    (header.pvBuffer as Uint8Array).set(head, 0);
    header.cbBuffer = head.length;
    if (plain.length > 0) (data.pvBuffer as Uint8Array).set(body, 0);
    data.cbBuffer = plain.length;
    (trailer.pvBuffer as Uint8Array).set(tail, 0);
    trailer.cbBuffer = tail.length;
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * DecryptMessage: decrypts the first record of the single DATA buffer in place. Returns SEC_E_OK (application
 * data, possibly empty), SEC_I_RENEGOTIATE (a post-handshake handshake message: call ISC/ASC next),
 * SEC_I_CONTEXT_EXPIRED (close_notify), SEC_E_INCOMPLETE_MESSAGE (MISSING in the DATA slot) or an error. Never throws.
 */
export function DecryptMessage(phContext: CtxtHandle | null, pMessage: SecBufferDesc | null, MessageSeqNo: number, pfQOP: PULONG | null): SECURITY_STATUS {
  void MessageSeqNo;
  try {
    const dtls = lookupDtlsContext(phContext);
    if (dtls !== undefined) return dtlsDecrypt(dtls, pMessage, pfQOP);
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    const bufs = buffersOf(pMessage);
    if (bufs === undefined || bufs.length < 4) return C.SEC_E_INVALID_TOKEN;
    // One pass: exactly one DATA buffer, and the first three EMPTY ones (rewritten below).
    let slot: SecBuffer | undefined;
    let dataCount = 0;
    let d: SecBuffer | undefined;
    let t: SecBuffer | undefined;
    let x: SecBuffer | undefined;
    for (const b of bufs) {
      const type = baseType(b);
      if (type === C.SECBUFFER_DATA) {
        slot ??= b;
        dataCount++;
      } else if (type === C.SECBUFFER_EMPTY) {
        if (d === undefined) d = b;
        else if (t === undefined) t = b;
        else x ??= b;
      }
    }
    if (dataCount !== 1 || slot === undefined || d === undefined || t === undefined || x === undefined) return C.SEC_E_INVALID_TOKEN;
    const g = gate(ctx, false);
    if (g !== undefined) return g;
    if (pfQOP) pfQOP.value = 0;
    const bytes = inputBytes(slot);
    if (bytes === undefined) return C.SEC_E_INVALID_TOKEN;
    const recLen = recordEnd(bytes, 0);
    if (recLen < 0) {
      slot.BufferType = C.SECBUFFER_MISSING;
      slot.cbBuffer = -recLen;
      return C.SEC_E_INCOMPLETE_MESSAGE;
    }
    const hdr = Math.min(recLen, ctx.engine.streamSizes().header);
    let r;
    try {
      r = ctx.engine.process(bytes, ONE_RECORD);
    } catch (e) {
      toFailed(ctx);
      return statusForError(asTlsError(e), ctx.side);
    }
    if (r.consumed === 0) {
      slot.BufferType = C.SECBUFFER_MISSING;
      slot.cbBuffer = r.missing ?? 1;
      return C.SEC_E_INCOMPLETE_MESSAGE;
    }
    // The plaintext goes back in place over the ciphertext, piece by piece (no intermediate array).
    let ptLen = 0;
    for (const part of r.plaintext) {
      bytes.set(part, hdr + ptLen);
      ptLen += part.length;
    }
    slot.BufferType = C.SECBUFFER_STREAM_HEADER;
    slot.cbBuffer = hdr;
    slot.pvBuffer = bytes.subarray(0, hdr);
    d.BufferType = C.SECBUFFER_DATA;
    d.cbBuffer = ptLen;
    d.pvBuffer = bytes.subarray(hdr, hdr + ptLen);
    t.BufferType = C.SECBUFFER_STREAM_TRAILER;
    t.cbBuffer = Math.max(0, r.consumed - hdr - ptLen);
    t.pvBuffer = bytes.subarray(hdr + ptLen, r.consumed);
    if (r.consumed < bytes.length) {
      x.BufferType = C.SECBUFFER_EXTRA;
      x.cbBuffer = bytes.length - r.consumed;
      x.pvBuffer = bytes.subarray(r.consumed);
    }
    let status: SECURITY_STATUS = C.SEC_E_OK;
    for (const ev of r.events) {
      noteEvent(ctx, ev);
      if (ev.type === 'PeerClosed') {
        toPeerClosed(ctx);
        status = C.SEC_I_CONTEXT_EXPIRED;
      } else if (ev.type === 'PostHandshake' || ev.type === 'NewTicket' || ev.type === 'KeyUpdated' || ev.type === 'CertificateRequested') {
        if (status === C.SEC_E_OK) status = C.SEC_I_RENEGOTIATE;
      } else if (ev.type === 'PeerCertificateUpdated') {
        mapPeer(ctx, ev.chain);
        setExchange(ctx, false);
        // REMOTE_CERT_CONTEXT after post-handshake authentication reports the certificate just received.
        const chain = ev.chain.map((c) => c.slice());
        replaceInfo(ctx, (old) => (old !== undefined ? { ...old, peerCertificates: chain } : undefined));
        if (status === C.SEC_E_OK) status = C.SEC_I_RENEGOTIATE;
      }
    }
    if (r.output.length > 0 && status === C.SEC_E_OK) status = C.SEC_I_RENEGOTIATE;
    if (status === C.SEC_I_RENEGOTIATE) toPostHandshakePending(ctx, r.output);
    return status;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}
