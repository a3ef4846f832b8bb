/**
 * Starting real TLS peers for interop tests (DESIGN.md C.12 "How interop tests start peers"):
 * check the tool first (never pass silently), bind on 127.0.0.1 with a free port, wait for a readiness line (never a
 * sleep), bound every wait, always stop the peer in `finally`, and attach the peer's last output lines to failures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Default bound on every wait, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** The project root (the directory holding package.json), found from this compiled file's location. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('peers: package.json not found above ' + import.meta.url);
    dir = up;
  }
  return dir;
})();

const found = new Map<string, string>();

/**
 * Fail (throw) unless `cmd` is on PATH. The message names the Debian package that provides it, e.g.
 * "interop: `openssl` not found — install Debian package `openssl`". Returns the resolved path.
 */
export function requirePeer(cmd: string, debianPackage: string): string {
  const cached = found.get(cmd);
  if (cached !== undefined) return cached;
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : '';
  if (path === '') throw new Error(`interop: \`${cmd}\` not found — install Debian package \`${debianPackage}\``);
  found.set(cmd, path);
  return path;
}

/** A free TCP port on 127.0.0.1 (listen on port 0, read it, close). Races are possible: callers retry on bind failure. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port'))));
    });
  });
}

/** Which output stream(s) a pattern is looked for in. */
export type StreamName = 'stdout' | 'stderr' | 'both';

