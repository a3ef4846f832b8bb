/** Queueing a handshake message through a context that may write it straight into its flight. */
import type { Writer } from '../codec/writer.js';
import { frameHandshake } from '../wire/handshake.js';
import type { HandshakeContext, TraceFieldsArg } from './context.js';

/**
 * Queue the handshake message of `type` that `body` writes, and return its framed bytes for the transcript: a view
 * into the queued flight when the context writes messages there (valid only until the flight is sealed: hash it at
 * once, keep nothing of it), else a fresh array emitted as usual.
 */
export function emitMessage(cx: HandshakeContext, type: number, body: (w: Writer) => void, name: string, fields?: TraceFieldsArg): Uint8Array {
  if (cx.emitMessage !== undefined) return cx.emitMessage(type, body, name, fields);
  const raw = frameHandshake(type, body);
  cx.emit(raw, name, fields);
  return raw;
}
