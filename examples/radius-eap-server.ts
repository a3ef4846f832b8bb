/**
 * A RADIUS server (UDP) that authenticates 802.1X supplicants with EAP-TLS (TLS 1.2 and 1.3) through our TlsServer.
 * The `radius` package encodes and decodes the packets and checks the Request and Message-Authenticators; this file
 * does RFC 3579 (EAP over RADIUS: EAP-Message split at 253 bytes, Message-Authenticator required, State ties the
 * round trips of one conversation together) and RFC 2548 (MS-MPPE-Recv-Key = MSK[0..32), MS-MPPE-Send-Key =
 * MSK[32..64), each salt-encrypted with the shared secret and the Request Authenticator).
 *
 *   node dist/examples/radius-eap-server.js --secret SECRET --cert server.pem --key server.key --ca ca.pem [--port 1812] [--tls12] [--resumption]
 *
 * `--resumption` lets re-authentications resume the TLS session (one TLS 1.3 ticket per handshake, TLS 1.2 session
 * resumption); the resumed session keeps the client certificate it was first authenticated with.
 *   eapol_test -c eap-tls.conf -a 127.0.0.1 -p 1812 -s SECRET
 *
 * Prints `READY <port>` once listening and one line per finished conversation:
 * `accept <identity> <version> <cipher> <client subject>` or `reject <identity> <reason>`. Stops on SIGINT/SIGTERM.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import radius from 'radius';
import { TlsServer, type ConnectionInfo } from '../src/index.js';
import { EapTlsServerSession, type EapOutcome } from './eap-tls.js';

const EAP_MESSAGE = 79;
const STATE = 24;
const MESSAGE_AUTHENTICATOR = 80;
const EAP_KEY_NAME = 102;
const VENDOR_MICROSOFT = 311;
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;

/** Conversations kept at once, and how long an idle one lives (bounds memory against floods of new identities). */
export const MAX_SESSIONS = 1024;
export const SESSION_IDLE_MS = 60_000;

/** One finished conversation. */
export interface RadiusResult {
  readonly identity: string;
  readonly accepted: boolean;
  readonly reason?: string;
  readonly info?: ConnectionInfo;
  /** The MSK and EMSK (only for accepted conversations): 64 bytes each. */
  readonly msk?: Uint8Array;
  readonly emsk?: Uint8Array;
}

export interface RadiusEapServerOptions {
  readonly secret: string;
  readonly tls: TlsServer;
  /** TLS bytes per EAP-Request. */
  readonly fragmentSize?: number;
  readonly onResult?: (r: RadiusResult) => void;
}

/**
 * RFC 2548 §2.4.2 encryption of an MS-MPPE key: salt (2 bytes, high bit set), then
 * P = len ‖ key ‖ zero padding to 16n, c(1) = p(1) ⊕ MD5(secret ‖ Request Authenticator ‖ salt),
 * c(i) = p(i) ⊕ MD5(secret ‖ c(i-1)).
 */
export function encryptMppeKey(key: Uint8Array, secret: string, requestAuthenticator: Uint8Array, salt: Uint8Array): Buffer {
  const plain = Buffer.alloc(Math.ceil((1 + key.length) / 16) * 16);
  plain[0] = key.length;
  plain.set(key, 1);
  const out = Buffer.alloc(2 + plain.length);
  out.set(salt, 0);
  let prev: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
  for (let i = 0; i < plain.length; i += 16) {
    const b = createHash('md5').update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) out[2 + i + j] = (plain[i + j] as number) ^ (b[j] as number);
    prev = out.subarray(2 + i, 2 + i + 16);
  }
  return out;
}

/** The inverse of encryptMppeKey (used by tests to read what we sent). */
export function decryptMppeKey(value: Uint8Array, secret: string, requestAuthenticator: Uint8Array): Buffer {
  const salt = value.subarray(0, 2);
  const c = value.subarray(2);
  const plain = Buffer.alloc(c.length);
  let prev: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
  for (let i = 0; i < c.length; i += 16) {
    const b = createHash('md5').update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) plain[i + j] = (c[i + j] as number) ^ (b[j] as number);
    prev = c.subarray(i, i + 16);
  }
  return plain.subarray(1, 1 + (plain[0] as number));
}

/** A decoded request: the package sets `authenticator` (its typings omit it). */
type DecodedRequest = radius.RadiusPacket & { readonly authenticator: Buffer };

interface Session {
  readonly eap: EapTlsServerSession;
  lastSeen: number;
}

/** The RADIUS side: one UDP socket, conversations by State. */
export class RadiusEapServer {
  readonly #options: RadiusEapServerOptions;
  readonly #sessions = new Map<string, Session>();
  /** The last answer per client and RADIUS Identifier + Request Authenticator, resent for retransmissions. */
  readonly #answered = new Map<string, Buffer>();
  readonly socket: Socket;

