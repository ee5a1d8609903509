/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ERROR_TYPE_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';
import type { AerospikeInstrumentationConfig } from './types';
import type {
  BatchSpec,
  KeyLike,
  OperationSpec,
  OperationTarget,
  ProcedureKind,
  TargetKind,
} from './internal-types';
import { peerFromErrorMessage, peerFromInfoHost } from './server-target';

/** `db.response.status_code` of a failed UDF (AEROSPIKE_ERR_UDF). */
const UDF_FAILURE_STATUS = '100';

/**
 * The attributes a failure adds to the span and the metric points.
 *
 * - An `AerospikeError` (the client's error for every failed command): its
 *   status code as `error.type`, as the conventions ask (`error.type` SHOULD
 *   match `db.response.status_code`); `db.response.status_code` too when the
 *   code is the server's (positive; negative codes are the client's own, such
 *   as -1 "Not connected"); and `network.peer.address`/`port` when the
 *   message names the node (see peerFromErrorMessage).
 * - Anything else thrown (a TypeError for a bad argument): its class name, or
 *   `_OTHER` for a value that has none.
 */
export function describeError(error: unknown): Attributes {
  if (error === null || typeof error !== 'object') {
    return { [ATTR_ERROR_TYPE]: ERROR_TYPE_VALUE_OTHER };
  }
  const className = (error as object).constructor?.name;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (
    className !== 'AerospikeError' ||
    typeof code !== 'number' ||
    !Number.isInteger(code) ||
    code === 0
  ) {
    return { [ATTR_ERROR_TYPE]: className || ERROR_TYPE_VALUE_OTHER };
  }
  const status = String(code);
  const attributes: Attributes = { [ATTR_ERROR_TYPE]: status };
  if (code > 0) attributes[ATTR_DB_RESPONSE_STATUS_CODE] = status;
  // A UDF failure's message is the Lua error text, not the client's words.
  const peer =
    typeof message === 'string' && status !== UDF_FAILURE_STATUS
      ? peerFromErrorMessage(message)
      : undefined;
  if (peer !== undefined) {
    attributes[ATTR_NETWORK_PEER_ADDRESS] = peer.address;
    attributes[ATTR_NETWORK_PEER_PORT] = peer.port;
  }
  return attributes;
}

/**
 * The error message for the span status and the exception event. A UDF
 * failure carries the Lua error text, which often echoes the UDF's arguments
 * or bin values: only where it failed (`module.lua:line`) is kept.
 */
export function errorMessage(
  error: unknown,
  statusCode?: unknown
): { text?: string; redacted: boolean } {
  let text: string | undefined;
  if (error !== null && typeof error === 'object') {
    const { message } = error as { message?: unknown };
    if (typeof message === 'string') text = message;
  } else if (typeof error === 'string') {
    text = error;
  }
  if (statusCode !== UDF_FAILURE_STATUS) return { text, redacted: false };
  const location = text && /([\w.-]+\.lua:\d+)/.exec(text)?.[1];
  return {
    text: location ? `UDF failed at ${location}` : 'UDF failed',
    redacted: true,
  };
}

/**
 * `db.aerospike.key`: strings and numbers as they are, bigints as decimal
 * strings, Buffers as hex, and digest-only keys as the digest in hex.
 */
