/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { AsyncResource } from 'node:async_hooks';
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import {
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
} from '@opentelemetry/semantic-conventions';
import type { OperationSpec } from './internal-types';
import {
  ATTR_DB_AEROSPIKE_GENERATION,
  ATTR_DB_AEROSPIKE_TTL,
  ATTR_DB_RESPONSE_RETURNED_ROWS,
} from './semconv';
import type { AerospikeInstrumentationConfig } from './types';
import { countOkEntries, describeError, errorMessage } from './utils';

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

interface EmitterLike {
  emit: (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
}

/** What a traced operation needs from the instrumentation that started it. */
export interface OperationRecorder {
  /** The config in force now (hooks may change with setConfig). */
  config(): AerospikeInstrumentationConfig;
  /** Runs a user hook; a throw goes to the diag logger. */
  runHook(name: string, run: () => void): void;
  logError(message: string, err: unknown): void;
  /** One point on each histogram the operation feeds. */
  recordMetrics(
    durationSeconds: number,
    rows: number | undefined,
    attributes: Attributes
  ): void;
}

/**
 * One traced call: ends its span and records its metrics exactly once, from
 * one measurement, whichever way the call completes.
 */
export class TracedOperation {
  private _done = false;
  /** Records a stream delivered so far. */
  private _streamRows = 0;
  /** A callback argument was bound: the call completes through it. */
  private _awaitsCallback = false;
  private readonly _recorder: OperationRecorder;
  private readonly _spec: OperationSpec;
  private readonly _span: Span;
  private readonly _startTime: number;
  private readonly _metricAttributes: Attributes;
  private readonly _parentContext: Context;

  constructor(
    recorder: OperationRecorder,
    spec: OperationSpec,
    span: Span,
    startTime: number,
    metricAttributes: Attributes,
    parentContext: Context
  ) {
    this._recorder = recorder;
    this._spec = spec;
    this._span = span;
    this._startTime = startTime;
    this._metricAttributes = metricAttributes;
    this._parentContext = parentContext;
  }

  /**
   * The user's callback, ending the span first and then running in the
   * caller's context (the native client calls back in the root context).
   */
  bindCallback(callback: AnyFunction): AnyFunction {
    const operation = this;
    const parentContext = this._parentContext;
    this._awaitsCallback = true;
    return function (this: unknown, ...args: unknown[]) {
      operation.finish(args[0], args[1]);
      return context.active() === parentContext
        ? callback.apply(this, args)
        : context.with(parentContext, callback, this, ...args);
    };
  }

  /** Hooks the completion of what the original method returned. */
  completeWith(returned: unknown): unknown {
    if (this._spec.completion === 'stream') {
      if (returned !== null && typeof returned === 'object') {
        this._observeStream(returned as EmitterLike);
      } else {
        this.finish(undefined, undefined);
      }
      return returned;
    }
    if (
      returned !== null &&
      (typeof returned === 'object' || typeof returned === 'function') &&
      typeof (returned as PromiseLike<unknown>).then === 'function'
    ) {
      // Chained, not merely observed: an unhandled rejection stays unhandled.
      return (returned as PromiseLike<unknown>).then(
        value => {
          this.finish(undefined, value);
          return value;
        },
        error => {
          this.finish(error, undefined);
          throw error;
        }
      );
    }
    // A callback call returns undefined and ends in the callback; anything
    // else returned synchronously (commit's status) is the result.
    if (returned !== undefined || !this._awaitsCallback) {
      this.finish(undefined, returned);
    }
    return returned;
  }

