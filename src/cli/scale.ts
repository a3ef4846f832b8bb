/**
 * `sspi-tls serve` across cores and servers: `--workers N` (node:cluster: one primary that only supervises, N
 * workers that each run the whole server on the shared listening socket), `--ticket-secret-file F` (ticket keys
 * derived from a shared secret and the clock, so every worker and every server with the file accepts the others'
 * tickets), `--session-store redis://HOST:PORT` (TLS 1.2 session IDs and single-use tickets in Redis) and
 * `--single-use-tickets`, `--session-timeout S`.
 *
 * Without a secret file, the primary draws a random secret and hands it to its workers over the cluster's IPC
 * channel (never the environment or the command line), so the workers of one `serve` share tickets.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import type { CryptoProvider } from '../crypto/provider.js';
import { hex, fromHex } from '../codec/bytes.js';
import { RedisSessionStore } from '../session/redis-store.js';
import { SessionResumer } from '../session/resumer.js';
import { parseTicketSecret, RotatingTicketKeys } from '../session/ticket-keys.js';
import type { TicketKeyStore } from '../vocabulary/config.js';
import { str, flag, UsageError, type OptionSpec, type Parsed } from './args.js';
import type { Printer } from './output.js';
import type { SelfSigned } from './selfsigned.js';

/** serve's scale-out options (merged into SERVE_SPEC). */
export const SCALE_SPEC: Readonly<Record<string, OptionSpec>> = {
  workers: { type: 'string' },
  'session-store': { type: 'string' },
  'ticket-secret-file': { type: 'string' },
  'ticket-period': { type: 'string' },
  'single-use-tickets': { type: 'boolean' },
  'session-timeout': { type: 'string' },
};

/**
 * The IPC message the primary sends each worker: the ticket secret (hex) when there is no secret file, and the
 * throwaway self-signed credentials when there is no --cert (one certificate for all workers).
 */
export interface PrimaryMessage {
  readonly type: 'sspi-tls-worker-setup';
  readonly secret?: string;
  readonly selfSigned?: SelfSignedStrings;
}

function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'sspi-tls-worker-setup';
}

/** Bound on the wait for the session store's connection at start. */
const STORE_WAIT_MS = 2000;

/** Bound on a worker's wait for its setup message. */
const SECRET_WAIT_MS = 10_000;

/** `--workers`: a count, or 'auto' (the number of CPUs, the default). */
export function workerCount(a: Parsed): number {
  const w = str(a, 'workers') ?? 'auto';
  if (w === 'auto') return availableParallelism();
  const n = Number(w);
  if (!/^\d+$/.test(w) || n < 1 || n > 256) throw new UsageError(`serve: --workers takes a count from 1 to 256 or 'auto', not '${w}'`);
  return n;
}

function positiveSeconds(a: Parsed, name: string): number | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`serve: --${name} takes a whole number of seconds ≥ 1, not '${v}'`);
  return Number(v);
}

/** Whether this process is a worker of `serve --workers` (then it serves; the primary only supervises). */
export function isServeWorker(): boolean {
  return cluster.isWorker;
}

/** What the scale-out options add to the server options, and what to close on shutdown. */
export interface ScaleSetup {
  readonly ticketKeySource: TicketKeyStore | undefined;
  readonly sessionResumer: SessionResumer | undefined;
  readonly singleUseTickets: boolean;
  readonly sessionTimeout: number | undefined;
  close(): Promise<void>;
}

/**
 * Read the scale-out options; `fromPrimary`: a worker's setup message. `connect: false` (the primary of --workers,
 * which only checks the options) makes no session-store client.
 */
