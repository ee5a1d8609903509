/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { startServer } from '../test/server/index.ts';

// `npm run fuzz:server [-- --seconds N --sockets S --seed X]`: starts the
// embedded server (worker thread) and, for N seconds, throws random and
// mutated frames at it over S raw sockets, while a well-behaved real client
// keeps doing put/get and checking what it reads back. Valid frames are
// first captured from the real client through a recording proxy. Prints
// frames sent, connections, client ops OK/failed and the server's state;
// exits 1 if the server stopped serving. Traffic goes to 127.0.0.1 only.

const require = createRequire(import.meta.url);
const Aerospike = require('aerospike');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const SECONDS = arg('seconds', 10);
const SOCKETS = arg('sockets', 24);
const CLIENT_LOOPS = arg('client-loops', 4);
let seed = arg('seed', Date.now() % 2 ** 31) >>> 0;
const HOST = '127.0.0.1';

/** mulberry32: reproducible with --seed. */
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)];

function header(version: number, type: number, size: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = version;
  h[1] = type;
  h.writeUIntBE(Math.min(size, 2 ** 48 - 1), 2, 6);
  return h;
}

/** Splits a byte stream into whole proto frames (for the capture). */
function splitFrames(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let off = 0;
  while (stream.length - off >= 8) {
    const size = stream.readUIntBE(off + 2, 6);
    if (stream.length - off < 8 + size) break;
    frames.push(stream.subarray(off, off + 8 + size));
    off += 8 + size;
  }
  return frames;
}

