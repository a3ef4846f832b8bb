/**
 * The EAP-TLS method, server side (RFC 5216 for TLS 1.2, RFC 9190 for TLS 1.3), over our TlsServer: no transport
 * of its own. Feed it each EAP-Response packet; it answers with the next EAP-Request, or EAP-Success with the keys
 * (MSK, EMSK), or EAP-Failure. A RADIUS server (examples/radius-eap-server.ts) carries these packets.
 *
 * EAP-TLS packets: Code, Identifier, Length, Type 13, Flags (L 0x80: a 4-byte TLS Message Length follows; M 0x40:
 * more fragments; S 0x20: Start), then TLS record bytes. A message longer than the fragment size is sent in
 * fragments, the first with L; each fragment is acknowledged by an empty packet (flags 0) from the other side.
 *
 * Keys (RFC 5216 §2.3, RFC 9190 §2.3), 128 bytes, MSK the first 64, EMSK the next 64:
 *   TLS 1.2: PRF(master_secret, "client EAP encryption", client.random || server.random), which is the RFC 5705
 *            exporter with that label and no context;
 *   TLS 1.3: TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type-Code 0x0D, 128).
 * EAP Session-Id for TLS 1.3 (RFC 9190 §2.3): 0x0D ‖ TLS-Exporter("EXPORTER_EAP_TLS_Method-Id", Type-Code, 64).
 * TLS 1.3 ends with the commitment message, one byte 0x00 of application data from the server (RFC 9190 §2.5),
 * after the client's Finished: the peer acknowledges it and then gets EAP-Success.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionInfo, TlsConnection, TlsServer } from '../src/index.js';

export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;
export const EapType = { Identity: 1, Nak: 3, Tls: 13 } as const;
const FLAG_L = 0x80;
const FLAG_M = 0x40;
const FLAG_S = 0x20;

/** Bound on a reassembled TLS message from the peer (a client flight with a long chain fits many times over). */
export const MAX_TLS_MESSAGE = 64 * 1024;

/** What the method produced for one response. */
export type EapOutcome =
  | { readonly kind: 'request'; readonly packet: Uint8Array }
  | {
      readonly kind: 'success';
      readonly packet: Uint8Array;
      readonly msk: Uint8Array;
      readonly emsk: Uint8Array;
      /** EAP Session-Id (RFC 9190 §2.3: 0x0D ‖ Method-Id) for TLS 1.3; undefined for TLS 1.2 (it needs both randoms). */
      readonly sessionId: Uint8Array | undefined;
      readonly info: ConnectionInfo;
    }
  | { readonly kind: 'failure'; readonly packet: Uint8Array; readonly reason: string };

/** The 128 bytes of EAP-TLS key material of a finished handshake: MSK ‖ EMSK. */
export function eapTlsKeyMaterial(conn: TlsConnection): Uint8Array {
  const info = conn.info;
  if (info === undefined) throw new Error('eap-tls: no key material before the handshake completes');
  return info.version === 'TLSv1.3'
    ? conn.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', new Uint8Array([EapType.Tls]))
    : conn.exportKeyingMaterial(128, 'client EAP encryption');
}

/** RFC 9190 §2.3: Session-Id = Type-Code ‖ Method-Id, Method-Id = TLS-Exporter("EXPORTER_EAP_TLS_Method-Id", Type-Code, 64). */
export function eapTlsSessionId(conn: TlsConnection): Uint8Array | undefined {
  if (conn.info?.version !== 'TLSv1.3') return undefined;
  const methodId = conn.exportKeyingMaterial(64, 'EXPORTER_EAP_TLS_Method-Id', new Uint8Array([EapType.Tls]));
  const id = new Uint8Array(65);
  id[0] = EapType.Tls;
  id.set(methodId, 1);
  return id;
}

export interface EapTlsOptions {
  readonly tls: TlsServer;
  /** TLS bytes per EAP-Request (default 1000, below the 1398 that wpa_supplicant uses and far below RADIUS' 4096). */
  readonly fragmentSize?: number;
}

/** One peer's EAP conversation, from EAP-Response/Identity to Success or Failure. */
export class EapTlsServerSession {
  readonly #options: EapTlsOptions;
  readonly #fragmentSize: number;
  #id: number;
  #conn: TlsConnection | undefined;
  /** Fragments of our current TLS message still to send (the first one already sent is not here). */
  #outgoing: Uint8Array[] = [];
  /** The peer's TLS message being reassembled, and its announced length. */
  #incoming: Uint8Array[] = [];
  #incomingLength = 0;
  #announced: number | undefined;
  #handshakeDone = false;
  #failed: string | undefined;
  /** The peer's identity from EAP-Response/Identity. */
  identity = '';
  /** Set once the method has ended. */
  finished = false;

  constructor(options: EapTlsOptions) {
    this.#options = options;
    this.#fragmentSize = options.fragmentSize ?? 1000;
    this.#id = randomBytes(1)[0] as number;
  }

