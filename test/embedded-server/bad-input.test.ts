/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { Socket } from 'node:net';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import { startServer, type EmbeddedServer } from '../server/index.ts';
import { connectClient, eventually } from './client.ts';

// Raw-socket abuse of the embedded server: each bad connection is closed
// with one log line while a real client keeps being served. Skipped against
// a real server.

let server: EmbeddedServer;
/** Compression is an Enterprise Edition feature: its own server. */
let enterprise: EmbeddedServer;
let client: any;
const lines: string[] = [];
const set = uniqueName('bad');

beforeAll(async () => {
  if (!onEmbedded) return;
  server = await startServer({ log: line => lines.push(line) });
  enterprise = await startServer({
    log: line => lines.push(line),
    config: { edition: 'enterprise' },
  });
  client = await connectClient(server.hosts);
  await client.put(new Aerospike.Key('test', set, 'alive'), { ok: 1 });
});

beforeEach(() => {
  lines.length = 0;
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await enterprise?.close();
});

function header(version: number, type: number, size: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = version;
  h[1] = type;
  h.writeUIntBE(size, 2, 6);
  return h;
}

/** Sends bytes on a fresh socket; resolves with what came back at close. */
function sendRaw(
  bytes: Buffer,
  opts: { endAfterMs?: number; port?: number } = {}
): Promise<{ closedByServer: boolean; received: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    sock.on('data', c => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByServer: !ended, received: Buffer.concat(chunks) });
    });
    let ended = false;
    sock.connect(opts.port ?? server.port, '127.0.0.1', () => {
      sock.write(bytes);
      timer = setTimeout(() => {
        ended = true;
        sock.destroy();
      }, opts.endAfterMs ?? 2000);
    });
    sock.on('error', reject);
  });
}

/** The real client still works while and after the abuse. */
async function clientStillServes(): Promise<void> {
  const rec = await client.get(new Aerospike.Key('test', set, 'alive'));
  expect(rec.bins).toEqual({ ok: 1 });
}

describe.skipIf(!onEmbedded)('bad frames (raw sockets)', () => {
  it('an unknown proto version closes the connection with one log line', async () => {
    const [res] = await Promise.all([
      sendRaw(Buffer.concat([header(9, 3, 4), Buffer.alloc(4)])),
      clientStillServes(),
    ]);
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/proto version 9/);
    await clientStillServes();
  });

  it('an unknown frame type closes the connection', async () => {
    const res = await sendRaw(Buffer.concat([header(2, 7, 0)]));
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toEqual([expect.stringMatching(/proto type 7/)]);
    await clientStillServes();
  });

  it('a declared length over 128 MiB closes the connection at once', async () => {
    const res = await sendRaw(header(2, 3, 128 * 1024 * 1024 + 1));
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toEqual([expect.stringMatching(/exceeds/)]);
    await clientStillServes();
  });

  it('a message whose fields overrun the frame closes the connection', async () => {
    const body = Buffer.alloc(22 + 5);
    body[0] = 22;
    body.writeUInt16BE(1, 18); // one field...
    body.writeUInt32BE(1000, 22); // ...claiming 1000 bytes
    const res = await sendRaw(Buffer.concat([header(2, 3, body.length), body]));
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toEqual([expect.stringMatching(/overruns/)]);
    await clientStillServes();
  });

  it('a message shorter than its header closes the connection', async () => {
    const res = await sendRaw(
      Buffer.concat([header(2, 3, 5), Buffer.alloc(5)])
    );
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toHaveLength(1);
    await clientStillServes();
  });

  it('a broken zlib payload closes the connection (enterprise edition)', async () => {
    const body = Buffer.concat([Buffer.alloc(8), Buffer.from('not zlib')]);
    body.writeBigUInt64BE(100n, 0);
    const res = await sendRaw(
      Buffer.concat([header(2, 4, body.length), body]),
      {
        port: enterprise.port,
      }
    );
    expect(res.closedByServer).toBe(true);
    await eventually(() => lines.length > 0);
    expect(lines).toEqual([expect.stringMatching(/zlib/)]);
  });

  it('a frame cut short just waits: no reply, no log, no crash', async () => {
    const res = await sendRaw(
      Buffer.concat([header(2, 1, 100), Buffer.from('node')]),
      { endAfterMs: 200 }
    );
    expect(res.closedByServer).toBe(false);
    expect(res.received).toHaveLength(0);
    expect(lines).toEqual([]);
    await clientStillServes();
  });

  it('garbage from many sockets at once never stops the server', async () => {
    const garbage = Array.from({ length: 20 }, (_, i) =>
      sendRaw(Buffer.from(`GET / HTTP/1.1 ${i}\r\n\r\n`))
    );
    const gets = Array.from({ length: 50 }, () => clientStillServes());
    const results = await Promise.all(garbage);
    await Promise.all(gets);
    expect(results.every(r => r.closedByServer)).toBe(true);
    await eventually(() => lines.length === 20);
  });
});

