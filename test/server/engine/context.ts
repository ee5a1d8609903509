/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Namespace, Store } from '../store/store.ts';
import type { Counters, FaultController } from '../faults/faults.ts';
import type { JobRegistry } from './jobs.ts';
import type { LuaUdfRuntime } from '../udf/runtime.ts';
import { ResultCode, ServerError } from './errors.ts';

/**
 * What a real node is configured with, and the embedded server mimics
 * (aerospike-server 8.1.0.3 defaults, see test/server/README.md).
 */
export interface NodeConfig {
  /** A Community Edition node refuses compression and durable deletes. */
  edition: 'community' | 'enterprise';
  /** Namespace `max-record-size`: larger records fail with code 13. */
  maxRecordSize: number;
  /** Service `query-threads-limit`: threads all scans/queries share. */
  queryThreadsLimit: number;
  /** Namespace `single-query-threads`: threads one scan/query may take. */
  singleQueryThreads: number;
}

export const DEFAULT_NODE_CONFIG: NodeConfig = {
  edition: 'community',
  maxRecordSize: 1024 * 1024,
  queryThreadsLimit: 128,
  singleQueryThreads: 4,
};

/** Everything a command handler needs from the server. */
export interface ServerContext {
  config: NodeConfig;
  store: Store;
  faults: FaultController;
  counters: Counters;
  jobs: JobRegistry;
  udf: LuaUdfRuntime;
  nodeName: string;
  port: number;
  build: string;
  log(line: string): void;
}

/** The namespace a command names, or the error a real server answers. */
export function commandNamespace(
  ctx: ServerContext,
  name: string | undefined
): Namespace {
  if (name === undefined) {
    throw new ServerError(ResultCode.PARAMETER_ERROR, 'missing namespace');
  }
  const ns = ctx.store.namespace(name);
  if (ns === undefined) {
    throw new ServerError(
      ResultCode.NAMESPACE_NOT_FOUND,
      `namespace ${name} not found`
    );
  }
  return ns;
}

/** Filter expressions (field 43) are not evaluated: answer unsupported. */
export function rejectFilterExpression(ctx: ServerContext): never {
  ctx.log('unsupported field FILTER_EXP (43): filter expressions');
  throw new ServerError(
    ResultCode.UNSUPPORTED_FEATURE,
    'filter expressions are not supported'
  );
}