  /** Handle one EAP-Response. */
  handle(packet: Uint8Array): EapOutcome {
    if (this.finished) return this.#fail('the method already ended');
    if (packet.length < 5) return this.#fail('EAP packet shorter than 5 bytes');
    const code = packet[0] as number;
    const id = packet[1] as number;
    const length = ((packet[2] as number) << 8) | (packet[3] as number);
    if (length !== packet.length || length < 5) return this.#fail('EAP Length does not match the packet');
    if (code !== EapCode.Response) return this.#fail(`EAP code ${code} where a Response belongs`);
    const type = packet[4] as number;
    if (this.#conn === undefined) {
      if (type !== EapType.Identity) return this.#fail(`EAP type ${type} before the identity`);
      this.#id = id; // the identity response answers the authenticator's EAP-Request/Identity
      this.identity = new TextDecoder().decode(packet.subarray(5));
      this.#conn = this.#options.tls.accept();
      return this.#request(FLAG_S, new Uint8Array(0)); // EAP-TLS Start
    }
    if (id !== this.#id) return this.#fail(`EAP Identifier ${id}, expected ${this.#id}`);
    if (type === EapType.Nak) return this.#fail('the peer refused EAP-TLS (Nak)');
    if (type !== EapType.Tls) return this.#fail(`EAP type ${type} during EAP-TLS`);
    if (length < 6) return this.#fail('EAP-TLS packet without flags');
    const flags = packet[5] as number;
    let at = 6;
    let announced: number | undefined;
    if ((flags & FLAG_L) !== 0) {
      if (length < 10) return this.#fail('EAP-TLS L flag without a TLS Message Length');
      announced = (((packet[6] as number) << 24) | ((packet[7] as number) << 16) | ((packet[8] as number) << 8) | (packet[9] as number)) >>> 0;
      at = 10;
    }
    const data = packet.subarray(at);

    // We are sending a fragmented message: this must be the peer's acknowledgement.
    if (this.#outgoing.length > 0) {
      if (data.length > 0 || flags !== 0) return this.#fail('expected an empty acknowledgement of our fragment');
      const next = this.#outgoing.shift() as Uint8Array;
      return this.#request(this.#outgoing.length > 0 ? FLAG_M : 0, next);
    }

    // An empty response with nothing outstanding: the acknowledgement of our last message.
    if (data.length === 0 && this.#incoming.length === 0) {
      if ((flags & FLAG_M) !== 0) return this.#fail('empty fragment with M set');
      if (this.#failed !== undefined) return this.#fail(this.#failed);
      if (!this.#handshakeDone) return this.#fail('acknowledgement before the handshake completed');
      return this.#success();
    }

    // A fragment of the peer's TLS message.
    if (announced !== undefined) {
      if (this.#incoming.length > 0 && announced !== this.#announced) return this.#fail('TLS Message Length changed between fragments');
      if (announced > MAX_TLS_MESSAGE) return this.#fail(`TLS Message Length ${announced} exceeds ${MAX_TLS_MESSAGE}`);
      this.#announced = announced;
    }
    this.#incomingLength += data.length;
    if (this.#incomingLength > (this.#announced ?? MAX_TLS_MESSAGE)) return this.#fail('more TLS data than the TLS Message Length');
    this.#incoming.push(data.slice());
    if ((flags & FLAG_M) !== 0) return this.#request(0, new Uint8Array(0)); // acknowledge, ask for the next
    if (this.#announced !== undefined && this.#incomingLength !== this.#announced) return this.#fail('less TLS data than the TLS Message Length');
    const message = join(this.#incoming);
    this.#incoming = [];
    this.#incomingLength = 0;
    this.#announced = undefined;
    return this.#tls(message);
  }

  /** Run the peer's TLS message through our connection and send what it answers. */
  #tls(message: Uint8Array): EapOutcome {
    const conn = this.#conn as TlsConnection;
    try {
      conn.receive(message);
      if (conn.isHandshakeComplete && !this.#handshakeDone) {
        this.#handshakeDone = true;
        // RFC 9190 §2.5: the commitment message, so the peer knows no further handshake messages will come.
        if (conn.info?.version === 'TLSv1.3') conn.write(new Uint8Array([0]));
      }
    } catch (e) {
      // The alert goes to the peer in an EAP-Request; its acknowledgement is answered with EAP-Failure.
      this.#failed = `TLS: ${e instanceof Error ? e.message : String(e)}`;
    }
    const out = conn.takeOutput();
    if (out.length === 0) {
      // TLS 1.2 resumption (RFC 5216 §2.1.2): the server's Finished went first, the client's ends the handshake,
      // and EAP-Success follows at once.
      if (this.#failed === undefined && this.#handshakeDone) return this.#success();
      return this.#fail(this.#failed ?? 'the TLS message gave nothing to answer');
    }
    return this.#send(out);
  }

  /** Send one TLS message, fragmented when longer than the fragment size (first fragment with L and M). */
  #send(message: Uint8Array): EapOutcome {
    if (message.length <= this.#fragmentSize) return this.#request(0, message);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < message.length; i += this.#fragmentSize) pieces.push(message.subarray(i, i + this.#fragmentSize));
    this.#outgoing = pieces.slice(1);
    return this.#request(FLAG_L | FLAG_M, pieces[0] as Uint8Array, message.length);
  }

  #request(flags: number, data: Uint8Array, totalLength?: number): EapOutcome {
    this.#id = (this.#id + 1) & 0xff;
    const head = totalLength !== undefined ? 10 : 6;
    const p = new Uint8Array(head + data.length);
    p[0] = EapCode.Request;
    p[1] = this.#id;
    p[2] = p.length >> 8;
    p[3] = p.length & 0xff;
    p[4] = EapType.Tls;
    p[5] = flags;
    if (totalLength !== undefined) new DataView(p.buffer).setUint32(6, totalLength);
    p.set(data, head);
    return { kind: 'request', packet: p };
  }

  #success(): EapOutcome {
    const conn = this.#conn as TlsConnection;
    const keys = eapTlsKeyMaterial(conn);
    this.finished = true;
    return {
      kind: 'success',
      packet: new Uint8Array([EapCode.Success, this.#id, 0, 4]),
      msk: keys.slice(0, 64),
      emsk: keys.slice(64, 128),
      sessionId: eapTlsSessionId(conn),
      info: conn.info as ConnectionInfo,
    };
  }

  #fail(reason: string): EapOutcome {
    this.finished = true;
    return { kind: 'failure', packet: new Uint8Array([EapCode.Failure, this.#id, 0, 4]), reason };
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
