/**
 * Starting Debian's daemons (PostgreSQL, slapd) for the protocol tests, in a fresh temporary directory each time.
 *
 * Tests run as root in CI, and PostgreSQL refuses to run as root: when we are root, the daemon runs as its Debian
 * system user (`postgres`, `openldap`) through `setpriv --reuid --regid --init-groups` (util-linux, which execs, so
 * the process we stop is the daemon itself), and its directory is chowned to that user. As any other user, the
 * daemon simply runs as us.
 *
 * PostgreSQL's server programs are not on PATH on Debian: they live in /usr/lib/postgresql/<major>/bin (package
 * `postgresql`, whose `pg_ctlcluster` wrapper is on PATH and is the name in scripts/peers.json). We take the highest
 * major version installed, or PATH when a build has them there.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, requirePeer, runPeer, spawnPeer, type ServerPeer, type SpawnOptions } from '../helpers/peers.js';

/** A system user to run a daemon as, or undefined when we are not root (then it runs as us). */
export interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export function serviceUser(name: string): ServiceUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`protocols: system user \`${name}\` not found (it comes with its Debian package)`);
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The command line that runs `cmd args` as `user` (setpriv when root). */
export function asUser(user: ServiceUser | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  if (user === undefined) return [cmd, [...args]];
  const setpriv = requirePeer('setpriv', 'util-linux');
  return [setpriv, ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--', cmd, ...args]];
}

/** A fresh temp directory owned by `user` (mode 0700). */
export function serviceDir(prefix: string, user: ServiceUser | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  return dir;
}

/** Copy a file into a daemon's directory, owned by its user, with `mode` (keys: 0600). */
export function installFile(from: string, to: string, user: ServiceUser | undefined, mode = 0o644): string {
  copyFileSync(from, to);
  if (user !== undefined) chownSync(to, user.uid, user.gid);
  chmodSync(to, mode);
  return to;
}

/** Write a file into a daemon's directory, owned by its user. */
export function writeServiceFile(path: string, text: string, user: ServiceUser | undefined, mode = 0o644): string {
  writeFileSync(path, text);
  if (user !== undefined) chownSync(path, user.uid, user.gid);
  chmodSync(path, mode);
  return path;
}

/** Path of a PostgreSQL server program (initdb, postgres). */
export function postgresProgram(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of majors) {
      const p = join(root, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  // Not the Debian layout: PATH, or the package the peer list names.
  try {
    return requirePeer(name, 'postgresql');
  } catch {
    requirePeer('pg_ctlcluster', 'postgresql');
    throw new Error(`protocols: PostgreSQL's \`${name}\` not found in /usr/lib/postgresql/*/bin — install Debian package \`postgresql\``);
  }
}

/** A started daemon and the directory it owns; `stop()` stops it and removes the directory. */
export interface Daemon extends ServerPeer {
  readonly dir: string;
  /** Stop the daemon (bounded) and remove its directory. */
  shutdown(): Promise<void>;
}

/**
 * Spawn a daemon that listens on a port we choose (`args(port)`), retrying with another port when the bind races
 * (`bindFailure` matches its output).
 */
export async function startOnFreePort(
  dir: string,
  user: ServiceUser | undefined,
  cmd: string,
  args: (port: number) => readonly string[],
  opts: SpawnOptions & { readonly bindFailure: RegExp; readonly stopSignal?: NodeJS.Signals },
): Promise<Daemon> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [c, a] = asUser(user, cmd, args(port));
    try {
      const p = await spawnPeer(c, a, { cwd: dir, ...opts, failPattern: opts.bindFailure });
      return {
        ...p,
        port,
        dir,
        shutdown: async () => {
          try {
            if (opts.stopSignal !== undefined && p.exitInfo() === undefined) {
              p.proc.kill(opts.stopSignal);
              await p.waitExit(10_000).catch(() => undefined);
            }
            await p.stop(5_000);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      last = e;
      if (!(e instanceof Error) || !opts.bindFailure.test(e.message)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw last;
}

/** Run a setup command as the daemon's user, to completion (bounded); throws with its output on failure. */
export async function runAs(user: ServiceUser | undefined, cmd: string, args: readonly string[], opts: SpawnOptions & { readonly input?: string } = {}): Promise<string> {
  const [c, a] = asUser(user, cmd, args);
  const r = await runPeer(c, a, { timeoutMs: 60_000, ...opts });
  if (r.code !== 0) throw new Error(`${[c, ...a].join(' ')} exited ${r.code}:\n${r.output}`);
  return r.output;
}

/**
 * Wait (bounded) until 127.0.0.1:`port` accepts a TCP connection. For daemons whose readiness line comes before
 * listen() (slapd prints "slapd starting" and then starts its listener thread).
 */
export async function waitForListening(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} not accepting connections after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