export function keyAttributeValue(key: unknown): string | number | undefined {
  if (key === null || typeof key !== 'object') return undefined;
  const { key: userKey, digest } = key as KeyLike;
  switch (typeof userKey) {
    case 'string':
      return userKey;
    case 'number':
      return userKey;
    case 'bigint':
      return userKey.toString();
  }
  if (Buffer.isBuffer(userKey)) return userKey.toString('hex');
  if (Buffer.isBuffer(digest)) return digest.toString('hex');
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The namespace, set and key(s) an operation targets, read from its call. */
export function readTarget(
  spec: OperationSpec,
  args: ArrayLike<unknown>,
  self: unknown
): OperationTarget {
  switch (spec.target) {
    case 'key': {
      const key = args[0] as KeyLike | null | undefined;
      if (key === null || typeof key !== 'object') return { key };
      return {
        namespace: stringOrUndefined(key.ns),
        set: stringOrUndefined(key.set),
        key,
      };
    }
    case 'keys':
      return batchTarget(args[0], false, spec.batch);
    case 'records':
      return batchTarget(args[0], true, spec.batch);
    case 'namespaceSet':
      return {
        namespace: stringOrUndefined(args[0]),
        set: stringOrUndefined(args[1]),
      };
    case 'namespace':
      return { namespace: stringOrUndefined(args[0]) };
    case 'indexOptions':
    case 'queryObject': {
      const holder = (spec.target === 'queryObject' ? self : args[0]) as {
        ns?: unknown;
        set?: unknown;
      } | null;
      if (holder === null || typeof holder !== 'object') return {};
      return {
        namespace: stringOrUndefined(holder.ns),
        set: stringOrUndefined(holder.set),
      };
    }
    default:
      return {};
  }
}

type BatchRecord = {
  key?: KeyLike;
  type?: unknown;
  bins?: unknown;
  ops?: unknown;
  readAllBins?: unknown;
  udf?: unknown;
} | null;

/**
 * What the entries of a batch share (a namespace, a set, the operation each
 * would be alone, the UDF each calls: each left out when they disagree), the
 * batch size, and the key of a one-entry batch. Keys and records get a loop
 * each, which stops as soon as nothing is shared: this runs over every entry
 * of a batch of any size.
 */
function batchTarget(
  entries: unknown,
  isRecords: boolean,
  batch: BatchSpec = {}
): OperationTarget {
  if (!Array.isArray(entries)) return {};
  const size = entries.length;
  if (size === 0) {
    return { batchSize: 0, entryOperation: batch.entryOperation };
  }
  const shared = isRecords
    ? sharedByRecords(entries as BatchRecord[], batch.records === 'typed')
    : sharedByKeys(entries as Array<KeyLike | null | undefined>);
  const { first, namespaceShared, setShared, udf } = shared;
  const entryOperation = isRecords
    ? shared.entryOperation
    : batch.entryOperation;
  return {
    namespace: namespaceShared ? stringOrUndefined(first?.ns) : undefined,
    // A set is only meaningful inside one namespace.
    set:
      namespaceShared && setShared ? stringOrUndefined(first?.set) : undefined,
    key: size === 1 ? (first ?? undefined) : undefined,
    batchSize: size,
    entryOperation,
    procedure:
      entryOperation === 'APPLY' && udf !== undefined
        ? `${udf.module}.${udf.funcname}`
        : undefined,
  };
}

interface Shared {
  first: KeyLike | null | undefined;
  namespaceShared: boolean;
  setShared: boolean;
  entryOperation?: string;
  udf?: Udf;
}

function sharedByKeys(keys: Array<KeyLike | null | undefined>): Shared {
  const first = keys[0];
  const namespace = first?.ns;
  const set = first?.set;
  let namespaceShared = true;
  let setShared = true;
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    if (key?.ns !== namespace) namespaceShared = false;
    if (key?.set !== set) setShared = false;
    if (!namespaceShared && !setShared) break;
  }
  return { first, namespaceShared, setShared };
}

function sharedByRecords(records: BatchRecord[], typed: boolean): Shared {
  const first = records[0]?.key;
  const namespace = first?.ns;
  const set = first?.set;
  let entryOperation = recordOperation(records[0], typed);
  let udf = typed ? recordUdf(records[0]) : undefined;
  let namespaceShared = true;
  let setShared = true;
  for (let i = 1; i < records.length; i++) {
    const record = records[i];
    const key = record?.key;
    if (key?.ns !== namespace) namespaceShared = false;
    if (key?.set !== set) setShared = false;
    if (
      entryOperation !== undefined &&
      recordOperation(record, typed) !== entryOperation
    ) {
      entryOperation = undefined;
    }
    if (udf !== undefined && !sameUdf(recordUdf(record), udf)) {
      udf = undefined;
    }
    if (!namespaceShared && !setShared && entryOperation === undefined) break;
  }
  return { first, namespaceShared, setShared, entryOperation, udf };
}

/** `Aerospike.batchType`: the C client's as_batch_type. */
const BATCH_READ = 0;
const BATCH_WRITE = 1;
const BATCH_APPLY = 2;
const BATCH_REMOVE = 3;

/**
 * The single-record operation a batch record performs: what the C client
 * itself sends when a node's share of a batch is one record
 * (as_single_execute in aerospike_batch.c). A read is SELECT with bin names,
 * OPERATE with operations, GET with `readAllBins`, else EXISTS (a header
 * read); a write is OPERATE, a UDF call APPLY, a removal REMOVE.
 */
function recordOperation(
  record: BatchRecord,
  typed: boolean
): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const type = typed ? record.type : BATCH_READ;
  switch (type) {
    case BATCH_READ: {
      const { bins, ops } = record;
      if (Array.isArray(bins) && bins.length > 0) return 'SELECT';
      if (Array.isArray(ops)) return 'OPERATE';
      return record.readAllBins === true ? 'GET' : 'EXISTS';
    }
    case BATCH_WRITE:
      return 'OPERATE';
    case BATCH_APPLY:
      return 'APPLY';
    case BATCH_REMOVE:
      return 'REMOVE';
    default:
      return undefined;
  }
}

