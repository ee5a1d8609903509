/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { OperationSpec } from './internal-types';

const call = 'call' as const;

/**
 * Every instrumented `Client.prototype` method, described once: the generic
 * wrapper in instrumentation.ts reads this table and nothing else.
 * Methods a client version lacks are skipped when patching.
 */
export const CLIENT_OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  put: { operation: 'PUT', target: 'key', result: 'none', completion: call },
  get: { operation: 'GET', target: 'key', result: 'record', completion: call },
  select: {
    operation: 'SELECT',
    target: 'key',
    result: 'record',
    completion: call,
  },
  exists: {
    operation: 'EXISTS',
    target: 'key',
    result: 'none',
    completion: call,
  },
  existsWithMetadata: {
    operation: 'EXISTS',
    target: 'key',
    result: 'record',
    completion: call,
  },
  remove: {
    operation: 'REMOVE',
    target: 'key',
    result: 'none',
    completion: call,
  },
  operate: {
    operation: 'OPERATE',
    target: 'key',
    result: 'record',
    completion: call,
  },
  append: {
    operation: 'APPEND',
    target: 'key',
    result: 'record',
    completion: call,
  },
  prepend: {
    operation: 'PREPEND',
    target: 'key',
    result: 'record',
    completion: call,
  },
  add: {
    operation: 'INCREMENT',
    target: 'key',
    result: 'record',
    completion: call,
  },
  incr: {
    operation: 'INCREMENT',
    target: 'key',
    result: 'record',
    completion: call,
  },
  apply: {
    operation: 'APPLY',
    target: 'key',
    result: 'none',
    completion: call,
    procedure: 'udfObjectArg1',
  },
  batchRead: {
    operation: 'BATCH READ',
    target: 'records',
    result: 'batchRows',
    completion: call,
    batch: true,
  },
  batchGet: {
    operation: 'BATCH GET',
    target: 'keys',
    result: 'batchRows',
    completion: call,
    batch: true,
  },
  batchExists: {
    operation: 'BATCH EXISTS',
    target: 'keys',
    result: 'batchRows',
    completion: call,
    batch: true,
  },
  batchSelect: {
    operation: 'BATCH SELECT',
    target: 'keys',
    result: 'batchRows',
    completion: call,
    batch: true,
  },
  batchWrite: {
    operation: 'BATCH WRITE',
    target: 'records',
    result: 'none',
    completion: call,
    batch: true,
  },
  batchApply: {
    operation: 'BATCH APPLY',
    target: 'keys',
    result: 'none',
    completion: call,
    batch: true,
    procedure: 'udfObjectArg1',
  },
  batchRemove: {
    operation: 'BATCH REMOVE',
    target: 'keys',
    result: 'none',
    completion: call,
    batch: true,
  },
  truncate: {
    operation: 'TRUNCATE',
    target: 'namespaceSet',
    result: 'none',
    completion: call,
  },
  createIndex: createIndex(),
  createExpIndex: createIndex(),
  createIntegerIndex: createIndex(),
  createStringIndex: createIndex(),
  createGeo2DSphereIndex: createIndex(),
  createBlobIndex: createIndex(),
  createExpIntegerIndex: createIndex(),
  createExpStringIndex: createIndex(),
  createExpGeo2DSphereIndex: createIndex(),
  createExpBlobIndex: createIndex(),
  indexRemove: {
    operation: 'DROP INDEX',
    target: 'namespace',
    result: 'none',
    completion: call,
  },
  udfRegister: {
    operation: 'UDF REGISTER',
    target: 'none',
    result: 'none',
    completion: call,
  },
  udfRemove: {
    operation: 'UDF REMOVE',
    target: 'none',
    result: 'none',
    completion: call,
  },
  commit: {
    operation: 'COMMIT',
    target: 'none',
    result: 'none',
    completion: call,
  },
  abort: {
    operation: 'ABORT',
    target: 'none',
    result: 'none',
    completion: call,
  },
  info: info(),
  infoAny: info(),
  infoAll: info(),
  infoNode: info(),
};

/**
 * Query.prototype and Scan.prototype methods that do I/O. The operation name
 * is prefixed with `QUERY` or `SCAN`; everything else on those prototypes
 * only builds local state.
 */
export const STREAM_OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  foreach: {
    operation: '',
    target: 'queryObject',
    result: 'rows',
    completion: 'stream',
  },
  results: {
    operation: '',
    target: 'queryObject',
    result: 'rows',
    completion: call,
  },
  apply: {
    operation: 'AGGREGATE',
    target: 'queryObject',
    result: 'none',
    completion: call,
    procedure: 'moduleFunctionArgs',
  },
  background: {
    operation: 'APPLY',
    target: 'queryObject',
    result: 'none',
    completion: call,
    procedure: 'moduleFunctionArgs',
  },
  operate: {
    operation: 'OPERATE',
    target: 'queryObject',
    result: 'none',
    completion: call,
  },
};

/** The stream operations table with the operation names for one prefix. */
export function streamOperations(
  prefix: 'QUERY' | 'SCAN'
): Record<string, OperationSpec> {
  const specs: Record<string, OperationSpec> = {};
  for (const [method, spec] of Object.entries(STREAM_OPERATIONS)) {
    specs[method] = {
      ...spec,
      operation: spec.operation ? `${prefix} ${spec.operation}` : prefix,
    };
  }
  return specs;
}

function createIndex(): OperationSpec {
  return {
    operation: 'CREATE INDEX',
    target: 'indexOptions',
    result: 'none',
    completion: call,
  };
}

function info(): OperationSpec {
  return {
    operation: 'INFO',
    target: 'none',
    result: 'none',
    completion: call,
    info: true,
  };
}
