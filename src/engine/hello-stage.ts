/**
 * The hello stage of a server connection: the point where the ClientHello has arrived and nothing has been
 * answered yet (rustls's `Acceptor` / `Accepted`, Go's `GetConfigForClient`). The caller feeds received bytes; once
 * the ClientHello is complete it is decoded, once, and the caller sees it (server name, ALPN ids, versions, suites,
 * groups, signature schemes) and supplies the configuration: `accepted.engine(config)` continues the handshake
 * with that decoded hello. node:tls's SNICallback, SSPI per-context settings and the CLI's certificate choice plug
 * in here; no front end parses records or hellos itself.
 *
 * Work is linear in the bytes received, however the hello is cut into records: record bodies are appended to one
 * buffer that grows by doubling, and the hello is decoded once, when complete.
 */
import { EMPTY } from '../codec/bytes.js';
import { asTlsError, misbehaved, unexpected, type TlsError } from '../errors.js';
import { MAX_HANDSHAKE_MESSAGE, MAX_PLAINTEXT } from '../limits.js';
import { announcedLength, checkRecordHeader, nextRecord, RECORD_HEADER_LENGTH } from '../record/deframer.js';
import type { PreparedServerConfig } from '../vocabulary/config.js';
import type { ConnectionObserver } from '../vocabulary/events.js';
import { decodeClientHelloWithBasics, type ClientHello, type DecodedClientHello } from '../wire/client-hello.js';
import { decodeClientVersions, findExtension } from '../wire/extensions.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { AlertLevel, ContentType, ExtensionType, HandshakeType } from '../wire/registry.js';
import { TlsEngine } from './connection.js';
import type { EngineDependencies } from './dependencies.js';
import { STANDARD_DEPENDENCIES } from './standard.js';

/** What the caller sees of a ClientHello at the Accepted point. */
export interface ClientHelloSummary {
  /** server_name's host_name (lower case), or null when none was sent. */
  readonly serverName: string | null;
  /** ALPN ids offered (bytes, as on the wire); empty when the extension was absent. */
  readonly alpn: readonly Uint8Array[];
  /** supported_versions, or [legacy_version] when absent. */
  readonly versions: readonly number[];
  readonly cipherSuites: readonly number[];
  readonly groups: readonly number[];
  readonly signatureSchemes: readonly number[];
  /** The decoded ClientHello itself. */
  readonly hello: ClientHello;
}

/** The ClientHello has arrived: choose a configuration and continue. */
export class Accepted {
  readonly clientHello: ClientHelloSummary;
  /** Bytes received after the ClientHello's last record, for the engine's first `process()` call. */
  readonly rest: Uint8Array;
  readonly #message: HandshakeMessage;
  readonly #decoded: DecodedClientHello;

  /** @internal Made by HelloStage. */
  constructor(message: HandshakeMessage, decoded: DecodedClientHello, rest: Uint8Array) {
    this.#message = message;
    this.#decoded = decoded;
    this.clientHello = summarize(decoded);
    this.rest = rest;
  }

