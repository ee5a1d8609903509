/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { OperationSpec } from './internal-types';

const call = 'call' as const;

/*
 * Batches, as semantic-conventions #3811 defines them (the notes on
 * db.operation.batch.size, db.operation.name and db.query.summary):
 *
 * - A batch is several operations submitted in one call; one operation over
 *   several operands (Redis MGET) is not. Every Aerospike batch method sends
 *   one batch-index request per node whose entries the server runs as
 *   separate sub-transactions, each with its own result code and its own
 *   counter (batch_sub_read_success, batch_sub_write_success, ...): each
 *   entry is one operation, so batchGet([k1, k2]) is a batch of two GETs,
 *   like a parameterized operation run with two parameter sets.
 * - Each entry is the single-record operation it would be on its own, the
 *   one the C client itself sends when a node's share of a batch is one
 *   entry: batchGet GET, batchExists EXISTS, batchSelect SELECT, batchRemove
 *   REMOVE, batchApply APPLY; a batchRead record SELECT (bins), OPERATE
 *   (ops), GET (readAllBins) or EXISTS (neither); a batchWrite record as its
 *   type says: a read as above, a write OPERATE, a UDF call APPLY, a removal
 *   REMOVE. batchRead ignores `type` (the client rejects write operations in
 *   it), so all its records are reads.
 * - db.operation.name: `BATCH {op}` when every entry is `{op}`; otherwise the
 *   method's own term, `BATCH READ` or `BATCH WRITE` (the conventions allow
 *   `BATCH` or a system-specific term).
 * - db.query.summary and the span name: `{db.operation.name} {target}`, the
 *   target being the namespace and set every entry shares, as for any other
 *   call: `BATCH GET test.users` is `BATCH ` + the summary each GET would
 *   have.
 * - db.operation.batch.size: the number of entries, 0 for an empty batch;
 *   not set on a one-entry call, which is modelled as that entry's
 *   operation alone (name, summary, span name, and with captureKey its key),
 *   as the C client sends it. Its outcome stays the call's: an entry's own
 *   failure (status 2 for a missing key) does not fail the call.
 * - db.stored_procedure.name: the UDF every entry calls (batchApply, or a
 *   batchWrite whose records all call the same UDF).
 * - The rules live in utils.ts (readTarget, operationName); this table only
 *   says what each method's entries are.
 */

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
    batch: { records: 'read' },
  },
  batchGet: batchOfKeys('GET', 'batchRows'),
  batchExists: batchOfKeys('EXISTS', 'batchRows'),
  batchSelect: batchOfKeys('SELECT', 'batchRows'),
  batchWrite: {
    operation: 'BATCH WRITE',
    target: 'records',
    result: 'none',
    completion: call,
    batch: { records: 'typed' },
  },
  batchApply: { ...batchOfKeys('APPLY', 'none'), procedure: 'udfObjectArg1' },
  batchRemove: batchOfKeys('REMOVE', 'none'),
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
  info: { ...info(), peer: 'infoHostArg1' },
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

/**
 * A batch method whose entries are keys, each one the same single-record
 * operation `entryOperation`.
 */
function batchOfKeys(
  entryOperation: string,
  result: OperationSpec['result']
): OperationSpec {
  return {
    operation: `BATCH ${entryOperation}`,
    target: 'keys',
    result,
    completion: call,
    batch: { entryOperation },
  };
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
