/**
 * What the TLS 1.3 interop tests share: our server/client options for a matrix case, the expected negotiation, and
 * a wrapper that stops peers and attaches their output and our key log to failures.
 */
import assert from 'node:assert/strict';
import { TlsClient, TlsServer, type ClientOptions, type ConnectionInfo, type ServerOptions } from '../../src/index.js';
import { annotate, type Peer } from '../helpers/peers.js';
import type { LeafFiles, Pki } from '../helpers/pki.js';
import type { Pump, PumpServer } from '../helpers/net.js';
import { GROUP_IDS, SUITE_IDS, type InteropCase } from './matrix.js';

export const MiB = 1 << 20;

/** ALPN lists: the client offers an unknown protocol and h2; the server supports h2 and http/1.1, so h2 is the one. */
export const CLIENT_ALPN = ['x-unknown', 'h2'] as const;
export const SERVER_ALPN = ['h2', 'http/1.1'] as const;

/** The server name a case's client sends (alt.test for SNI, else localhost). */
export function serverNameOf(c: InteropCase): string {
  return c.feature === 'sni' ? 'alt.test' : 'localhost';
}

export function leafOf(c: InteropCase, pki: Pki): LeafFiles {
  return pki.server[c.cert];
}

/** Our server, configured for the case; `keyLog` collects NSS key-log lines. */
export function ourServer(c: InteropCase, pki: Pki, keyLog: string[]): TlsServer {
  const leaf = leafOf(c, pki);
  const opts: ServerOptions = {
    certificates:
      c.feature === 'sni'
        ? [
            { cert: leaf.chainPem, key: leaf.keyPem },
            { cert: pki.alt.chainPem, key: pki.alt.keyPem },
          ]
        : [{ cert: leaf.chainPem, key: leaf.keyPem }],
    minVersion: 'TLSv1.3',
    keyLog: (line) => keyLog.push(line),
    ...(c.feature === 'suite' ? { cipherSuites: [SUITE_IDS[c.suite]] } : {}),
    // HRR: our server accepts only secp384r1, which no peer sends a key share for first.
    ...(c.feature === 'group' || c.feature === 'hrr' ? { groups: [GROUP_IDS[c.group]] } : {}),
    ...(c.feature === 'alpn' ? { ALPNProtocols: [...SERVER_ALPN] } : {}),
  };
  return new TlsServer(opts);
}

/** Our client, configured for the case. */
export function ourClient(c: InteropCase, pki: Pki, keyLog: string[]): TlsClient {
  const opts: ClientOptions = {
    ca: pki.ca.certPem,
    servername: serverNameOf(c),
    minVersion: 'TLSv1.3',
    keyLog: (line) => keyLog.push(line),
    ...(c.feature === 'suite' ? { cipherSuites: [SUITE_IDS[c.suite]] } : {}),
    ...(c.feature === 'group' ? { groups: [GROUP_IDS[c.group]], keyShareGroups: [GROUP_IDS[c.group]] } : {}),
    // HRR: we send an x25519 share only; the peer server accepts only secp384r1.
    ...(c.feature === 'hrr'
      ? { groups: [GROUP_IDS.x25519, GROUP_IDS.secp384r1], keyShareGroups: [GROUP_IDS.x25519] }
      : {}),
    ...(c.feature === 'alpn' ? { ALPNProtocols: [...CLIENT_ALPN] } : {}),
  };
  return new TlsClient(opts);
}

/** Check our side's ConnectionInfo against the case. */
export function assertOurInfo(c: InteropCase, info: ConnectionInfo, pki: Pki): void {
  assert.equal(info.version, 'TLSv1.3');
  if (c.feature === 'suite') assert.equal(info.cipherName, c.suite);
  if (c.feature === 'group' || c.feature === 'hrr') assert.equal(info.groupName, c.group);
  assert.equal(info.helloRetry, c.feature === 'hrr', 'helloRetry');
  if (c.feature === 'alpn') assert.equal(info.alpnProtocol, 'h2');
  else assert.equal(info.alpnProtocol, null);
  if (c.ours === 'server') assert.equal(info.serverName, serverNameOf(c));
  if (c.ours === 'client') {
    const leaf = c.feature === 'sni' ? pki.alt : leafOf(c, pki);
    assert.ok(info.peerCertificates.length >= 1, 'peer certificates');
    assert.deepEqual(info.peerCertificates[0], leaf.certDer, `server certificate should be ${leaf.name}`);
  }
}

