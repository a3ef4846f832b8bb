/** Small I/O helpers for DTLS tests: bounded waits, windowed sends, collecting bytes. */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** `p`, or a rejection naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Send `data` in `chunk`s, keeping at most `window` bytes sent and not yet seen by the receiver (`delivered()`).
 * DTLS does not resend application data: a receiver slower than the sender (a loaded machine, a peer tool that
 * drains its socket slowly) would lose what overflows its socket buffer. Bounded by `timeoutMs`.
 */
export async function sendWindowed(w: { write(b: Uint8Array): unknown }, data: Uint8Array, delivered: () => number, window = 32768, chunk = 2800, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let off = 0; off < data.length; off += chunk) {
    while (off - delivered() + chunk > window) {
      if (Date.now() > deadline) throw new Error(`sendWindowed: the receiver saw ${delivered()} of ${off} bytes sent within ${timeoutMs} ms`);
      await delay(2);
    }
    w.write(data.subarray(off, Math.min(data.length, off + chunk)));
  }
}

/** How many bytes of 'data' events `e` has emitted from now on. */
export function received(e: { on(ev: 'data', f: (b: Buffer) => void): unknown }): () => number {
  let n = 0;
  e.on('data', (b: Buffer) => (n += b.length));
  return () => n;
}

/** Resolve with the first `n` bytes of 'data' events. */
export function collect(e: { on(ev: 'data', f: (b: Buffer) => void): unknown }, n: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let have = 0;
    e.on('data', (b: Buffer) => {
      if (have >= n) return;
      parts.push(Buffer.from(b));
      have += b.length;
      if (have >= n) resolve(new Uint8Array(Buffer.concat(parts).subarray(0, n)));
    });
  });
}

/** Wait (bounded) until a UDP socket is bound to 127.0.0.1 or 0.0.0.0 at `port` (openssl -brief prints no ACCEPT line). */
export async function udpListening(port: number, ms = 10_000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const table = readFileSync('/proc/net/udp', 'utf8');
    if (table.split('\n').some((l) => new RegExp(`^\\s*\\d+: [0-9A-F]{8}:${hex} `).test(l))) return;
    await delay(20);
  }
  throw new Error(`nothing bound to UDP port ${port} after ${ms} ms`);
}