export async function scaleSetup(a: Parsed, provider: CryptoProvider, p: Printer, fromPrimary?: PrimaryMessage, opts: { readonly connect: boolean } = { connect: true }): Promise<ScaleSetup> {
  const period = positiveSeconds(a, 'ticket-period');
  const sessionTimeout = positiveSeconds(a, 'session-timeout');
  const secretFile = str(a, 'ticket-secret-file');
  let secret: Uint8Array | undefined;
  if (secretFile !== undefined) {
    let contents: Uint8Array;
    try {
      contents = readFileSync(secretFile);
    } catch (err) {
      throw new UsageError(`serve: cannot read --ticket-secret-file '${secretFile}': ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
    try {
      secret = parseTicketSecret(contents);
      contents.fill(0);
    } catch (err) {
      throw new UsageError(`serve: --ticket-secret-file '${secretFile}': ${(err as Error).message}`);
    }
  } else if (fromPrimary?.secret !== undefined) {
    secret = fromHex(fromPrimary.secret);
  }
  const periodSeconds = period ?? Math.max(sessionTimeout ?? 7200, 1);
  const ticketKeySource = secret === undefined ? undefined : new RotatingTicketKeys(provider, secret, { periodSeconds });
  secret?.fill(0);
  const url = str(a, 'session-store');
  let store: RedisSessionStore | undefined;
  if (url !== undefined) {
    if (!/^rediss?:\/\//.test(url)) throw new UsageError(`serve: --session-store takes redis://HOST:PORT, not '${url}'`);
    if (ticketKeySource === undefined) throw new UsageError('serve: --session-store needs --ticket-secret-file (stored sessions are sealed under the shared ticket keys)');
    // Connection errors reach the resumer through failed calls, which it logs once per outage.
    if (opts.connect) store = new RedisSessionStore({ url });
  }
  const log = (line: string): void => p.line(line, { event: 'session-store', message: line });
  // Start with the store connected if it comes up soon; without it, handshakes are full until it does.
  if (store !== undefined && !(await store.connected(STORE_WAIT_MS))) log(`session store: not connected within ${STORE_WAIT_MS} ms; full handshakes until it is`);
  return {
    ticketKeySource,
    sessionResumer: store === undefined ? undefined : new SessionResumer(store, { log }),
    singleUseTickets: flag(a, 'single-use-tickets'),
    sessionTimeout,
    close: async () => {
      await store?.close();
    },
  };
}

/** Self-signed credentials as strings (the IPC channel carries JSON). */
export type SelfSignedStrings = Pick<SelfSigned, 'certPem' | 'keyPem' | 'fingerprint256'>;

/** A worker: the primary's setup message (bounded wait). */
export function messageFromPrimary(): Promise<PrimaryMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new UsageError('serve: the primary sent no worker setup'));
    }, SECRET_WAIT_MS);
    const onMessage = (m: unknown): void => {
      if (!isPrimaryMessage(m)) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(m);
    };
    process.on('message', onMessage);
    process.send?.({ type: 'sspi-tls-worker-ready' });
  });
}

/**
 * The primary of `serve --workers N`: fork the workers (each runs `serve` with the same arguments), give them the
 * ticket secret and the throwaway certificate (`selfSigned`, when there is no --cert/--pfx), replace a worker that
 * dies, and on SIGINT/SIGTERM pass the signal on and wait for them. Resolves with the exit code: 0, or 2 when the
 * workers fail at start (e.g. the port is taken: each worker has said why on stderr).
 */
export async function runPrimary(n: number, a: Parsed, provider: CryptoProvider, p: Printer, selfSigned?: SelfSignedStrings): Promise<number> {
  const setup: PrimaryMessage = {
    type: 'sspi-tls-worker-setup',
    ...(str(a, 'ticket-secret-file') === undefined ? { secret: hex(provider.randomBytes(32)) } : {}),
    ...(selfSigned !== undefined ? { selfSigned } : {}),
  };
  let exitCode = 0;
  let stopping = false;
  const live = new Set<Worker>();
  const fork = (): void => {
    const w = cluster.fork();
    live.add(w);
    // The worker asks once its listener is in place (a message sent earlier could arrive before it and be lost).
    w.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'sspi-tls-worker-ready') w.send(setup);
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      // A worker that exits with a usage error (the port is taken, say) would otherwise be restarted forever.
      if (code === 2) {
        exitCode = 2;
        p.line(`worker ${w.process.pid ?? '?'} failed at start: stopping`, { event: 'worker-start-failed', pid: w.process.pid ?? null });
        stop('SIGTERM');
        return;
      }
      p.line(`worker ${w.process.pid ?? '?'} exited (${signal ?? code}); starting another`, { event: 'worker-exit', pid: w.process.pid ?? null, code, signal });
      fork();
    });
  };
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    p.line(`${signal}: stopping ${live.size} worker(s)`, { event: 'shutdown', signal, workers: live.size });
    if (live.size === 0) resolveStopped();
    const kill = setTimeout(() => {
      for (const w of live) w.process.kill('SIGKILL');
    }, 5000);
    for (const w of live) {
      w.once('exit', () => {
        if (live.size === 0) {
          clearTimeout(kill);
          resolveStopped();
        }
      });
      w.process.kill(signal);
    }
  };
  const onInt = (): void => stop('SIGINT');
  const onTerm = (): void => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  p.line(`primary ${process.pid}: starting ${n} worker(s)`, { event: 'workers', pid: process.pid, workers: n });
  for (let i = 0; i < n; i++) fork();
  await stopped;
  p.line('stopped', { event: 'stopped' });
  return exitCode;
}
