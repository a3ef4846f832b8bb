/**
 * DTLS 1.3 over real UDP on 127.0.0.1, through the impairment proxy (test/helpers/udp-proxy.ts): loss, duplication
 * and reordering during the handshake; then 1 MiB each way by hash with duplication and reordering (DTLS does not
 * retransmit application data, so loss is left to the virtual-network test with its own retransmission). The
 * sockets and timers are driven here: the connection owns neither (nextTimeout / handleTimeout).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { Dtls13Connection } from '../../src/dtls/v13/connection.js';
import { Dtls13Listener } from '../../src/dtls/v13/listener.js';
import { prepareClientConfig, prepareServerConfig } from '../../src/engine/config.js';
import { pattern, sha256Hex } from '../helpers/net.js';
import { NO_IMPAIRMENT, UdpProxy } from '../helpers/udp-proxy.js';
import { within } from '../dtls/io.js';
import { clientOptions, serverOptions } from './network.js';

/** Runs a connection's output and timer on a socket; `onData` gets each application record. */
class Driver {
  #timer: NodeJS.Timeout | undefined;
  readonly conn: Dtls13Connection;
  readonly send: (d: Uint8Array) => void;
  readonly onData: (d: Uint8Array) => void;
  constructor(conn: Dtls13Connection, send: (d: Uint8Array) => void, onData: (d: Uint8Array) => void) {
    this.conn = conn;
    this.send = send;
    this.onData = onData;
  }
  pump(): void {
    for (const d of this.conn.takeDatagrams()) this.send(d);
    for (const d of this.conn.takeApplicationData()) this.onData(d);
    clearTimeout(this.#timer);
    const at = this.conn.nextTimeout();
    if (at !== null) {
      this.#timer = setTimeout(() => {
        this.conn.handleTimeout();
        this.pump();
      }, Math.max(0, at - Date.now()));
    }
  }
  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** Chunks with a 4-byte index, so duplicated and reordered records still assemble to the data. */
function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, off = 0; off < data.length; i++, off += size) {
    const body = data.subarray(off, Math.min(data.length, off + size));
    const c = new Uint8Array(4 + body.length);
    new DataView(c.buffer).setUint32(0, i);
    c.set(body, 4);
    out.push(c);
  }
  return out;
}

function assembler(total: number): { add: (d: Uint8Array) => void; done: Promise<Uint8Array> } {
  const got = new Map<number, Uint8Array>();
  let resolve: (b: Uint8Array) => void = () => undefined;
  const done = new Promise<Uint8Array>((r) => (resolve = r));
  return {
    add(d) {
      got.set(new DataView(d.buffer, d.byteOffset).getUint32(0), d.subarray(4));
      if (got.size === total) resolve(Buffer.concat(Array.from({ length: total }, (_, i) => got.get(i) as Uint8Array)));
    },
    done,
  };
}

test('DTLS 1.3 over UDP through the impairment proxy: handshake under 20% loss, duplication and reordering; 1 MiB each way by hash', async () => {
  const serverSocket: Socket = createSocket('udp4');
  const clientSocket: Socket = createSocket('udp4');
  let proxy: UdpProxy | undefined;
  const drivers: Driver[] = [];
  try {
    const dtls = { initialTimeoutMs: 100, mtu: 1200 };
    const listener = new Dtls13Listener(prepareServerConfig(serverOptions()), dtls);
    const conns = new Map<string, Driver>();
    let serverConn: ((d: Driver) => void) | undefined;
    const accepted = new Promise<Driver>((r) => (serverConn = r));
    let onServerData: (d: Uint8Array) => void = () => undefined;
    serverSocket.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      const reply = (d: Uint8Array): void => serverSocket.send(d, rinfo.port, rinfo.address);
      const existing = conns.get(key);
      if (existing !== undefined) {
        existing.conn.receive(new Uint8Array(msg));
        existing.pump();
        return;
      }
      const r = listener.accept(new Uint8Array(msg), key);
      for (const d of r.reply) reply(d);
      if (r.connection !== undefined) {
        const d = new Driver(r.connection, reply, (x) => onServerData(x));
        conns.set(key, d);
        drivers.push(d);
        d.pump();
        serverConn?.(d);
      }
    });
    await new Promise<void>((r) => serverSocket.bind(0, '127.0.0.1', r));
    proxy = await UdpProxy.start({ host: '127.0.0.1', port: serverSocket.address().port }, { loss: 0.2, duplicate: 0.2, reorder: 0.2 }, 13);
    await new Promise<void>((r) => clientSocket.connect(proxy?.port ?? 0, '127.0.0.1', r));
    let onClientData: (d: Uint8Array) => void = () => undefined;
    const client = new Driver(Dtls13Connection.client(prepareClientConfig(clientOptions()), dtls), (d) => clientSocket.send(d), (x) => onClientData(x));
    drivers.push(client);
    clientSocket.on('message', (msg) => {
      client.conn.receive(new Uint8Array(msg));
      client.pump();
    });
    client.pump();
    const server = await within(60_000, 'server connection', accepted);
    await within(60_000, 'both established', new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        const failed = client.conn.failed ?? server.conn.failed;
        if (failed !== undefined) {
          clearInterval(check);
          reject(failed);
        } else if (client.conn.isEstablished && server.conn.isEstablished) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    }));
    const impaired = { ...proxy.stats };
    assert.ok(impaired.dropped + impaired.duplicated + impaired.reordered > 0, 'the handshake was impaired');
    assert.equal(client.conn.info?.group, server.conn.info?.group);
    // Bulk: duplication and reordering only (DTLS does not retransmit application data).
    proxy.impairment = { ...NO_IMPAIRMENT, duplicate: 0.2, reorder: 0.2 };
    const up = pattern(1 << 20, 1);
    const down = pattern(1 << 20, 2);
    const size = client.conn.maxPayload - 4;
    const upChunks = chunks(up, size);
    const downChunks = chunks(down, size);
    const atServer = assembler(upChunks.length);
    const atClient = assembler(downChunks.length);
    onServerData = atServer.add;
    onClientData = atClient.add;
    for (let i = 0; i < Math.max(upChunks.length, downChunks.length); i++) {
      const u = upChunks[i];
      const d = downChunks[i];
      if (u !== undefined) client.conn.send(u);
      if (d !== undefined) server.conn.send(d);
      client.pump();
      server.pump();
      // UDP has no flow control: pace the sends a little.
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(sha256Hex(await within(60_000, 'upload', atServer.done)), sha256Hex(up));
    assert.equal(sha256Hex(await within(60_000, 'download', atClient.done)), sha256Hex(down));
  } finally {
    for (const d of drivers) d.stop();
    await proxy?.close();
    clientSocket.close();
    serverSocket.close();
  }
});
