/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_NODE_CONFIG,
  type NodeConfig,
  type ServerContext,
} from './engine/context.ts';
import { JobRegistry } from './engine/jobs.ts';
import { Counters, FaultController } from './faults/faults.ts';
import { TcpServer } from './server.ts';
import { Store } from './store/store.ts';
import { LuaUdfRuntime } from './udf/runtime.ts';

// The server itself, running in the calling thread. index.ts wraps it in a
// worker thread for use next to the native client (whose synchronous
// connect would otherwise starve a same-thread server).

export interface StartServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Namespaces to serve; default `test` and `bar`. */
  namespaces?: string[];
  /** Receives one line per notable event (bad frames, unsupported ops...). */
  log?: (line: string) => void;
  /**
   * Node settings; the defaults are those of a Community Edition 8.1 node
   * (see test/server/README.md).
   */
  config?: Partial<NodeConfig>;
}

export interface CommandCounters {
  read: number;
  write: number;
  batch: number;
  scan: number;
  query: number;
  udf: number;
  /** Info requests (not faultable, not in `total`). */
  info: number;
  /** All data commands. */
  total: number;
}

export interface LocalServer {
  /** `127.0.0.1:PORT`, ready for the client's `hosts` config. */
  readonly hosts: string;
  readonly port: number;
  readonly faults: FaultController;
  /** Data commands received per kind since start (or the last reset). */
  counters(): CommandCounters;
  /** Drops all records, indexes, UDFs, jobs, fault rules and counters. */
  reset(): void;
  close(): Promise<void>;
}

/** The server version advertised in `build`: the client keys features on it. */
export const SERVER_BUILD = '8.1.0.3';

export async function startLocalServer(
  opts: StartServerOptions = {}
): Promise<LocalServer> {
  const log = opts.log ?? (() => {});
  const store = new Store(opts.namespaces ?? ['test', 'bar']);
  const faults = new FaultController();
  const counters = new Counters();
  const jobs = new JobRegistry();
  const udf = new LuaUdfRuntime();
  const ctx: ServerContext = {
    config: { ...DEFAULT_NODE_CONFIG, ...opts.config },
    store,
    faults,
    counters,
    jobs,
    udf,
    // A stable, unique-enough node id in the real server's format.
    nodeName: 'BB9' + randomBytes(6).toString('hex').toUpperCase(),
    port: 0,
    build: SERVER_BUILD,
    log: line => {
      try {
        log(line);
      } catch {
        // A throwing logger must not take the server down.
      }
    },
  };
  const tcp = new TcpServer(ctx);
  const port = await tcp.listen(opts.port ?? 0);
  ctx.port = port;
  let closed: Promise<void> | undefined;
  return {
    hosts: `127.0.0.1:${port}`,
    port,
    faults,
    counters: () => counters.snapshot(),
    reset: () => {
      store.reset();
      udf.clear();
      jobs.clear();
      faults.clear();
      counters.reset();
    },
    close: () => (closed ??= tcp.close()),
  };
}
