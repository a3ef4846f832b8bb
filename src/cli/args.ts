/**
 * A small strict argument parser for `sspi-tls`: `--name value`, `--name=value`, boolean `--flag`, positionals.
 * Anything unknown or malformed is a {@link UsageError}: one line, exit code 2.
 */

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

/** `--tls 1.2|1.3` → the version name. */
export function tlsVersion(text: string): 'TLSv1.2' | 'TLSv1.3' {
  return text === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
}