/** Everything a case started, so that it can be stopped and reported on. */
export class CaseContext {
  readonly peers: Peer[] = [];
  readonly pumps: Pump[] = [];
  readonly servers: PumpServer[] = [];
  readonly keyLog: string[] = [];
  readonly cleanups: (() => void | Promise<void>)[] = [];

  add<P extends Peer>(p: P): P {
    this.peers.push(p);
    return p;
  }
}

/**
 * Run one case: whatever it starts is stopped in `finally`; on failure the error gets the peers' last 30 output
 * lines, what our pumps saw, and the path of our NSS key log (DESIGN.md C.12 items 5 and 7).
 */
export async function runCase(fn: (ctx: CaseContext) => Promise<void>): Promise<void> {
  const ctx = new CaseContext();
  try {
    await fn(ctx);
  } catch (e) {
    let err = annotate(e, ctx.peers);
    const pumps = [...ctx.pumps, ...ctx.servers.flatMap((s) => s.pumps)];
    const notes: string[] = [];
    for (const p of pumps) {
      notes.push(
        `our ${p.conn.engine.side}: state ${p.conn.engine.stateName}, received ${p.receivedBytes} bytes, ` +
          `keyUpdates ${JSON.stringify(p.keyUpdates)}, peerClosed ${p.peerClosed}, error ${p.error === undefined ? 'none' : String(p.error)}`,
      );
    }
    if (ctx.keyLog.length > 0 && pumps[0]) {
      const path = pumps[0].writeKeyLog();
      if (path !== undefined) notes.push(`NSS key log: ${path}`);
    }
    if (notes.length > 0 && err instanceof Error) {
      const head = `${err.name}: ${err.message}`;
      err.message += `\n--- ours ---\n${notes.join('\n')}`;
      if (typeof err.stack === 'string' && err.stack.startsWith(head)) {
        err.stack = `${err.name}: ${err.message}${err.stack.slice(head.length)}`;
      }
    } else if (notes.length > 0) {
      err = new Error(`${String(err)}\n${notes.join('\n')}`);
    }
    throw err;
  } finally {
    for (const p of ctx.peers) await p.stop();
    for (const p of ctx.pumps) p.destroy();
    for (const s of ctx.servers) await s.close();
    for (const c of ctx.cleanups) await c();
  }
}

/** Latin-1 view of bytes (peer stdout is collected as latin1, so byte-exact comparisons work on strings). */
export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Find `length` bytes of payload starting with `head` in a latin1 output stream; undefined until all arrived. */
export function sliceFrom(output: string, head: Uint8Array, length: number): Uint8Array | undefined {
  const i = output.indexOf(latin1(head));
  if (i < 0 || output.length - i < length) return undefined;
  return new Uint8Array(Buffer.from(output.slice(i, i + length), 'latin1'));
}

/**
 * Our server with a command-line client peer (s_client, gnutls-cli) reading stdin: the KeyUpdate case of `c`, if it
 * is one. `peerCommand` is the stdin line that makes the peer send a KeyUpdate with update_requested; data must
 * flow both ways afterwards, and our own update_requested must be answered.
 */
export async function keyUpdateWithCliPeer(c: InteropCase, pump: Pump, cl: Peer, peerCommand: string, peerName: string): Promise<void> {
  const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
  if (c.feature === 'keyupdate-peer') {
    cl.write(peerCommand);
    await pump.until(`KeyUpdate from ${peerName}`, () => pump.keyUpdates.length > 0);
    assert.equal(pump.keyUpdates[0], true, 'update_requested');
    cl.write('after-update\n');
    await pump.text(/after-update\n/);
    pump.write(enc('reply-after-update\n'));
    await cl.waitFor(/reply-after-update/);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(enc('after-our-update\n'));
    await cl.waitFor(/after-our-update/);
    cl.write('reply\n');
    await pump.text(/reply\n/);
    assert.ok(pump.keyUpdates.length >= 1, `${peerName} answered our update_requested with its own KeyUpdate`);
  }
}
