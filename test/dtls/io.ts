/** Small I/O helpers for DTLS tests: bounded waits, paced sends, collecting bytes. */
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

/** Anything that sends datagrams of application data. */
export interface Writable {
  write(data: Uint8Array): boolean;
}

/** Send `data` in `chunk`-byte writes with a short pause between (UDP has no flow control). */
export async function sendPaced(w: Writable, data: Uint8Array, chunk = 16384, pauseMs = 2): Promise<void> {
  for (let off = 0; off < data.length; off += chunk) {
    if (!w.write(data.subarray(off, Math.min(data.length, off + chunk)))) throw new Error('write refused');
    await delay(pauseMs);
  }
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

