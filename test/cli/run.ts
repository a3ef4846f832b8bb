/** Helpers for the CLI tests: run `node dist/src/cli/main.js …` as a peer, bounded and always stopped. */
import { join } from 'node:path';
import { projectRoot, spawnPeer, type Peer, type SpawnOptions } from '../helpers/peers.js';

/** The compiled CLI entry. */
export const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** A running `sspi-tls serve` and its port. */
export interface Serve extends Peer {
  readonly port: number;
}

/**
 * Start `sspi-tls serve --port 0 …` and wait for its listening line. One process (`--workers 1`) unless `args`
 * name --workers: the tests read one process's connection log.
 */
export async function startServe(args: readonly string[], opts: SpawnOptions = {}): Promise<Serve> {
  const workers = args.includes('--workers') ? [] : ['--workers', '1'];
  const p = await spawnPeer(process.execPath, [CLI, 'serve', '--port', '0', ...workers, ...args], {
    name: 'sspi-tls serve',
    readyPattern: /listening on [^\s]+:(\d+)|"event":"listening".*?"port":(\d+)/,
    stream: 'stdout',
    timeoutMs: 15_000,
    ...opts,
  });
  const port = Number(p.ready?.[1] ?? p.ready?.[2]);
  return { ...p, port };
}

/** Spawn the CLI with `args`. */
export function cli(args: readonly string[], opts: SpawnOptions = {}): Promise<Peer> {
  return spawnPeer(process.execPath, [CLI, ...args], { name: `sspi-tls ${args[0] ?? ''}`, ...opts });
}
