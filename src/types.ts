/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What the request hook learns about an operation before it runs. */
export interface AerospikeRequestHookInfo {
  /** The `db.operation.name`, e.g. `GET`, `BATCH GET` or `BATCH READ`. */
  operation: string;
  /** The namespace, when the operation targets one. */
  namespace?: string;
  /** The set, when the operation targets one. */
  set?: string;
  /** The Key object of a single-record operation, as passed. */
  key?: unknown;
  /** The Key objects of a batch operation, as passed. */
  keys?: unknown[];
  /** The arguments of the call, as passed (callbacks included). */
  args: unknown[];
}

/** What the response hook learns about a successful operation. */
export interface AerospikeResponseHookInfo {
  operation: string;
  /** The value the operation resolved with (or passed to its callback). */
  result: unknown;
}

/** What the error hook learns about a failed operation. */
export interface AerospikeErrorHookInfo {
  operation: string;
  /** The error, the very object the application receives. */
  error: unknown;
}

export type AerospikeRequestHook = (
  span: Span,
  info: AerospikeRequestHookInfo
) => void;
export type AerospikeResponseHook = (
  span: Span,
  info: AerospikeResponseHookInfo
) => void;
export type AerospikeErrorHook = (
  span: Span,
  info: AerospikeErrorHookInfo
) => void;

export interface AerospikeInstrumentationConfig extends InstrumentationConfig {
  /**
   * Only trace operations that run inside an existing span.
   * @default false
   */
  requireParentSpan?: boolean;
  /**
   * Record the record's user key as `db.aerospike.key` on single-record
   * spans. Keys can be user data, so this is off by default.
   * @default false
   */
  captureKey?: boolean;
  /**
   * Record `db.response.returned_rows` on query, scan and batch-read spans.
   * The attribute is Opt-In in the semantic conventions; the
   * `db.client.response.returned_rows` histogram is recorded either way.
   * @default false
   */
  captureReturnedRows?: boolean;
  /**
   * Trace `info`, `infoAny`, `infoAll` and `infoNode`. Off by default
   * because the client's jobs poll info every second.
   * @default false
   */
  traceInfo?: boolean;
  /** Called with the span before the operation is sent. */
  requestHook?: AerospikeRequestHook;
  /** Called with the span when the operation succeeds. */
  responseHook?: AerospikeResponseHook;
  /** Called with the span when the operation fails. */
  errorHook?: AerospikeErrorHook;
}