export interface SpawnOptions {
  /** Resolve `spawnPeer` once this matches the output (default: resolve as soon as the process is spawned). */
  readonly readyPattern?: RegExp;
  /** Reject `spawnPeer` early (e.g. bind failure) if this matches. */
  readonly failPattern?: RegExp;
  /** Where readyPattern/failPattern are looked for (default 'both'). */
  readonly stream?: StreamName;
  /** Bound on the wait for readyPattern (default 15 s). */
  readonly timeoutMs?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Data written to stdin right after spawning; stdin stays open unless `closeStdin` is set. */
  readonly stdin?: string | Uint8Array;
  /** Close stdin right after spawning (and after writing `stdin`). */
  readonly closeStdin?: boolean;
  readonly cwd?: string;
  /** Name used in messages (default: the command). */
  readonly name?: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running peer process. */
export interface Peer {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The command line, for messages. */
  readonly commandLine: string;
  /** The readyPattern match, when there was one. */
  readonly ready: RegExpMatchArray | null;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  /** The last `n` lines of the interleaved output. */
  tail(n?: number): string;
  /** Wait (bounded) until `pattern` matches the accumulated output of `stream`; rejects if the peer exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: StreamName): Promise<RegExpMatchArray>;
  /** Wait (bounded) until `predicate()` holds (checked on every output chunk); rejects if the peer exits first. */
  waitUntil(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Wait (bounded) for the process to exit. */
  waitExit(timeoutMs?: number): Promise<ExitInfo>;
  write(data: string | Uint8Array): void;
  closeStdin(): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** The exit info once exited. */
  exitInfo(): ExitInfo | undefined;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Spawn a peer and wait (bounded) for its readiness line. On any failure the process is stopped before rejecting. */
export async function spawnPeer(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<Peer> {
  const name = opts.name ?? cmd;
  const commandLine = [cmd, ...args].map(quote).join(' ');
  const proc = spawn(cmd, args, {
    cwd: opts.cwd ?? projectRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let both = '';
  let exit: ExitInfo | undefined;
  let spawnError: Error | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  proc.stdout?.setEncoding('latin1');
  proc.stderr?.setEncoding('latin1');
  proc.stdout?.on('data', (d: string) => {
    out += d;
    both += d;
    notify();
  });
  proc.stderr?.on('data', (d: string) => {
    err += d;
    both += d;
    notify();
  });
  proc.stdin?.on('error', () => {
    /* EPIPE when the peer exits first: the exit is what matters */
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('error', (e) => {
      spawnError = e;
      exit = { code: null, signal: null };
      notify();
      resolve(exit);
    });
    proc.once('close', (code, signal) => {
      exit = { code, signal };
      notify();
      resolve(exit);
    });
  });

  const textOf = (s: StreamName): string => (s === 'stdout' ? out : s === 'stderr' ? err : both);
  const tail = (n = 30): string => {
    const lines = both.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const t = lines.slice(-n).join('\n');
    // Binary payloads have few newlines: keep failure messages readable.
    return t.length > 4000 ? `…${JSON.stringify(t.slice(-4000))}` : t;
  };

  const waitFor = (pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS, stream: StreamName = 'both') =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        const m = textOf(stream).match(pattern);
        if (m) {
          done();
          resolve(m);
        } else if (exit !== undefined) {
          done();
          reject(
            new Error(
              `${name}: exited (${spawnError?.message ?? `code ${exit.code}, signal ${exit.signal}`}) before ${pattern}` +
                `\n--- last lines of ${name} output ---\n${tail()}`,
            ),
          );
        }
      };
      const done = (): void => {
        listeners.delete(check);
        if (timer) clearTimeout(timer);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${pattern}\n--- last lines of ${name} output ---\n${tail()}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  const waitUntil = (what: string, predicate: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          done();
          resolve();
        } else if (exit !== undefined) {
          done();
          reject(new Error(`${name}: exited (code ${exit.code}, signal ${exit.signal}) before ${what}\n--- last lines of ${name} output ---\n${tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}\n--- last lines of ${name} output ---\n${tail()}`));
      }, timeoutMs);
      const done = (): void => {
        listeners.delete(check);
        clearTimeout(timer);
      };
      listeners.add(check);
      check();
    });

  const waitExit = (timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ExitInfo> =>
    new Promise<ExitInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: did not exit within ${timeoutMs} ms\n--- last lines of ${name} output ---\n${tail()}`)),
        timeoutMs,
      );
      void exited.then((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (exit !== undefined) return;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => {
        if (exit === undefined) proc.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };

  const peer: Peer = {
    name,
    proc,
    commandLine,
    ready: null,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    tail,
    waitFor,
    waitUntil,
    waitExit,
    write: (data) => {
      proc.stdin?.write(data);
    },
    closeStdin: () => {
      proc.stdin?.end();
    },
    stop,
    exited,
    exitInfo: () => exit,
  };

  if (opts.stdin !== undefined) peer.write(opts.stdin);
  if (opts.closeStdin === true) peer.closeStdin();

  if (opts.readyPattern === undefined && opts.failPattern === undefined) {
    if (spawnError) throw spawnError;
    return peer;
  }
  try {
    const stream = opts.stream ?? 'both';
    const waits: Promise<RegExpMatchArray>[] = [];
    if (opts.readyPattern) waits.push(waitFor(opts.readyPattern, opts.timeoutMs, stream));
    if (opts.failPattern) {
      const fp = opts.failPattern;
      waits.push(
        waitFor(fp, opts.timeoutMs, stream).then(
          (m) => {
            throw new PeerStartError(`${name}: failed to start (${m[0]})\n--- last lines of ${name} output ---\n${tail()}`);
          },
          () => new Promise<never>(() => undefined),
        ),
      );
    }
    const ready = await Promise.race(waits);
    return { ...peer, ready };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A peer failed its start-up in a way worth one retry (e.g. bind failure on a raced port). */
export class PeerStartError extends Error {}

/**
 * Run `fn` with a started peer; always stop the peer afterwards. If `fn` throws, the last 30 lines of the peer's
 * output are appended to the error's message (an AssertionError keeps its class and fields).
 */
export async function withPeer<P extends Peer, T>(start: P | Promise<P> | (() => Promise<P>), fn: (peer: P) => Promise<T>): Promise<T> {
  const peer = await (typeof start === 'function' ? start() : start);
  try {
    return await fn(peer);
  } catch (e) {
    throw annotate(e, [peer]);
  } finally {
    await peer.stop();
  }
}

/** Append the last lines of each peer's output to an error's message (mutates Error instances). */
export function annotate(e: unknown, peers: readonly Peer[], lines = 30): unknown {
  const already = e instanceof Error ? e.message : String(e);
  const extra = peers
    // A peer's own wait errors already carry its output.
    .filter((p) => !already.includes(`--- last lines of ${p.name} output ---`))
    .map((p) => `\n--- ${p.commandLine}\n--- last ${lines} lines of ${p.name} output (exit ${JSON.stringify(p.exitInfo() ?? 'running')}) ---\n${p.tail(lines)}`)
    .join('');
  if (extra === '') return e;
  if (e instanceof Error) {
    try {
      const head = `${e.name}: ${e.message}`;
      e.message += extra;
      // Reporters print the stack, which was captured with the old message: rewrite its head.
      if (typeof e.stack === 'string') {
        e.stack = e.stack.startsWith(head) ? `${e.name}: ${e.message}${e.stack.slice(head.length)}` : `${e.stack}${extra}`;
      }
    } catch {
      return new Error(String(e) + extra, { cause: e });
    }
    return e;
  }
  return new Error(String(e) + extra);
}

/** Run a command to completion (bounded), collecting its output. */
export async function runPeer(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions & { readonly input?: string | Uint8Array } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; output: string }> {
  const spawnOpts: SpawnOptions = { ...opts, closeStdin: true, ...(opts.input !== undefined ? { stdin: opts.input } : {}) };
  const p = await spawnPeer(cmd, args, spawnOpts);
  try {
    const e = await p.waitExit(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return { ...e, stdout: p.stdout(), stderr: p.stderr(), output: p.output() };
  } finally {
    await p.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The specific peers.

/** A peer that listens: its port on 127.0.0.1. */
export interface ServerPeer extends Peer {
  readonly port: number;
}

export interface OpensslServerOptions {
  readonly cert: string;
  readonly key: string;
  /** Extra chain file (intermediates). */
  readonly chain?: string;
  /** Extra s_server arguments (e.g. ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384', '-groups', 'P-384']). */
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * `openssl s_server -accept 127.0.0.1:0 …`: the port comes from its `ACCEPT 127.0.0.1:<port>` line on stdout
 * (no race). stdin stays open: write `k`/`K` lines for KeyUpdate, `Q` to quit.
 */
export async function opensslServer(opts: OpensslServerOptions): Promise<ServerPeer> {
  const bin = requirePeer('openssl', 'openssl');
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', opts.cert, '-key', opts.key];
  if (opts.chain) args.push('-cert_chain', opts.chain);
  args.push(...(opts.args ?? []));
  const p = await spawnPeer(bin, args, {
    name: 'openssl s_server',
    readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/,
    stream: 'stdout',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { ...p, port: Number(p.ready?.[1]) };
}

/**
 * `openssl s_client -connect 127.0.0.1:PORT …` (not waited for: use waitFor on its output). stdin stays open
 * (write data, `k`/`K` for KeyUpdate, `Q` to quit) unless `closeStdin` is given.
 */
export async function opensslClient(port: number, args: readonly string[] = [], opts: SpawnOptions = {}): Promise<Peer> {
  const bin = requirePeer('openssl', 'openssl');
  return spawnPeer(bin, ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { name: 'openssl s_client', ...opts });
}

export interface GnutlsServerOptions {
  readonly cert: string;
  readonly key: string;
  /** Extra gnutls-serv arguments (e.g. ['--echo', '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3']). */
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * `gnutls-serv -p PORT …`: gnutls-serv cannot report a kernel-chosen port, so pick a free one, wait for its
 * `listening … done` line on stderr, and retry once (new port) if the bind fails.
 */
export async function gnutlsServer(opts: GnutlsServerOptions): Promise<ServerPeer> {
  const bin = requirePeer('gnutls-serv', 'gnutls-bin');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['-p', String(port), '--x509certfile', opts.cert, '--x509keyfile', opts.key, ...(opts.args ?? [])];
    try {
      const p = await spawnPeer(bin, args, {
        name: 'gnutls-serv',
        readyPattern: /listening on IPv4 \S+ port \d+\.\.\.done/,
        failPattern: /bind\(\) failed/,
        stream: 'both',
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      return { ...p, port };
    } catch (e) {
      if (attempt === 0 && e instanceof PeerStartError) continue;
      throw e;
    }
  }
}

/** `gnutls-cli -p PORT 127.0.0.1 …` (not waited for). */
export async function gnutlsClient(port: number, args: readonly string[] = [], opts: SpawnOptions = {}): Promise<Peer> {
  const bin = requirePeer('gnutls-cli', 'gnutls-bin');
  return spawnPeer(bin, ['-p', String(port), ...args, '127.0.0.1'], { name: 'gnutls-cli', ...opts });
}

/** The Java single-file peer (test/interop/Peer.java) in the source tree. */
export const javaPeerSource: string = join(projectRoot, 'test', 'interop', 'Peer.java');

/**
 * `java test/interop/Peer.java server|client …` (JSSE; single-file source launch, Java 17). A server resolves once it
 * prints `READY <port>`, and has `port`; a client is returned as soon as it is spawned.
 */
export async function javaPeer(mode: 'server', args: readonly string[], opts?: SpawnOptions): Promise<ServerPeer>;
export async function javaPeer(mode: 'client', args: readonly string[], opts?: SpawnOptions): Promise<Peer>;
export async function javaPeer(mode: 'server' | 'client', args: readonly string[], opts: SpawnOptions = {}): Promise<Peer> {
  const bin = requirePeer('java', 'openjdk-17-jdk-headless');
  // -Xshare:auto and a small heap keep start-up time down on 2-core machines.
  const jvm = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss1m'];
  if (mode === 'server') {
    const p = await spawnPeer(bin, [...jvm, javaPeerSource, 'server', ...args], {
      name: 'java server',
      readyPattern: /READY (\d+)/,
      stream: 'stdout',
      timeoutMs: 30_000,
      ...opts,
    });
    const server: ServerPeer = { ...p, port: Number(p.ready?.[1]) };
    return server;
  }
  return spawnPeer(bin, [...jvm, javaPeerSource, 'client', ...args], { name: 'java client', ...opts });
}

/** Run curl to completion (bounded). */
export async function curl(args: readonly string[], opts: SpawnOptions = {}) {
  const bin = requirePeer('curl', 'curl');
  return runPeer(bin, ['--silent', '--show-error', '--max-time', '10', ...args], { name: 'curl', ...opts });
}