  /**
   * The server engine for this connection, with the configuration chosen for this hello. Its first `process()`
   * call (pass `rest`, possibly empty) handles the ClientHello already decoded here and returns the server's flight.
   */
  engine(config: PreparedServerConfig, deps: EngineDependencies = STANDARD_DEPENDENCIES, observer?: ConnectionObserver): TlsEngine {
    return new TlsEngine(config, deps, observer, { message: this.#message, decoded: this.#decoded });
  }
}

/** Feeds received bytes until the ClientHello is complete. */
export class HelloStage {
  /** Carried bytes of an incomplete record. */
  #carry: Uint8Array = EMPTY;
  #carryLen = 0;
  /** Handshake bytes of the records so far. */
  #hs: Uint8Array = EMPTY;
  #hsLen = 0;
  #failed: TlsError | undefined;
  #alert: Uint8Array | null = null;
  #done = false;

  /**
   * Feed received bytes (each byte once). Returns the Accepted point once the ClientHello is complete, else
   * undefined (more bytes needed). Throws a TlsError for input that cannot start a TLS handshake; its alert record
   * is then available from `takeAlert()`, and later calls rethrow it.
   */
  push(input: Uint8Array): Accepted | undefined {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#done) throw misbehaved('InvalidContentType', { alert: 'internal_error', detail: 'the ClientHello was already accepted' });
    try {
      return this.#push(input);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /**
   * For a caller that feeds whole records only (SSPI): check the complete header of the incomplete record at `at`
   * without taking any bytes, so a bad one is refused before its body arrives. Fails the stage as `push` does.
   */
  checkHeader(input: Uint8Array, at: number): void {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      checkHelloRecordHeader(input, at);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  #fail(e: unknown): TlsError {
    const err = asTlsError(e);
    this.#failed = err;
    this.#alert = new Uint8Array([ContentType.Alert, 3, 3, 0, 2, AlertLevel.Fatal, err.alertCode]);
    err.alertSent = true;
    return err;
  }

  /** The plaintext fatal alert to send after a failure (once), or null. */
  takeAlert(): Uint8Array | null {
    const a = this.#alert;
    this.#alert = null;
    return a;
  }

  #push(input: Uint8Array): Accepted | undefined {
    let data = input;
    while (this.#carryLen > 0) {
      // Complete the carried record first: it grows to the record's size once its header is known.
      const take = Math.min(this.#carryNeed(), data.length);
      if (take === 0) return undefined;
      this.#carry = grow(this.#carry, this.#carryLen, this.#carryLen + take);
      this.#carry.set(data.subarray(0, take), this.#carryLen);
      this.#carryLen += take;
      data = data.subarray(take);
      if (this.#carryNeed() === 0) {
        const record = this.#carry.subarray(0, this.#carryLen);
        this.#carryLen = 0;
        const accepted = this.#records(record, data);
        if (accepted !== undefined) return accepted;
      }
    }
    return this.#records(data, EMPTY);
  }

  /** Bytes the carried record still needs (0 when complete). */
  #carryNeed(): number {
    const f = nextRecord(this.#carry.subarray(0, this.#carryLen), 0);
    if (!f.complete && this.#carryLen >= RECORD_HEADER_LENGTH) checkHelloRecordHeader(this.#carry, 0);
    return f.complete ? 0 : f.missing;
  }

  /** Take every complete record of `data`; `after` follows `data` on the wire (for `rest`). */
  #records(data: Uint8Array, after: Uint8Array): Accepted | undefined {
    let at = 0;
    for (;;) {
      if (data.length - at >= RECORD_HEADER_LENGTH) checkHelloRecordHeader(data, at);
      const f = nextRecord(data, at);
      if (!f.complete) {
        const left = data.length - at;
        if (left > 0) {
          this.#carry = grow(this.#carry, 0, left);
          this.#carry.set(data.subarray(at), 0);
          this.#carryLen = left;
        }
        return undefined;
      }
      // RFC 8446 §5.1: zero-length handshake fragments are forbidden.
      if (f.length === 0) throw misbehaved('InvalidContentType', { detail: 'empty handshake record' });
      this.#hs = grow(this.#hs, this.#hsLen, this.#hsLen + f.length);
      this.#hs.set(data.subarray(at + RECORD_HEADER_LENGTH, f.end), this.#hsLen);
      this.#hsLen += f.length;
      at = f.end;
      const accepted = this.#hello();
      if (accepted !== undefined) {
        const restOfData = data.subarray(at);
        const rest = after.length === 0 ? restOfData.slice() : concat2(restOfData, after);
        return new Accepted(accepted.message, accepted.decoded, rest);
      }
    }
  }

  /** The ClientHello, once its handshake bytes are complete. */
  #hello(): { message: HandshakeMessage; decoded: DecodedClientHello } | undefined {
    const b = this.#hs;
    if (this.#hsLen < 4) return undefined;
    if (b[0] !== HandshakeType.ClientHello) throw unexpected(`handshake type ${b[0] as number}`, ['ClientHello']);
    const len = ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number);
    if (len > MAX_HANDSHAKE_MESSAGE) throw misbehaved('InvalidContentType', { alert: 'unexpected_message', detail: `ClientHello of ${len} bytes` });
    if (this.#hsLen < 4 + len) return undefined;
    // Nothing may follow the ClientHello in its flight's handshake records (RFC 8446 §4.1.2, §5.1).
    if (this.#hsLen > 4 + len) throw unexpected('handshake data after ClientHello', ['(nothing)']);
    const raw = b.slice(0, 4 + len);
    this.#hs = EMPTY;
    this.#hsLen = 0;
    this.#done = true;
    const message: HandshakeMessage = { type: HandshakeType.ClientHello, body: raw.subarray(4), raw };
    return { message, decoded: decodeClientHelloWithBasics(message.body) };
  }
}

/** The complete record header at `at`, before the ClientHello: a handshake record of an allowed version and length. */
function checkHelloRecordHeader(b: Uint8Array, at: number): void {
  const type = b[at] as number;
  checkRecordHeader(type, b[at + 1] as number, announcedLength(b, at) ?? 0, MAX_PLAINTEXT);
  if (type !== ContentType.Handshake) throw unexpected(`record type ${type}`, ['Handshake']);
}

function summarize({ hello, basics }: DecodedClientHello): ClientHelloSummary {
  const versions = findExtension(hello.extensions, ExtensionType.supported_versions);
  return {
    serverName: basics.serverName ?? null,
    alpn: basics.alpn ?? [],
    versions: versions !== undefined ? decodeClientVersions(versions) : [hello.legacyVersion],
    cipherSuites: hello.cipherSuites,
    groups: basics.groups ?? [],
    signatureSchemes: basics.signatureSchemes ?? [],
    hello,
  };
}

/** `buf` with room for `need` bytes, its first `used` kept; grows by doubling, so appends are linear overall. */
function grow(buf: Uint8Array, used: number, need: number): Uint8Array {
  if (buf.length >= need) return buf;
  const next = new Uint8Array(Math.max(need, buf.length * 2, 256));
  next.set(buf.subarray(0, used), 0);
  return next;
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
