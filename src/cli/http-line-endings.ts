/**
 * HTTP/1.x requests whose start-line and header lines end with a bare LF, for `serve --mode http`.
 *
 * RFC 9112 §2.2: "Although the line terminator for the start-line and fields is the sequence CRLF, a recipient MAY
 * recognize a single LF as a line terminator and ignore any preceding CR." node:http's parser (llhttp) refuses a bare
 * LF unless every leniency is switched on at once (`insecureHTTPParser`, which also accepts Content-Length with
 * Transfer-Encoding and other request-smuggling shapes). Clients such as tlsfuzzer's http mode send `GET / HTTP/1.0\n\n`.
 *
 * So the request bytes pass through a normaliser before node:http sees them: in a request head (start-line and
 * fields, up to the empty line) every LF not preceded by CR gets one; message bodies pass untouched, framed by
 * Content-Length. Anything it does not frame itself (Transfer-Encoding, Upgrade, CONNECT, a head over 64 KiB, an
 * unclear Content-Length) switches it to plain pass-through for the rest of the connection, so node:http's own
 * parser decides exactly as it would without it. It never adds or removes anything but CRs before LFs in heads.
 */
import { Duplex } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
/** Longest request head normalised (node:http's own limit is 16 KiB by default). */
const MAX_HEAD = 64 * 1024;

/** How the bytes after a request head are framed: a body of n bytes then the next head, or pass-through. */
type Framing = { readonly kind: 'body'; readonly length: number } | { readonly kind: 'raw' };

/** Framing of the message after `head` (the normalised head, start-line to empty line). */
export function framingOf(head: string): Framing {
  const lines = head.split('\r\n');
  const method = (lines[0] ?? '').split(' ')[0] ?? '';
  if (method === 'CONNECT') return { kind: 'raw' };
  const lengths: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding' || name === 'upgrade') return { kind: 'raw' };
    if (name === 'content-length') lengths.push(value);
  }
  if (lengths.length === 0) return { kind: 'body', length: 0 };
  const first = lengths[0] as string;
  if (!/^\d{1,15}$/.test(first) || lengths.some((l) => l !== first)) return { kind: 'raw' };
  return { kind: 'body', length: Number(first) };
}

/** The streaming normaliser: feed the request bytes in any chunking, get them back with CRLF line ends in heads. */
export class LfTolerantRequests {
  #state: 'head' | 'body' | 'raw' = 'head';
  #bodyLeft = 0;
  #prevCR = false;
  #lineLength = 0;
  #started = false;
  #head: Uint8Array[] = [];
  #headLength = 0;

  /** The normalised bytes for `chunk` (possibly empty). */
  push(chunk: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'raw') {
        out.push(chunk.subarray(i));
        break;
      }
      if (this.#state === 'body') {
        const n = Math.min(this.#bodyLeft, chunk.length - i);
        out.push(chunk.subarray(i, i + n));
        i += n;
        this.#bodyLeft -= n;
        if (this.#bodyLeft === 0) this.#state = 'head';
        continue;
      }
      i = this.#headBytes(chunk, i, out);
    }
    if (out.length === 1) return out[0] as Uint8Array;
    const total = out.reduce((a, b) => a + b.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of out) {
      joined.set(part, at);
      at += part.length;
    }
    return joined;
  }

  /** Head bytes from `start` until the head ends or the chunk does; returns where it stopped. */
  #headBytes(chunk: Uint8Array, start: number, out: Uint8Array[]): number {
    const buf = new Uint8Array(2 * (chunk.length - start));
    let n = 0;
    let i = start;
    let ended = false;
    for (; i < chunk.length && !ended; i++) {
      const b = chunk[i] as number;
      if (b === LF) {
        if (!this.#prevCR) buf[n++] = CR;
        buf[n++] = LF;
        this.#prevCR = false;
        if (this.#lineLength === 0) ended = this.#started;
        else this.#started = true;
        this.#lineLength = 0;
      } else {
        buf[n++] = b;
        if (b === CR) this.#prevCR = true;
        else {
          this.#prevCR = false;
          this.#lineLength++;
        }
      }
    }
    const part = buf.subarray(0, n);
    out.push(part);
    this.#head.push(part);
    this.#headLength += n;
    if (ended) {
      const head = new TextDecoder('latin1').decode(concat(this.#head));
      this.#head = [];
      this.#headLength = 0;
      this.#started = false;
      const framing = framingOf(head);
      if (framing.kind === 'raw') this.#state = 'raw';
      else if (framing.length > 0) {
        this.#state = 'body';
        this.#bodyLeft = framing.length;
      }
    } else if (this.#headLength > MAX_HEAD) {
      // Too long to be a head node:http accepts: let its parser see the rest as sent.
      this.#state = 'raw';
      this.#head = [];
    }
    return i;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The parts of a TLS connection node:http uses beyond Duplex (timeouts, the peer's address). */
export interface HttpTransport extends Duplex {
  setTimeout(ms: number, cb?: () => void): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/**
 * A Duplex over a connection for node:http: reads are the connection's bytes through LfTolerantRequests, writes and
 * the end go to it unchanged; closing either side closes the other; timeouts and the peer's address are the
 * connection's.
 */
export class LfTolerantSocket extends Duplex {
  readonly socket: HttpTransport;

  constructor(socket: HttpTransport) {
    super();
    this.socket = socket;
    const normaliser = new LfTolerantRequests();
    socket.on('data', (chunk: Uint8Array) => {
      const bytes = normaliser.push(chunk);
      if (bytes.length > 0 && !this.push(bytes)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('timeout', () => this.emit('timeout'));
    // The connection's own 'error' listeners report it (serve's connection log); node:http sees the close.
    socket.on('error', () => {});
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms);
    if (cb !== undefined) this.once('timeout', cb);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined);
    callback(err);
  }
}
