/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

/** Where an operation's namespace, set and key(s) are read from. */
export type TargetKind =
  /** args[0] is a Key: `{ ns, set, key, digest }` */
  | 'key'
  /** args[0] is an array of Keys */
  | 'keys'
  /** args[0] is an array of batch records `{ key, ... }` */
  | 'records'
  /** args[0] is the namespace, args[1] the set (when a string) */
  | 'namespaceSet'
  /** args[0] is the namespace */
  | 'namespace'
  /** args[0] is index options `{ ns, set, ... }` */
  | 'indexOptions'
  /** `this` is a Query or Scan with `ns` and `set` */
  | 'queryObject'
  | 'none';

/** How the operation's result feeds span attributes and metrics. */
export type ResultKind =
  /** a Record: generation and ttl */
  | 'record'
  /** a batch result array: entries with status OK are the returned rows */
  | 'batchRows'
  /** an array of records: its length is the returned rows */
  | 'rows'
  | 'none';

/** Where a UDF's module and function names are read from. */
export type ProcedureKind =
  /** args[1] is `{ module, funcname }` */
  | 'udfObjectArg1'
  /** args[0] is the module, args[1] the function */
  | 'moduleFunctionArgs';

/** How the operation completes. */
export type CompletionKind =
  /** a callback argument, or the returned promise (or a returned value) */
  | 'call'
  /** the returned RecordStream's `end` or `error` event */
  | 'stream';

/** How the entries of a batch call map to single-record operations. */
export interface BatchSpec {
  /** The operation every entry performs, when the method fixes it. */
  entryOperation?: string;
  /**
   * Entries are batch records whose operation is read from each one: every
   * entry a read (`read`, batchRead), or as its `type` says (`typed`,
   * batchWrite).
   */
  records?: 'read' | 'typed';
}

/** One row of the operations table: everything the generic wrapper needs. */
export interface OperationSpec {
  /**
   * `db.operation.name`; for a batch method, the name of a batch whose
   * entries are not all the same operation.
   */
  operation: string;
  target: TargetKind;
  result: ResultKind;
  completion: CompletionKind;
  procedure?: ProcedureKind;
  /** Traced only when `traceInfo` is set. */
  info?: boolean;
  /** A batch method (see the batch rules in operations.ts). */
  batch?: BatchSpec;
  /** The call names the node it is sent to: `Client#info`'s host. */
  peer?: 'infoHostArg1';
}

/** The namespace, set and key(s) of one call. */
export interface OperationTarget {
  namespace?: string;
  set?: string;
  /** A single-record call's key (also a one-entry batch's). */
  key?: unknown;
  /** Batch calls: the number of entries. */
  batchSize?: number;
  /** Batch calls: the operation every entry performs, if they all do one. */
  entryOperation?: string;
  /** Batch calls: the UDF every entry calls, if they all call one. */
  procedure?: string;
}

/** What is known about a client, computed once per client. */
export interface ClientInfo {
  serverAddress?: string;
  /** Only with a single seed. */
  serverPort?: number;
}

/** The duck-typed parts of an Aerospike Key the instrumentation reads. */
export interface KeyLike {
  ns?: unknown;
  set?: unknown;
  key?: unknown;
  digest?: unknown;
}

/** The duck-typed parts of a client the instrumentation reads. */
export interface ClientLike {
  config?: { hosts?: unknown; port?: unknown };
  isConnected?: (checkTenderErrors?: boolean) => boolean;
  stats?: () => ClientStatsLike;
}

export interface ClientStatsLike {
  nodes?: Array<{
    name?: string;
    syncConnections?: ConnectionStatsLike;
    asyncConnections?: ConnectionStatsLike;
    pipelineConnections?: ConnectionStatsLike;
  } | null>;
}

export interface ConnectionStatsLike {
  inPool?: number;
  inUse?: number;
}