  constructor(options: RadiusEapServerOptions) {
    this.#options = options;
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => this.#onPacket(msg, rinfo));
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, host, () => resolve(this.socket.address().port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  #onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    let request: DecodedRequest;
    try {
      // Checks the Message-Authenticator when present (RFC 3579 §3.2); wrong secret → throws.
      request = radius.decode({ packet: msg, secret: this.#options.secret }) as DecodedRequest;
    } catch {
      return; // silently discarded (RFC 2865 §3, RFC 3579 §3.2)
    }
    if (request.code !== 'Access-Request') return;
    const raw = request.raw_attributes as unknown as [number, Buffer][];
    const eapParts = raw.filter(([t]) => t === EAP_MESSAGE).map(([, v]) => v);
    // RFC 3579 §3.2: an Access-Request with EAP-Message and no Message-Authenticator is discarded.
    if (eapParts.length === 0 || !raw.some(([t]) => t === MESSAGE_AUTHENTICATOR)) return;
    const key = `${rinfo.address}:${rinfo.port}:${request.identifier}:${request.authenticator.toString('hex')}`;
    const again = this.#answered.get(key);
    if (again !== undefined) {
      this.socket.send(again, rinfo.port, rinfo.address);
      return;
    }

    const now = Date.now();
    this.#expire(now);
    const stateAttr = raw.find(([t]) => t === STATE)?.[1];
    let stateHex = stateAttr?.toString('hex');
    let session = stateHex !== undefined ? this.#sessions.get(stateHex) : undefined;
    if (stateHex !== undefined && session === undefined) {
      this.#reply(request, rinfo, key, 'Access-Reject', [['EAP-Message', Buffer.from([4, 0, 0, 4])]]);
      return; // unknown or expired State
    }
    if (session === undefined) {
      if (this.#sessions.size >= MAX_SESSIONS) return;
      session = { eap: new EapTlsServerSession({ tls: this.#options.tls, ...(this.#options.fragmentSize !== undefined ? { fragmentSize: this.#options.fragmentSize } : {}) }), lastSeen: now };
      stateHex = randomBytes(16).toString('hex');
      this.#sessions.set(stateHex, session);
    }
    session.lastSeen = now;
    const outcome: EapOutcome = session.eap.handle(Buffer.concat(eapParts));
    const eapAttrs = splitEap(outcome.packet);
    if (outcome.kind === 'request') {
      this.#reply(request, rinfo, key, 'Access-Challenge', [...eapAttrs, ['State', Buffer.from(stateHex as string, 'hex')]]);
      return;
    }
    this.#sessions.delete(stateHex as string);
    const identity = session.eap.identity;
    if (outcome.kind === 'success') {
      const salt = (): Buffer => {
        const s = randomBytes(2);
        s[0] = (s[0] as number) | 0x80;
        return s;
      };
      const recv = encryptMppeKey(outcome.msk.subarray(0, 32), this.#options.secret, request.authenticator, salt());
      let sendSalt = salt();
      while (sendSalt.equals(recv.subarray(0, 2))) sendSalt = salt(); // salts unique per packet (RFC 2548)
      const send = encryptMppeKey(outcome.msk.subarray(32, 64), this.#options.secret, request.authenticator, sendSalt);
      this.#reply(request, rinfo, key, 'Access-Accept', [
        ...eapAttrs,
        ['User-Name', identity],
        ['Vendor-Specific', VENDOR_MICROSOFT, [[MS_MPPE_SEND_KEY, send], [MS_MPPE_RECV_KEY, recv]]],
        // RFC 4072 §3.1: the NAS asked for the EAP Session-Id with an empty EAP-Key-Name.
        ...(raw.some(([t]) => t === EAP_KEY_NAME) && outcome.sessionId !== undefined ? [[EAP_KEY_NAME, Buffer.from(outcome.sessionId)]] : []),
      ]);
      this.#options.onResult?.({ identity, accepted: true, info: outcome.info, msk: outcome.msk, emsk: outcome.emsk });
    } else {
      this.#reply(request, rinfo, key, 'Access-Reject', eapAttrs);
      this.#options.onResult?.({ identity, accepted: false, reason: outcome.reason });
    }
  }

  #reply(request: DecodedRequest, rinfo: RemoteInfo, key: string, code: string, attributes: unknown[]): void {
    // Message-Authenticator is added (and computed over the response) because the request carried one.
    const packet = radius.encode_response({ packet: request, code, secret: this.#options.secret, attributes });
    this.#answered.set(key, packet);
    while (this.#answered.size > MAX_SESSIONS) this.#answered.delete(this.#answered.keys().next().value as string);
    this.socket.send(packet, rinfo.port, rinfo.address);
  }

  #expire(now: number): void {
    for (const [k, s] of this.#sessions) if (now - s.lastSeen > SESSION_IDLE_MS) this.#sessions.delete(k);
  }
}

/** EAP-Message attributes: the EAP packet in pieces of at most 253 bytes (RFC 3579 §3.1). */
function splitEap(packet: Uint8Array): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (let i = 0; i < packet.length; i += 253) out.push(['EAP-Message', Buffer.from(packet.subarray(i, i + 253))]);
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const secret = arg('--secret');
  const cert = arg('--cert');
  const key = arg('--key');
  const ca = arg('--ca');
  if (secret === undefined || cert === undefined || key === undefined || ca === undefined) {
    throw new Error('usage: radius-eap-server.js --secret S --cert FILE --key FILE --ca FILE [--port 1812] [--tls12] [--resumption]');
  }
  const tls = new TlsServer({
    certificates: [{ cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }],
    ca: readFileSync(ca, 'utf8'),
    clientAuth: 'required',
    ticketCount: process.argv.includes('--resumption') ? 1 : 0,
    ...(process.argv.includes('--tls12') ? { maxVersion: 'TLSv1.2' as const } : {}),
  });
  const server = new RadiusEapServer({
    secret,
    tls,
    onResult: (r) => {
      const leaf = r.info?.peerCertificates[0];
      const subject = leaf !== undefined ? new X509Certificate(leaf).subject.replace(/\n/g, ',') : '';
      console.log(r.accepted ? `accept ${r.identity} ${r.info?.version} ${r.info?.cipherName} ${subject}` : `reject ${r.identity} ${r.reason}`);
    },
  });
  const port = await server.listen(Number(arg('--port') ?? '1812'));
  console.log(`READY ${port}`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`error ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
