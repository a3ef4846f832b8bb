/**
 * A small strict argument parser for `sspi-tls`: `--name value`, `--name=value`, boolean `--flag`, positionals.
 * Anything unknown or malformed is a {@link UsageError}: one line, exit code 2.
 */
import { NamedGroup } from '../wire/registry.js';

/** A mistake in how the command was called or configured: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option's description. */
export interface OptionSpec {
  /** 'string' takes a value; 'boolean' does not. */
  readonly type: 'string' | 'boolean';
  /** Allowed values (string options only). */
  readonly choices?: readonly string[];
}

/** The parsed command line. */
export interface Parsed {
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Parse `argv` against `spec`; at most `maxPositionals` positionals. */
export function parseArgs(command: string, argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>, maxPositionals: number): Parsed {
  const options: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`${command}: unknown option '${arg}' (options are spelled --name)`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (s === undefined) throw new UsageError(`${command}: unknown option '--${name}' (try 'sspi-tls help')`);
    if (name in options) throw new UsageError(`${command}: option '--${name}' given twice`);
    if (s.type === 'boolean') {
      if (eq > 0) throw new UsageError(`${command}: option '--${name}' takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${command}: option '--${name}' needs a value`);
      i++;
    }
    if (s.choices !== undefined && !s.choices.includes(value)) {
      throw new UsageError(`${command}: '--${name} ${value}' is not one of ${s.choices.join(', ')}`);
    }
    options[name] = value;
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`${command}: unexpected argument '${positionals[maxPositionals] ?? ''}'`);
  }
  return { options, positionals };
}

/** A string option's value. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.options[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean option's value. */
export function flag(p: Parsed, name: string): boolean {
  return p.options[name] === true;
}

/** A TCP port 0–65535. */
export function port(command: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${command}: '${text}' is not a port number (0-65535)`);
  return Number(text);
}

/** `HOST:PORT`, `[v6]:PORT`. */
export function hostPort(command: string, text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (m === null || m[1] === undefined || m[2] === undefined) throw new UsageError(`${command}: expected HOST:PORT, got '${text}'`);
  const p = port(command, m[2]);
  if (p === 0) throw new UsageError(`${command}: port 0 is not a port to connect to`);
  return { host: m[1], port: p };
}

/** `--alpn h2,http/1.1` → ['h2', 'http/1.1']. */
export function alpnList(command: string, text: string): string[] {
  const list = text.split(',').map((s) => s.trim());
  if (list.some((s) => s.length === 0 || s.length > 255)) throw new UsageError(`${command}: bad --alpn list '${text}'`);
  return list;
}

/** `--groups` names (case-insensitive) → IANA NamedGroup values, and how node:tls `ecdhCurve` spells each. */
export const GROUP_OPTION_NAMES: Readonly<Record<string, { readonly value: number; readonly curve: string }>> = {
  x25519mlkem768: { value: NamedGroup.X25519MLKEM768, curve: 'X25519MLKEM768' },
  x25519: { value: NamedGroup.x25519, curve: 'X25519' },
  p256: { value: NamedGroup.secp256r1, curve: 'P-256' },
  p384: { value: NamedGroup.secp384r1, curve: 'P-384' },
};

/** `--groups x25519mlkem768,x25519,p256,p384` → NamedGroup values in preference order (no duplicates). */
export function groupList(command: string, text: string): number[] {
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    const g = GROUP_OPTION_NAMES[name];
    if (g === undefined) {
      throw new UsageError(`${command}: unknown group '${raw.trim()}' in --groups (known: ${Object.keys(GROUP_OPTION_NAMES).join(', ')})`);
    }
    if (out.includes(g.value)) throw new UsageError(`${command}: group '${name}' listed twice in --groups`);
    out.push(g.value);
  }
  return out;
}

/** NamedGroup values as a node:tls `ecdhCurve` string ('X25519MLKEM768:X25519'). */
export function ecdhCurveOf(groups: readonly number[]): string {
  return groups.map((v) => Object.values(GROUP_OPTION_NAMES).find((g) => g.value === v)?.curve ?? '').join(':');
}

/** `--tls 1.2|1.3` → the version name. */
export function tlsVersion(text: string): 'TLSv1.2' | 'TLSv1.3' {
  return text === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
}
