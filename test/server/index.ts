/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { CommandCounters, StartServerOptions } from './core.ts';
import type { FaultInfo, FaultRule } from './faults/faults.ts';

// Public entry point. The server runs in a worker thread: the native
// client's `connect()` blocks its thread while it seeds the cluster, so a
// server sharing that thread could never answer it. Control calls (faults,
// counters, reset) stay synchronous through a SharedArrayBuffer handshake.

export type { NodeConfig } from './engine/context.ts';
export type {
  CommandCounters,
  StartServerOptions,
  LocalServer,
} from './core.ts';
export { startLocalServer, SERVER_BUILD } from './core.ts';
export type {
  CommandKind,
  FaultAction,
  FaultInfo,
  FaultRule,
} from './faults/faults.ts';

/** Fault controls; every call takes effect before it returns. */
export interface FaultControls {
  /** Adds a rule; returns its id. */
  add(rule: FaultRule): number;
  remove(id: number): boolean;
  clear(): void;
  /** Active rules (a rule disappears once its `times` are used up). */
  list(): FaultInfo[];
  /** How many commands rule `id` has been applied to. */
  hits(id: number): number;
}

export interface EmbeddedServer {
  /** `127.0.0.1:PORT`, ready for the client's `hosts` config. */
  readonly hosts: string;
  readonly port: number;
  readonly faults: FaultControls;
  /** Data commands received per kind since start (or the last reset). */
  counters(): CommandCounters;
  /** Drops all records, indexes, UDFs, jobs, fault rules and counters. */
  reset(): void;
  close(): Promise<void>;
}

const SHARED_SIZE = 4 * 1024 * 1024;
const CALL_TIMEOUT_MS = 10_000;

export async function startServer(
  opts: StartServerOptions = {}
): Promise<EmbeddedServer> {
  const shared = new SharedArrayBuffer(8 + SHARED_SIZE);
  const flag = new Int32Array(shared, 0, 2);
  const data = new Uint8Array(shared, 8);
  const worker = new Worker(new URL('./worker.ts', import.meta.url), {
    workerData: {
      port: opts.port ?? 0,
      namespaces: opts.namespaces,
      config: opts.config,
      shared,
    },
  });
  const log = opts.log;
  let onClosed: (() => void) | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    worker.on('message', (m: { type: string; [k: string]: unknown }) => {
      switch (m.type) {
        case 'ready':
          resolve(m.port as number);
          break;
        case 'failed':
          reject(new Error(`embedded server failed: ${String(m.error)}`));
          break;
        case 'log':
          if (log !== undefined) {
            try {
              log(m.line as string);
            } catch {
              // The caller's logger must not break the server.
            }
          }
          break;
        case 'closed':
          onClosed?.();
          break;
      }
    });
    worker.once('error', reject);
  });
  // The worker must not keep the process alive on its own.
  worker.unref();
  worker.on('error', err => log?.(`worker error: ${err.message}`));

  let closed: Promise<void> | undefined;
  const call = (method: string, ...args: unknown[]): unknown => {
    if (closed !== undefined) throw new Error('embedded server is closed');
    Atomics.store(flag, 0, 0);
    worker.postMessage({ type: 'call', method, args });
    if (Atomics.wait(flag, 0, 0, CALL_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`embedded server: ${method} timed out`);
    }
    const len = Atomics.load(flag, 1);
    const res = deserialize(Buffer.from(data.subarray(0, len))) as {
      ok: boolean;
      value?: unknown;
      error?: string;
    };
    if (!res.ok) throw new Error(res.error);
    return res.value;
  };

  const faults: FaultControls = {
    add: rule => call('faults.add', rule) as number,
    remove: id => call('faults.remove', id) as boolean,
    clear: () => void call('faults.clear'),
    list: () => call('faults.list') as FaultInfo[],
    hits: id => call('faults.hits', id) as number,
  };

  return {
    hosts: `127.0.0.1:${port}`,
    port,
    faults,
    counters: () => call('counters') as CommandCounters,
    reset: () => void call('reset'),
    close: () =>
      (closed ??= new Promise<void>(resolve => {
        const timer = setTimeout(() => void finish(), 2000);
        const finish = async () => {
          clearTimeout(timer);
          await worker.terminate();
          resolve();
        };
        onClosed = () => void finish();
        worker.postMessage({ type: 'close' });
      })),
  };
}
