/**
 * Reads the server_name of a ClientHello from the first bytes a client sent, before any engine sees them, so an
 * asynchronous node:tls-style SNICallback can choose the credentials first. Only a peek: on anything unexpected it
 * answers "no name" and the engine, which parses the ClientHello for real, reports the error.
 */
import { Reader } from '../codec/reader.js';
import { ContentType, ExtensionType, HandshakeType } from '../wire/registry.js';
import { MAX_HANDSHAKE_MESSAGE } from '../limits.js';

/** Result of {@link peekServerName}. */
export type PeekResult =
  /** More bytes are needed to see the whole ClientHello. */
  | { readonly complete: false }
  /** The ClientHello is complete (or unparseable): its host_name, or null. */
  | { readonly complete: true; readonly serverName: string | null };

/** Most bytes worth buffering while peeking: the largest handshake message plus its records' headers. */
export const MAX_PEEK_BYTES = MAX_HANDSHAKE_MESSAGE + 4 + 5 * Math.ceil((MAX_HANDSHAKE_MESSAGE + 4) / 16384);

/** The host_name of the ClientHello at the start of `input` (records of plaintext handshake). */
export function peekServerName(input: Uint8Array): PeekResult {
  // Join the handshake fragments of the leading plaintext records.
  const body: Uint8Array[] = [];
  let have = 0;
  let at = 0;
  let need = -1;
  while (at + 5 <= input.length) {
    const type = input[at];
    const len = ((input[at + 3] ?? 0) << 8) | (input[at + 4] ?? 0);
    if (type !== ContentType.Handshake) return { complete: true, serverName: null };
    if (at + 5 + len > input.length) break;
    body.push(input.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    if (need < 0 && have >= 4) {
      const first = join(body, 4);
      if (first[0] !== HandshakeType.ClientHello) return { complete: true, serverName: null };
      need = 4 + (((first[1] ?? 0) << 16) | ((first[2] ?? 0) << 8) | (first[3] ?? 0));
      if (need > MAX_HANDSHAKE_MESSAGE + 4) return { complete: true, serverName: null };
    }
    if (need >= 0 && have >= need) return { complete: true, serverName: parseHello(join(body, need).subarray(4)) };
  }
  if (input.length >= MAX_PEEK_BYTES) return { complete: true, serverName: null };
  return { complete: false };
}

function join(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    if (at >= n) break;
    const take = p.subarray(0, n - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

function parseHello(hello: Uint8Array): string | null {
  try {
    const r = new Reader(hello, 'ClientHello');
    r.skip(2 + 32, 'random');
    r.vec8('legacy_session_id');
    r.vec16('cipher_suites');
    r.vec8('legacy_compression_methods');
    if (r.remaining === 0) return null;
    const exts = r.vec16('extensions');
    while (exts.remaining > 0) {
      const type = exts.u16('extension_type');
      const data = exts.vec16('extension_data');
      if (type !== ExtensionType.server_name) continue;
      const list = data.vec16('server_name_list');
      while (list.remaining > 0) {
        const nameType = list.u8('name_type');
        const name = list.vec16('host_name');
        if (nameType === 0) return new TextDecoder().decode(name.rest());
      }
    }
    return null;
  } catch {
    return null;
  }
}
