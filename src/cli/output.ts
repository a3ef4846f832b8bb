/**
 * What the CLI prints: the handshake trace (client ⇄ server, one message a line with its key fields, coloured on a
 * terminal), connection summaries and peer chains; or, with --json, the same as JSON lines. Secrets never appear:
 * the engine's trace has none, and field names that look like secrets are dropped here as well.
 */
import type { ConnectionInfo, TraceEvent } from '../api/types.js';
import { certificateNames } from '../node/peer-certificate.js';
import { isIpLiteral } from '../node/options.js';
import { fingerprint256, toPem } from './selfsigned.js';

/** Where and how to print. */
export class Printer {
  /** Print JSON lines instead of text. */
  readonly json: boolean;
  readonly #out: NodeJS.WritableStream;
  readonly #color: boolean;

  /** `out` gets every line; colour only on a terminal, unless NO_COLOR is set (or FORCE_COLOR forces it). */
  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, json: boolean) {
    this.#out = out;
    this.json = json;
    const env = process.env;
    this.#color = !json && env['NO_COLOR'] === undefined && (env['FORCE_COLOR'] !== undefined || out.isTTY === true);
  }

  /** Print one line of text, or one JSON object. */
  line(text: string, json: Readonly<Record<string, unknown>>): void {
    this.#out.write((this.json ? JSON.stringify(json) : text) + '\n');
  }

  /** Wrap `s` in an ANSI colour when colouring. */
  paint(code: number, s: string): string {
    return this.#color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  /** One trace event seen by `side`; `conn` numbers connections on a server. */
  trace(e: TraceEvent, side: 'client' | 'server', conn?: number): void {
    const fromClient = (side === 'client') === (e.direction === 'sent');
    const fields = safeFields(e.fields);
    const tag = conn === undefined ? '' : `#${conn} `;
    const arrow = fromClient ? this.paint(36, 'client  ─▶ server') : this.paint(33, 'client ◀─  server');
    const text = `  ${tag}${arrow}  ${this.paint(1, e.message.padEnd(22))} ${fieldText(fields)}`.trimEnd();
    this.line(text, {
      event: 'trace',
      ...(conn === undefined ? {} : { conn }),
      side,
      from: fromClient ? 'client' : 'server',
      to: fromClient ? 'server' : 'client',
      message: e.message,
      fields,
    });
  }
}

const SECRET_FIELD = /secret|private|binder|master|psk_key|traffic_key/i;

function safeFields(f: TraceEvent['fields']): Record<string, string | number | boolean | readonly string[]> {
  const out: Record<string, string | number | boolean | readonly string[]> = {};
  for (const [k, v] of Object.entries(f)) if (!SECRET_FIELD.test(k)) out[k] = v;
  return out;
}

function fieldText(f: Readonly<Record<string, string | number | boolean | readonly string[]>>): string {
  return Object.entries(f)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : quote(String(v))}`)
    .join(' ');
}

/** Quote a value that has spaces (or is empty), for key=value lines. */
export function quote(s: string): string {
  return s === '' || /[\s"]/.test(s) ? JSON.stringify(s) : s;
}

/** The negotiated parameters as a flat record (for both output forms). */
export function summary(info: ConnectionInfo): Record<string, string | boolean | null> {
  const leaf = info.peerCertificates[0];
  return {
    version: info.version,
    suite: info.cipherName,
    group: info.groupName ?? null,
    alpn: info.alpnProtocol,
    // An IP literal is never sent as SNI (RFC 6066 §3): say what went on the wire.
    sni: info.serverName !== null && isIpLiteral(info.serverName) ? null : info.serverName,
    peerCertificate: leaf === undefined ? null : certificateNames(leaf).subject,
    resumed: info.resumed,
    helloRetry: info.helloRetry,
  };
}

/** `key=value …` text of a record, '-' for null. */
export function kv(r: Readonly<Record<string, string | number | boolean | null>>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k}=${v === null ? '-' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : quote(String(v))}`)
    .join(' ');
}

/** Print a received chain: subject, issuer, validity, SHA-256 fingerprint of each certificate. */
export function printChain(p: Printer, chain: readonly Uint8Array[]): void {
  chain.forEach((der, i) => {
    const n = certificateNames(der);
    const fp = fingerprint256(der);
    const from = new Date(n.notBefore).toISOString();
    const to = new Date(n.notAfter).toISOString();
    p.line(
      [`  certificate ${i}: subject: ${n.subject}`, `    issuer: ${n.issuer}`, `    valid: ${from} .. ${to}`, `    sha256: ${fp}`].join('\n'),
      { event: 'certificate', index: i, subject: n.subject, issuer: n.issuer, notBefore: from, notAfter: to, fingerprint256: fp },
    );
  });
}

/** The chain as PEM blocks, leaf first (`connect --showcerts`, as openssl s_client -showcerts prints it). */
export function printChainPem(p: Printer, chain: readonly Uint8Array[]): void {
  chain.forEach((der, i) => {
    const pem = toPem('CERTIFICATE', der);
    p.line(`  certificate ${i} (PEM):\n${pem.trimEnd()}`, { event: 'certificate-pem', index: i, pem });
  });
}