const PROXY_SOURCE = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const streams = [];
const server = net.createServer(inbound => {
  const chunks = [];
  streams.push(chunks);
  const outbound = net.connect(workerData.serverPort, workerData.host);
  inbound.on('data', c => { chunks.push(c); outbound.write(c); });
  outbound.on('data', c => inbound.write(c));
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
  inbound.on('close', () => outbound.destroy());
  outbound.on('close', () => inbound.destroy());
});
server.listen(0, workerData.host, () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => parentPort.postMessage(streams));
`;

/**
 * Runs a workload of the real client through a recording proxy and returns
 * the distinct client-to-server frames it sent (info and messages).
 */
async function captureFrames(serverPort: number): Promise<Buffer[]> {
  // The proxy runs in a worker: the native client's connect() blocks this
  // thread while it seeds the cluster through the proxy.
  const proxy = new Worker(PROXY_SOURCE, {
    eval: true,
    workerData: { serverPort, host: HOST },
  });
  const port = await new Promise<number>((resolve, reject) => {
    proxy.once('message', m => resolve(m as number));
    proxy.once('error', reject);
  });
  const client = await Aerospike.connect({
    hosts: `${HOST}:${port}`,
    log: { level: -1 },
  });
  const ops = Aerospike.operations;
  const key = (i: number | string) => new Aerospike.Key('test', 'fuzz_cap', i);
  for (let i = 0; i < 5; i++) {
    await client.put(key(i), { i, s: `str${i}`, l: [1, 'a'], m: { k: i } });
  }
  await client.put(key('bytes'), { b: Buffer.from([1, 2, 3]), d: 1.5 });
  await client.get(key(1));
  await client.select(key(1), ['s']);
  await client.exists(key(2));
  await client.operate(key(3), [
    ops.incr('i', 1),
    ops.read('i'),
    Aerospike.lists.append('l', 'x'),
    Aerospike.maps.put('m', 'z', 1),
  ]);
  await client.remove(key(4));
  await client.batchGet([key(0), key(1), key(99)]);
  await client.batchRead([{ key: key(0), bins: ['s'] }]);
  await client.batchWrite([
    {
      type: Aerospike.batchType.BATCH_WRITE,
      key: key(5),
      ops: [ops.write('w', 1)],
    },
  ]);
  await client.scan('test', 'fuzz_cap').results();
  await client.infoAny('namespaces');
  await client.truncate('test', 'fuzz_none', 0).catch(() => {});
  await client.close();
  const streams = await new Promise<Buffer[][]>(resolve => {
    proxy.once('message', m =>
      resolve((m as Uint8Array[][]).map(c => c.map(x => Buffer.from(x))))
    );
    proxy.postMessage('dump');
  });
  await proxy.terminate();
  const seen = new Set<string>();
  const frames: Buffer[] = [];
  for (const chunks of streams) {
    for (const f of splitFrames(Buffer.concat(chunks))) {
      const hex = f.toString('hex');
      if (seen.has(hex)) continue;
      seen.add(hex);
      frames.push(f);
    }
  }
  return frames;
}

type Mutator = (frames: Buffer[]) => Buffer | Buffer[];

/** Each mutator returns what to write: one buffer or pieces to trickle. */
const MUTATORS: Record<string, Mutator> = {
  'random bytes': () => randomBytes(int(600)),
  'valid frame': f => pick(f),
  'bit flips': f => {
    const b = Buffer.from(pick(f));
    for (let i = 1 + int(6); i > 0; i--) b[int(b.length)] ^= 1 << int(8);
    return b;
  },
  'body bytes randomised': f => {
    const b = Buffer.from(pick(f));
    for (let i = 8 + int(b.length - 8); i < b.length; i += 1 + int(4)) {
      b[i] = int(256);
    }
    return b;
  },
  truncated: f => {
    const b = pick(f);
    return b.subarray(0, int(b.length));
  },
  'declared length too large': f => {
    const b = Buffer.from(pick(f));
    b.writeUIntBE(
      pick([2 ** 48 - 1, 2 ** 27 + 1, 2 ** 31, b.length * 4]),
      2,
      6
    );
    return b;
  },
  'declared length too small': f => {
    const b = Buffer.from(pick(f));
    b.writeUIntBE(int(Math.max(1, b.length - 8)), 2, 6);
    return b;
  },
  'wrong version': f => {
    const b = Buffer.from(pick(f));
    b[0] = pick([0, 1, 3, 255]);
    return b;
  },
  'wrong type': f => {
    const b = Buffer.from(pick(f));
    b[1] = pick([0, 2, 5, 7, 255]);
    return b;
  },
  'as_msg header fields': f => {
    const msgs = f.filter(x => x[1] === 3 && x.length >= 30);
    const b = Buffer.from(msgs.length ? pick(msgs) : pick(f));
    if (b.length < 30) return b;
    switch (int(5)) {
      case 0:
        b[8] = pick([0, 1, 21, 23, 255]); // header_sz
        break;
      case 1:
        b.writeUInt16BE(pick([0xffff, 0x8000, 200]), 8 + 18); // n_fields
        break;
      case 2:
        b.writeUInt16BE(pick([0xffff, 0x8000, 200]), 8 + 20); // n_ops
        break;
      case 3:
        b.writeUInt32BE(pick([0, 0xffffffff, 0x7fffffff, 70000]), 8 + 22); // 1st field size
        break;
      default:
        for (let i = 9; i < 8 + 22; i++) b[i] = int(256); // info bits etc.
    }
    return b;
  },
  'field and op sizes': f => {
    const msgs = f.filter(x => x[1] === 3 && x.length >= 40);
    const b = Buffer.from(msgs.length ? pick(msgs) : pick(f));
    // Overwrite a random aligned 4-byte word in the body with a size-like
    // value: hits field sizes, op sizes and particle lengths.
    if (b.length >= 16) {
      const at = 8 + int(b.length - 12);
      b.writeUInt32BE(pick([0, 1, 0xffffffff, 0x10000, b.length]), at);
    }
    return b;
  },
  'compressed junk': () => {
    const body = Buffer.concat([
      Buffer.alloc(8), // declared uncompressed size (left wrong)
      randomBytes(int(300)),
    ]);
    body.writeBigUInt64BE(BigInt(int(2 ** 20)), 0);
    return Buffer.concat([header(2, 4, body.length), body]);
  },
  'compressed valid-looking': f => {
    const inner = Buffer.from(pick(f));
    if (random() < 0.5) inner[int(inner.length)] ^= 0xff;
    const z = deflateSync(inner);
    const body = Buffer.concat([Buffer.alloc(8), z]);
    body.writeBigUInt64BE(
      BigInt(random() < 0.5 ? inner.length : int(2 ** 40)),
      0
    );
    return Buffer.concat([header(2, 4, body.length), body]);
  },
  'compressed bomb': () => {
    // ~16 MiB of zeros in ~16 KiB: inflated by the server.
    const inner = Buffer.alloc(16 << 20);
    inner[0] = 2;
    inner[1] = 3;
    inner.writeUIntBE(inner.length - 8, 2, 6);
    const z = deflateSync(inner, { level: 9 });
    const body = Buffer.concat([Buffer.alloc(8), z]);
    body.writeBigUInt64BE(BigInt(inner.length), 0);
    return Buffer.concat([header(2, 4, body.length), body]);
  },
  'info junk': () => {
    const text = pick([
      randomBytes(int(200)).toString('latin1'),
      'x'.repeat(int(100_000)),
      '\n\n\n',
      'partition-generation\nno-such-command\n',
      'udf-put:filename=../../etc/passwd;content=AAAA;content-len=4;udf-type=LUA;\n',
      'sindex-create:ns=test;indexname=;\n',
      'truncate:namespace=;\n',
      '\u0000\uffff\n',
    ]);
    const body = Buffer.from(text, 'latin1');
    return Buffer.concat([header(2, 1, body.length), body]);
  },
  'byte by byte': f => {
    const b = pick(f);
    return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
  },
  pipelined: f =>
    Buffer.concat(Array.from({ length: 2 + int(20) }, () => pick(f))),
  'empty body': () => header(2, pick([1, 3, 4]), 0),
};

interface Stats {
  frames: number;
  bytes: number;
  connections: number;
  closedByServer: number;
  replies: number;
  byMutator: Record<string, number>;
}

async function attacker(
  frames: Buffer[],
  port: number,
  until: number,
  stats: Stats
): Promise<void> {
  const names = Object.keys(MUTATORS);
  while (Date.now() < until) {
    stats.connections++;
    await new Promise<void>(resolve => {
      const socket = net.connect(port, HOST);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve();
      };
      socket.setNoDelay(true);
      socket.on('data', () => stats.replies++);
      socket.on('error', () => finish());
      socket.on('close', () => {
        if (!done) stats.closedByServer++;
        finish();
      });
      socket.on('connect', async () => {
        // A few frames per connection, then close (or let the server do it).
        const count = 1 + int(8);
        for (let i = 0; i < count && !done && Date.now() < until; i++) {
          const name = pick(names);
          const out = MUTATORS[name](frames);
          stats.frames++;
          stats.byMutator[name] = (stats.byMutator[name] ?? 0) + 1;
          for (const piece of Array.isArray(out) ? out : [out]) {
            if (done) break;
            stats.bytes += piece.length;
            socket.write(piece);
            if (Array.isArray(out)) await new Promise(r => setImmediate(r));
          }
          if (random() < 0.3) await new Promise(r => setTimeout(r, int(20)));
        }
        setTimeout(finish, int(50));
      });
    });
  }
}

interface ClientStats {
  ok: number;
  failed: number;
  wrongValue: number;
  errors: Record<string, number>;
}

async function wellBehavedClient(
  client: any,
  loop: number,
  until: number,
  stats: ClientStats
): Promise<void> {
  let n = 0;
  while (Date.now() < until) {
    const value = `${loop}-${n++}-${randomBytes(4).toString('hex')}`;
    const key = new Aerospike.Key(
      // Not `test`: fuzzed copies of the captured truncate may wipe `test`.
      'bar',
      'fuzz_client',
      `${loop}-${n % 50}`
    );
    try {
      await client.put(key, { v: value, n });
      const record = await client.get(key);
      if (record.bins.v === value && record.bins.n === n) stats.ok++;
      else stats.wrongValue++;
    } catch (err: any) {
      stats.failed++;
      const code = String(err?.code);
      stats.errors[code] = (stats.errors[code] ?? 0) + 1;
    }
  }
}

async function main(): Promise<void> {
  const logCounts: Record<string, number> = {};
  const internalErrors: string[] = [];
  const server = await startServer({
    log: line => {
      const kind = line.includes('internal error')
        ? 'internal error'
        : (/^closing connection from \S+: ([^:]+)/.exec(line)?.[1] ??
          line.split(':')[0]);
      logCounts[kind] = (logCounts[kind] ?? 0) + 1;
      if (kind === 'internal error' && internalErrors.length < 5) {
        internalErrors.push(line.split('\n').slice(0, 3).join(' | '));
      }
    },
  });
  let exitCode = 0;
  try {
    const frames = await captureFrames(server.port);
    console.log(
      `fuzz: seed ${seed}; captured ${frames.length} distinct client frames ` +
        `(${frames.filter(f => f[1] === 1).length} info, ` +
        `${frames.filter(f => f[1] === 3).length} messages)`
    );
    const client = await Aerospike.connect({
      hosts: server.hosts,
      log: { level: -1 },
      maxConnsPerNode: 50,
    });
    const until = Date.now() + SECONDS * 1000;
    const stats: Stats = {
      frames: 0,
      bytes: 0,
      connections: 0,
      closedByServer: 0,
      replies: 0,
      byMutator: {},
    };
    const clientStats: ClientStats = {
      ok: 0,
      failed: 0,
      wrongValue: 0,
      errors: {},
    };
    const start = Date.now();
    await Promise.all([
      ...Array.from({ length: SOCKETS }, () =>
        attacker(frames, server.port, until, stats)
      ),
      ...Array.from({ length: CLIENT_LOOPS }, (_, i) =>
        wellBehavedClient(client, i, until, clientStats)
      ),
    ]);
    const elapsed = (Date.now() - start) / 1000;

    // Still serving? A fresh client, and the control channel.
    let serving = false;
    try {
      const fresh = await Aerospike.connect({
        hosts: server.hosts,
        log: { level: -1 },
      });
      const key = new Aerospike.Key('test', 'fuzz_after', 1);
      await fresh.put(key, { v: 'after' });
      serving = (await fresh.get(key)).bins.v === 'after';
      await fresh.close();
    } catch (err) {
      console.log(`fuzz: fresh client failed: ${(err as Error).message}`);
    }
    let counters: unknown = 'unavailable';
    try {
      counters = server.counters();
    } catch (err) {
      counters = `control channel failed: ${(err as Error).message}`;
    }
    await client.close();

    console.log(
      `fuzz: ${elapsed.toFixed(1)} s, ${stats.frames} frames ` +
        `(${(stats.bytes / 1e6).toFixed(1)} MB) over ${stats.connections} ` +
        `connections from ${SOCKETS} sockets; ${stats.closedByServer} ` +
        `closed by the server, ${stats.replies} reply chunks`
    );
    console.log(`fuzz: frames by mutator ${JSON.stringify(stats.byMutator)}`);
    console.log(
      `fuzz: client put+get OK ${clientStats.ok}, failed ` +
        `${clientStats.failed} ${JSON.stringify(clientStats.errors)}, ` +
        `wrong value ${clientStats.wrongValue}`
    );
    console.log(
      `fuzz: server still serving: ${serving}; counters ${JSON.stringify(counters)}`
    );
    console.log(`fuzz: server log lines by kind ${JSON.stringify(logCounts)}`);
    for (const line of internalErrors) {
      console.log(`fuzz: server internal error: ${line}`);
    }
    if (!serving || typeof counters === 'string') exitCode = 1;
    if (clientStats.wrongValue > 0) exitCode = 1;
  } finally {
    await server.close();
  }
  process.exit(exitCode);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
