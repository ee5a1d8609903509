/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serialize } from 'node:v8';
import {
  startLocalServer,
  type LocalServer,
  type StartServerOptions,
} from './core.ts';
import type { FaultRule } from './faults/faults.ts';

// Worker-thread host of the embedded server: answers the control calls of
// index.ts synchronously through a SharedArrayBuffer (see index.ts).

interface Call {
  type: 'call';
  method: string;
  args: unknown[];
}

const { port, namespaces, config, shared } = workerData as {
  port: number;
  namespaces?: string[];
  config?: StartServerOptions['config'];
  shared: SharedArrayBuffer;
};
const flag = new Int32Array(shared, 0, 2);
const data = new Uint8Array(shared, 8);

function toBuffer(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v)
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    : v;
}

function invoke(server: LocalServer, method: string, args: unknown[]): unknown {
  switch (method) {
    case 'counters':
      return server.counters();
    case 'reset':
      server.reset();
      return undefined;
    case 'faults.add': {
      const rule = { ...(args[0] as FaultRule) };
      rule.key = toBuffer(rule.key) as FaultRule['key'];
      return server.faults.add(rule);
    }
    case 'faults.remove':
      return server.faults.remove(args[0] as number);
    case 'faults.clear':
      server.faults.clear();
      return undefined;
    case 'faults.list':
      return server.faults.list();
    case 'faults.hits':
      return server.faults.hits(args[0] as number);
    default:
      throw new Error(`unknown method ${method}`);
  }
}

function reply(payload: unknown): void {
  let bytes: Buffer;
  try {
    bytes = serialize(payload);
  } catch (err) {
    bytes = serialize({ ok: false, error: (err as Error).message });
  }
  if (bytes.length > data.length) {
    bytes = serialize({ ok: false, error: 'reply too large' });
  }
  data.set(bytes);
  Atomics.store(flag, 1, bytes.length);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function main(): Promise<void> {
  const server = await startLocalServer({
    port,
    namespaces,
    config,
    log: line => parentPort!.postMessage({ type: 'log', line }),
  });
  parentPort!.on('message', (m: Call | { type: 'close' }) => {
    if (m.type === 'close') {
      void server
        .close()
        .then(() => parentPort!.postMessage({ type: 'closed' }));
      return;
    }
    try {
      reply({ ok: true, value: invoke(server, m.method, m.args) });
    } catch (err) {
      reply({ ok: false, error: (err as Error).message });
    }
  });
  parentPort!.postMessage({ type: 'ready', port: server.port });
}

main().catch(err => {
  parentPort!.postMessage({ type: 'failed', error: (err as Error).message });
});