  /**
   * Counts `data` and ends on `end`/`error` by wrapping this stream's own
   * `emit`: a listener would change what an unhandled `error` does.
   */
  private _observeStream(stream: EmitterLike) {
    const operation = this;
    const parentContext = this._parentContext;
    const emit = stream.emit;
    if (typeof emit !== 'function') {
      this.finish(undefined, undefined);
      return;
    }
    // Where `data` handlers run: made at the first record that arrives
    // outside the caller's context; null when only context.with works.
    let recordScope: AsyncResource | null | undefined;
    // The client emits ('data', record) once per record: that path takes no
    // rest parameter and switches context as cheaply as Node.js allows.
    const observedEmit = function (
      this: unknown,
      event: string | symbol,
      record?: unknown
    ): boolean {
      if (event !== 'data' || arguments.length !== 2) {
        // eslint-disable-next-line prefer-rest-params -- forwarded as is
        return operation._emitEvent(this, emit, Array.from(arguments));
      }
      operation._streamRows++;
      if (context.active() === parentContext) {
        return emit.call(this, event, record);
      }
      recordScope ??= operation._createRecordScope();
      return recordScope === null
        ? context.with(parentContext, emit, this, event, record)
        : recordScope.runInAsyncScope(emit, this, event, record);
    };
    // Not enumerable: code that copies or inspects the stream sees no change.
    Object.defineProperty(stream, 'emit', {
      value: observedEmit,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  /** Any other emit: `end` and `error` end the operation, once. */
  private _emitEvent(
    stream: unknown,
    emit: EmitterLike['emit'],
    args: unknown[]
  ): boolean {
    const event = args[0];
    if (event === 'data') {
      this._streamRows++;
    } else if (event === 'end') {
      this.finish(undefined, undefined);
    } else if (event === 'error') {
      this.finish(args[1], undefined);
    }
    const parentContext = this._parentContext;
    return context.active() === parentContext
      ? Reflect.apply(emit, stream, args)
      : context.with(
          parentContext,
          Reflect.apply,
          undefined,
          emit,
          stream,
          args
        );
  }

  /**
   * The native client delivers each record from its own callback, in an
   * empty async context. `context.with` per record builds two async context
   * frames; an AsyncResource made once inside `context.with` keeps the frame
   * it builds and enters it for a fraction of that. Kept only if entering it
   * does make the caller's context active (the AsyncLocalStorage context
   * manager); with another context manager, null: context.with per record.
   */
  private _createRecordScope(): AsyncResource | null {
    const parentContext = this._parentContext;
    const scope = context.with(
      parentContext,
      () => new AsyncResource('aerospike.RecordStream')
    );
    return scope.runInAsyncScope(context.active, context) === parentContext
      ? scope
      : null;
  }

  finish(error: unknown, result: unknown) {
    if (this._done) return;
    this._done = true;
    const endTime = performance.now();
    const recorder = this._recorder;
    const span = this._span;
    const attributes = this._metricAttributes;
    const spec = this._spec;
    let rows: number | undefined;
    try {
      if (error !== undefined && error !== null) {
        const failure = describeError(error);
        for (const name in failure) {
          attributes[name] = failure[name];
          span.setAttribute(name, failure[name]!);
        }
        const message = errorMessage(
          error,
          failure[ATTR_DB_RESPONSE_STATUS_CODE]
        );
        if (message.redacted) {
          // Only the redacted message: the error's stack repeats the original.
          span.recordException({
            name: String(failure[ATTR_ERROR_TYPE]),
            message: message.text,
          });
        } else if (typeof error === 'object' || typeof error === 'string') {
          span.recordException(error as Error);
        }
        span.setStatus({ code: SpanStatusCode.ERROR, message: message.text });
        if (spec.result === 'rows' && spec.completion === 'stream') {
          rows = this._streamRows;
        }
        const hook = recorder.config().errorHook;
        if (hook) {
          recorder.runHook('errorHook', () =>
            hook(span, { operation: spec.operation, error })
          );
        }
      } else {
        rows = this._readResult(result);
        const hook = recorder.config().responseHook;
        if (hook) {
          recorder.runHook('responseHook', () =>
            hook(span, { operation: spec.operation, result })
          );
        }
      }
      // Opt-In on spans; the histogram records rows either way.
      if (rows !== undefined && recorder.config().captureReturnedRows) {
        span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows);
      }
    } catch (err) {
      recorder.logError('aerospike: cannot describe the outcome', err);
    }
    span.end(endTime);
    recorder.recordMetrics(
      (endTime - this._startTime) / 1000,
      rows,
      attributes
    );
  }

  /** Span attributes from a successful result; returns the rows, if any. */
  private _readResult(result: unknown): number | undefined {
    switch (this._spec.result) {
      case 'record': {
        if (result === null || typeof result !== 'object') return undefined;
        const { gen, ttl } = result as { gen?: unknown; ttl?: unknown };
        if (typeof gen === 'number') {
          this._span.setAttribute(ATTR_DB_AEROSPIKE_GENERATION, gen);
        }
        if (typeof ttl === 'number') {
          this._span.setAttribute(ATTR_DB_AEROSPIKE_TTL, ttl);
        }
        return undefined;
      }
      case 'batchRows':
        return countOkEntries(result);
      case 'rows':
        return Array.isArray(result) ? result.length : this._streamRows;
      default:
        return undefined;
    }
  }
}