describe.skipIf(!onEmbedded)('raw frames (raw sockets)', () => {
  it('answers an info request', async () => {
    const body = Buffer.from('namespaces\nbuild\n');
    const res = await sendRaw(
      Buffer.concat([header(2, 1, body.length), body]),
      { endAfterMs: 200 }
    );
    const text = res.received.subarray(8).toString();
    expect(res.received[1]).toBe(1);
    expect(text).toContain('namespaces\ttest;bar\n');
    expect(text).toMatch(/build\t\d+\.\d+\.\d+\.\d+\n/);
  });

  /** A compressed read of a missing digest: namespace + digest fields. */
  function compressedRead(): Buffer {
    const ns = Buffer.from('test');
    const digest = Buffer.alloc(20, 7);
    const msg = Buffer.alloc(22 + 5 + ns.length + 5 + 20);
    msg[0] = 22;
    msg[1] = 0x03; // READ | GET_ALL
    msg.writeUInt16BE(2, 18);
    let off = 22;
    msg.writeUInt32BE(ns.length + 1, off);
    msg[off + 4] = 0;
    ns.copy(msg, off + 5);
    off += 5 + ns.length;
    msg.writeUInt32BE(21, off);
    msg[off + 4] = 4;
    digest.copy(msg, off + 5);
    const inner = Buffer.concat([header(2, 3, msg.length), msg]);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(inner.length));
    const body = Buffer.concat([size, deflateSync(inner)]);
    return Buffer.concat([header(2, 4, body.length), body]);
  }

  it('answers a compressed (type 4) message (enterprise edition)', async () => {
    const res = await sendRaw(compressedRead(), {
      endAfterMs: 200,
      port: enterprise.port,
    });
    expect(res.received[1]).toBe(3);
    expect(res.received[8 + 5]).toBe(2); // result code: not found
  });

  it('a community edition node refuses a compressed message with code 25', async () => {
    const res = await sendRaw(compressedRead(), { endAfterMs: 200 });
    expect(res.closedByServer).toBe(false);
    expect(res.received[1]).toBe(3);
    expect(res.received[8 + 5]).toBe(25);
    expect(lines).toEqual([expect.stringMatching(/enterprise only/)]);
  });

  it('an unsupported field answers an Aerospike error code', async () => {
    // A read carrying a filter expression field (43).
    const ns = Buffer.from('test');
    const fields = [
      [0, ns],
      [4, Buffer.alloc(20, 1)],
      [43, Buffer.from([0x93, 1, 2, 3])],
    ] as const;
    const parts: Buffer[] = [];
    for (const [type, data] of fields) {
      const f = Buffer.alloc(5);
      f.writeUInt32BE(data.length + 1);
      f[4] = type;
      parts.push(f, data);
    }
    const head = Buffer.alloc(22);
    head[0] = 22;
    head[1] = 0x03;
    head.writeUInt16BE(fields.length, 18);
    const msg = Buffer.concat([head, ...parts]);
    const res = await sendRaw(Buffer.concat([header(2, 3, msg.length), msg]), {
      endAfterMs: 200,
    });
    expect(res.closedByServer).toBe(false);
    expect(res.received[8 + 5]).toBe(16);
  });
});
