/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { startServer, type EmbeddedServer } from '../server/index.ts';

// Where the tests find an Aerospike server:
// - AEROSPIKE_HOSTS=host:port      an existing server (no embedded one);
// - AEROSPIKE_TESTCONTAINERS=1     a fresh aerospike/aerospike-server
//                                  container (needs Docker);
// - otherwise                      the embedded server, in a worker thread.

export interface Backend {
  /** Client `hosts` string. */
  hosts: string;
  /** Set only when the embedded server is in use. */
  embedded?: EmbeddedServer;
  close(): Promise<void>;
}

/** True when tests run against the embedded server (faults available). */
export const onEmbedded =
  !process.env.AEROSPIKE_HOSTS && process.env.AEROSPIKE_TESTCONTAINERS !== '1';

/** True when the server is known to listen on this machine's loopback. */
export const onLoopback =
  onEmbedded ||
  /^(127\.0\.0\.1|localhost)(:|$)/.test(process.env.AEROSPIKE_HOSTS ?? '');

/**
 * A set name no other suite (or run) uses: suites run in parallel processes
 * and may share one real server.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
}

const AEROSPIKE_IMAGE =
  process.env.AEROSPIKE_IMAGE ?? 'aerospike/aerospike-server:latest';

export async function startBackend(): Promise<Backend> {
  const hosts = process.env.AEROSPIKE_HOSTS;
  if (hosts) {
    return { hosts, close: async () => {} };
  }
  if (process.env.AEROSPIKE_TESTCONTAINERS === '1') {
    return startContainer();
  }
  const embedded = await startServer();
  return {
    hosts: embedded.hosts,
    embedded,
    close: () => embedded.close(),
  };
}

async function startContainer(): Promise<Backend> {
  // Loaded lazily: most runs never need Docker.
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(AEROSPIKE_IMAGE)
    .withExposedPorts(3000)
    .withWaitStrategy(Wait.forListeningPorts().withStartupTimeout(120_000))
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(3000);
  // The service port opens before the partitions are ready: wait until
  // the node answers a partition generation and serves `test`.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await infoRequest(
      host,
      port,
      'partition-generation\nnamespaces\n'
    ).catch(() => '');
    const gen = /partition-generation\t(-?\d+)/.exec(reply);
    if (gen && Number(gen[1]) >= 0 && /namespaces\t.*\btest\b/.test(reply)) {
      break;
    }
    if (Date.now() > deadline) {
      await container.stop();
      throw new Error(`aerospike container not ready: ${reply}`);
    }
    await new Promise(r => setTimeout(r, 250));
  }
  const hosts = `${host}:${port}`;
  return {
    hosts,
    close: async () => {
      await container.stop();
    },
  };
}

/** One info request over a raw socket (used before any client exists). */
function infoRequest(
  host: string,
  port: number,
  text: string
): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = 2;
    head[1] = 1;
    head.writeUIntBE(body.length, 2, 6);
    const sock = new Socket();
    const chunks: Buffer[] = [];
    sock.setTimeout(2000, () => sock.destroy(new Error('info timeout')));
    sock.on('error', reject);
    sock.on('data', c => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= 8 && all.length >= 8 + all.readUIntBE(2, 6)) {
        sock.destroy();
        resolve(all.subarray(8).toString('utf8'));
      }
    });
    sock.connect(port, host, () => sock.write(Buffer.concat([head, body])));
  });
}