interface Udf {
  module: string;
  funcname: string;
}

function recordUdf(record: BatchRecord): Udf | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const udf = record.udf as Partial<Udf> | null | undefined;
  if (udf === null || typeof udf !== 'object') return undefined;
  return typeof udf.module === 'string' && typeof udf.funcname === 'string'
    ? (udf as Udf)
    : undefined;
}

function sameUdf(udf: Udf | undefined, other: Udf): boolean {
  return (
    udf !== undefined &&
    udf.module === other.module &&
    udf.funcname === other.funcname
  );
}

/**
 * `db.operation.name` of a call. A batch (semantic-conventions #3811):
 * `BATCH {op}` when every entry is the same operation `{op}`, the method's
 * own term (`BATCH READ`, `BATCH WRITE`) when they differ, and a one-entry
 * batch is that entry's operation alone.
 */
export function operationName(
  spec: OperationSpec,
  target: OperationTarget
): string {
  if (spec.batch === undefined) return spec.operation;
  const entry = target.entryOperation;
  if (entry === undefined) return spec.operation;
  return target.batchSize === 1 ? entry : `BATCH ${entry}`;
}

/** The Key objects of a batch call, for the request hook. */
export function readBatchKeys(
  kind: TargetKind,
  args: ArrayLike<unknown>
): unknown[] | undefined {
  const entries = args[0];
  if (!Array.isArray(entries)) return undefined;
  if (kind === 'keys') return entries;
  return entries.map(entry =>
    entry !== null && typeof entry === 'object'
      ? (entry as { key?: unknown }).key
      : undefined
  );
}

/** `db.stored_procedure.name` (`module.function`) of a UDF call. */
export function readProcedure(
  kind: ProcedureKind,
  args: ArrayLike<unknown>
): string | undefined {
  let module: unknown;
  let fn: unknown;
  if (kind === 'udfObjectArg1') {
    const udf = args[1] as { module?: unknown; funcname?: unknown } | null;
    if (udf === null || typeof udf !== 'object') return undefined;
    module = udf.module;
    fn = udf.funcname;
  } else {
    module = args[0];
    fn = args[1];
  }
  if (typeof module !== 'string' || typeof fn !== 'string') return undefined;
  return `${module}.${fn}`;
}

/** The node a call names as its destination (`Client#info`'s host). */
export function readPeer(
  kind: 'infoHostArg1',
  args: ArrayLike<unknown>
): { address: string; port: number } | undefined {
  return kind === 'infoHostArg1' ? peerFromInfoHost(args[1]) : undefined;
}

/**
 * `db.query.summary` and the span name: `{operation} {namespace}.{set}`,
 * `{operation} {namespace}`, or `{operation}` alone.
 */
export function querySummary(
  operation: string,
  namespace: string | undefined,
  set: string | undefined
): string {
  if (namespace === undefined) return operation;
  return set === undefined
    ? `${operation} ${namespace}`
    : `${operation} ${namespace}.${set}`;
}

/** The entries of a batch result whose status is OK. */
export function countOkEntries(result: unknown): number | undefined {
  if (!Array.isArray(result)) return undefined;
  let rows = 0;
  for (let i = 0; i < result.length; i++) {
    const entry = result[i] as { status?: unknown } | null | undefined;
    if (entry?.status === 0) rows++;
  }
  return rows;
}

const BOOLEAN_OPTIONS = [
  'enabled',
  'requireParentSpan',
  'captureKey',
  'captureReturnedRows',
  'traceInfo',
] as const;
const HOOK_OPTIONS = ['requestHook', 'responseHook', 'errorHook'] as const;

/**
 * The config without the options whose values have the wrong type (each
 * reported once through `warn`), so a typo such as `captureKey: 'no'` falls
 * back to the default instead of being read as true on every operation.
 */
export function sanitizeConfig(
  config: unknown,
  warn: (message: string) => void
): AerospikeInstrumentationConfig {
  if (config === undefined) return {};
  if (config === null || typeof config !== 'object') {
    warn(
      `aerospike: ignoring config: expected an object, got ${typeof config}`
    );
    return {};
  }
  const clean: Record<string, unknown> = { ...config };
  for (const name of BOOLEAN_OPTIONS) {
    const value = clean[name];
    if (value !== undefined && typeof value !== 'boolean') {
      warn(`aerospike: ignoring config.${name}: expected a boolean`);
      delete clean[name];
    }
  }
  for (const name of HOOK_OPTIONS) {
    const value = clean[name];
    if (value !== undefined && typeof value !== 'function') {
      warn(`aerospike: ignoring config.${name}: expected a function`);
      delete clean[name];
    }
  }
  return clean as AerospikeInstrumentationConfig;
}
