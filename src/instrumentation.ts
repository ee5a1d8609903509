/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  context,
  createContextKey,
  createNoopMeter,
  diag,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Histogram,
  ObservableResult,
  ObservableUpDownCounter,
  Span,
  TracerProvider,
} from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_STORED_PROCEDURE_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_DB_CLIENT_OPERATION_DURATION,
} from '@opentelemetry/semantic-conventions';
import type { ClientInfo, ClientLike, OperationSpec } from './internal-types';
import { CLIENT_OPERATIONS, streamOperations } from './operations';
import {
  ATTR_DB_AEROSPIKE_GENERATION,
  ATTR_DB_AEROSPIKE_KEY,
  ATTR_DB_AEROSPIKE_TTL,
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ATTR_DB_RESPONSE_RETURNED_ROWS,
  DB_CLIENT_CONNECTION_STATE_VALUE_IDLE,
  DB_CLIENT_CONNECTION_STATE_VALUE_USED,
  DB_SYSTEM_NAME_VALUE_AEROSPIKE,
  DURATION_BUCKETS,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_RESPONSE_RETURNED_ROWS,
  RETURNED_ROWS_BUCKETS,
} from './semconv';
import type { AerospikeInstrumentationConfig } from './types';
import {
  buildStatusNames,
  countOkEntries,
  describeError,
  errorMessage,
  keyAttributeValue,
  parseServerAddress,
  querySummary,
  readBatchKeys,
  readProcedure,
  readTarget,
  sanitizeConfig,
} from './utils';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The `aerospike` versions this instrumentation is tested with. */
export const SUPPORTED_VERSIONS = ['>=5.13.2 <7'];

// The SDK's suppress-tracing key; createContextKey uses Symbol.for, so this
// is the same key @opentelemetry/core sets, without depending on core.
const SUPPRESS_TRACING_KEY = createContextKey(
  'OpenTelemetry SDK Context Key SUPPRESS_TRACING'
);

/**
 * How many instrumented calls are running synchronously right now, shared by
 * every instance: `append` calls `operate`, `results` calls `foreach`, and a
 * second instrumentation instance wraps the first one's wrapper. Only the
 * outermost call is traced.
 */
let activeCalls = 0;

/** Every instance created, to hand patched methods over on disable. */
const instances = new Set<WeakRef<AerospikeInstrumentation>>();

/** The API's no-op meter hands out this one shared histogram. */
const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop');

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

interface EmitterLike {
  emit: (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
}

export class AerospikeInstrumentation extends InstrumentationBase<AerospikeInstrumentationConfig> {
  // `declare`: the base constructor calls _updateMetricInstruments before
  // subclass field initializers would run, and they would reset these.
  declare private _operationDuration: Histogram;
  declare private _returnedRows: Histogram;
  declare private _connectionCount: ObservableUpDownCounter;
  declare private _statusNames: Map<number, string> | undefined;
  declare private _clientInfos: WeakMap<object, ClientInfo> | undefined;
  declare private _liveClients: Set<WeakRef<ClientLike>> | undefined;
  /** The meter records: not the API's no-op meter. */
  declare private _metricsRecording: boolean;
  /** Set once a real tracer provider is known to be behind the tracer. */
  declare private _tracingRecording: boolean | undefined;
  declare private _tracerProvider: TracerProvider | undefined;
  /** The wrappers this instance installed, to unwrap only its own. */
  declare private _ownWrappers: WeakSet<object> | undefined;

  constructor(config: AerospikeInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    instances.add(new WeakRef(this));
  }

  protected init() {
    // Client.prototype is patched through lib/client.js rather than the main
    // module: lib/client.js requires lib/aerospike.js circularly, so when the
    // package is loaded through an ES import, the only time the hook sees
    // the main module its exports are still partial (no Client yet).
    return new InstrumentationNodeModuleDefinition(
      'aerospike',
      SUPPORTED_VERSIONS,
      undefined,
      undefined,
      [
        this._prototypeFile('aerospike/lib/client.js', CLIENT_OPERATIONS),
        new InstrumentationNodeModuleFile(
          'aerospike/lib/status.js',
          SUPPORTED_VERSIONS,
          (status: unknown) => {
            this._statusNames = buildStatusNames(status);
            return status;
          },
          () => {}
        ),
        this._prototypeFile(
          'aerospike/lib/query.js',
          streamOperations('QUERY')
        ),
        this._prototypeFile('aerospike/lib/scan.js', streamOperations('SCAN')),
      ]
    );
  }

  override setConfig(config: AerospikeInstrumentationConfig = {}): void {
    // The base constructor calls setConfig before it creates _diag.
    const logger =
      this._diag ?? diag.createComponentLogger({ namespace: PACKAGE_NAME });
    super.setConfig(sanitizeConfig(config, message => logger.warn(message)));
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this._tracerProvider = tracerProvider;
    this._tracingRecording = undefined;
  }

  /**
   * Whether spans can be recorded: false while only the API's proxy provider
   * without an SDK behind it is there. Once true it stays true (an SDK, once
   * registered, is not unregistered).
   */
  private _isTracing(): boolean {
    if (this._tracingRecording) return true;
    const provider = this._tracerProvider ?? trace.getTracerProvider();
    const recording =
      !(provider instanceof ProxyTracerProvider) ||
      provider.getDelegateTracer(
        this.instrumentationName,
        this.instrumentationVersion
      ) !== undefined;
    if (recording) this._tracingRecording = true;
    return recording;
  }

  protected override _updateMetricInstruments(): void {
    this._operationDuration = this.meter.createHistogram(
      METRIC_DB_CLIENT_OPERATION_DURATION,
      {
        description: 'Duration of database client operations.',
        unit: 's',
        valueType: ValueType.DOUBLE,
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }
    );
    this._returnedRows = this.meter.createHistogram(
      METRIC_DB_CLIENT_RESPONSE_RETURNED_ROWS,
      {
        description: 'The actual number of records returned by the operation.',
        unit: '{row}',
        valueType: ValueType.INT,
        advice: { explicitBucketBoundaries: RETURNED_ROWS_BUCKETS },
      }
    );
    this._connectionCount = this.meter.createObservableUpDownCounter(
      METRIC_DB_CLIENT_CONNECTION_COUNT,
      {
        description:
          'The number of connections that are currently in the state described by the state attribute.',
        unit: '{connection}',
        valueType: ValueType.INT,
      }
    );
    this._connectionCount.addCallback(result =>
      this._observeConnections(result)
    );
    this._metricsRecording = this._operationDuration !== NOOP_HISTOGRAM;
  }

  /**
   * Wraps every method of `specs` found on the prototype of the file's
   * exported class (methods a client version lacks are skipped).
   */
  private _prototypeFile(
    name: string,
    specs: Readonly<Record<string, OperationSpec>>
  ) {
    const methods = Object.keys(specs);
    if (specs === CLIENT_OPERATIONS) methods.push('connect');
    return new InstrumentationNodeModuleFile(
      name,
      SUPPORTED_VERSIONS,
      (moduleExports: any) => {
        const proto = moduleExports?.prototype;
        if (!proto) {
          this._diag.debug(`aerospike: nothing to patch in ${name}`);
          return moduleExports;
        }
        for (const method of methods) this._patchMethod(proto, method, specs);
        return moduleExports;
      },
      (moduleExports: any) => {
        const proto = moduleExports?.prototype;
        if (!proto) return;
        for (const method of methods) this._unpatchMethod(proto, method, specs);
      }
    );
  }

  private _patchMethod(
    proto: any,
    method: string,
    specs: Readonly<Record<string, OperationSpec>>
  ) {
    if (typeof proto[method] !== 'function') return;
    const wrappers = (this._ownWrappers ??= new WeakSet());
    this._wrap(proto, method, original => {
      const wrapper =
        method === 'connect'
          ? this._wrapConnect(original)
          : this._wrapOperation(specs[method], original);
      wrappers.add(wrapper);
      return wrapper;
    });
  }

  /**
   * Restores the method if the wrapper in place is this instance's. The
   * shimmer keeps one wrapper per method (wrapping again replaces the last
   * one), so another enabled instance whose wrapper was replaced wraps the
   * method again: disabling one of two instances keeps the other tracing.
   */
  private _unpatchMethod(
    proto: any,
    method: string,
    specs: Readonly<Record<string, OperationSpec>>
  ) {
    if (!this._ownWrappers?.has(proto[method])) return;
    this._unwrap(proto, method);
    for (const ref of instances) {
      const other = ref.deref();
      if (other === undefined) {
        instances.delete(ref);
      } else if (other !== this && other.isEnabled()) {
        other._patchMethod(proto, method, specs);
        return;
      }
    }
  }

  /** Registers the client for connection metrics; nothing else changes. */
  private _wrapConnect(original: AnyFunction): AnyFunction {
    const instrumentation = this;
    return function connect(this: unknown, ...args: unknown[]) {
      try {
        instrumentation._clientInfo(this);
      } catch (err) {
        instrumentation._diag.error('aerospike: cannot register client', err);
      }
      return original.apply(this, args);
    };
  }

  /** The one wrapper every instrumented method goes through. */
  private _wrapOperation(
    spec: OperationSpec,
    original: AnyFunction
  ): AnyFunction {
    const instrumentation = this;
    return function (this: unknown, ...args: unknown[]) {
      return instrumentation._traceCall(spec, original, this, args);
    };
  }

  private _traceCall(
    spec: OperationSpec,
    original: AnyFunction,
    self: unknown,
    args: unknown[]
  ): unknown {
    if (activeCalls > 0 || !this._enabled) return original.apply(self, args);
    // With no SDK registered there is nothing to record: stay out of the way.
    if (!this._metricsRecording && !this._isTracing()) {
      return original.apply(self, args);
    }
    const parentContext = context.active();
    const config = this._config;
    if (
      parentContext.getValue(SUPPRESS_TRACING_KEY) === true ||
      (spec.info && !config.traceInfo) ||
      (config.requireParentSpan && trace.getSpan(parentContext) === undefined)
    ) {
      return original.apply(self, args);
    }

    let operation: TracedOperation | undefined;
    try {
      operation = this._startOperation(spec, self, args, parentContext);
    } catch (err) {
      this._diag.error('aerospike: cannot start span', err);
    }
    if (operation === undefined) return original.apply(self, args);

    let returned: unknown;
    activeCalls++;
    try {
      returned = original.apply(self, args);
    } catch (err) {
      operation.finish(err, undefined);
      throw err;
    } finally {
      activeCalls--;
    }
    return operation.completeWith(returned);
  }

  private _startOperation(
    spec: OperationSpec,
    self: unknown,
    args: unknown[],
    parentContext: Context
  ): TracedOperation {
    const config = this._config;
    const client =
      spec.target === 'queryObject'
        ? (self as { client?: unknown } | null)?.client
        : self;
    const clientInfo = this._clientInfo(client);
    const target = readTarget(spec.target, args, self);
    const { namespace, set } = target;
    const summary = querySummary(spec.operation, namespace, set);

    const metricAttributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_AEROSPIKE,
      [ATTR_DB_OPERATION_NAME]: spec.operation,
    };
    if (namespace !== undefined)
      metricAttributes[ATTR_DB_NAMESPACE] = namespace;
    if (set !== undefined) metricAttributes[ATTR_DB_COLLECTION_NAME] = set;
    if (clientInfo.serverAddress !== undefined) {
      metricAttributes[ATTR_SERVER_ADDRESS] = clientInfo.serverAddress;
      metricAttributes[ATTR_SERVER_PORT] = clientInfo.serverPort;
    }

    const spanAttributes: Attributes = {
      ...metricAttributes,
      [ATTR_DB_QUERY_SUMMARY]: summary,
    };
    const batchSize = target.batchSize;
    if (batchSize !== undefined && batchSize !== 1) {
      spanAttributes[ATTR_DB_OPERATION_BATCH_SIZE] = batchSize;
    }
    if (spec.procedure !== undefined) {
      const procedure = readProcedure(spec.procedure, args);
      if (procedure !== undefined) {
        spanAttributes[ATTR_DB_STORED_PROCEDURE_NAME] = procedure;
      }
    }
    if (config.captureKey && target.key !== undefined) {
      const key = keyAttributeValue(target.key);
      if (key !== undefined) spanAttributes[ATTR_DB_AEROSPIKE_KEY] = key;
    }

    const startTime = performance.now();
    const span = this.tracer.startSpan(
      summary,
      { kind: SpanKind.CLIENT, attributes: spanAttributes, startTime },
      parentContext
    );

    if (config.requestHook) {
      const hook = config.requestHook;
      const info = {
        operation: spec.operation,
        namespace,
        set,
        key: spec.target === 'key' ? target.key : undefined,
        keys: spec.batch ? readBatchKeys(spec.target, args) : undefined,
        args: args.slice(),
      };
      this._runHook('requestHook', () => hook(span, info));
    }

    const operation = new TracedOperation(
      this,
      spec,
      span,
      startTime,
      metricAttributes,
      parentContext
    );
    if (spec.completion === 'call') {
      for (let i = 0; i < args.length; i++) {
        if (typeof args[i] === 'function') {
          args[i] = operation.bindCallback(args[i] as AnyFunction);
        }
      }
    }
    return operation;
  }

  /** Server address and port of a client, parsed once per client. */
  private _clientInfo(client: unknown): ClientInfo {
    if (client === null || typeof client !== 'object') return {};
    const infos = (this._clientInfos ??= new WeakMap());
    let info = infos.get(client);
    if (info === undefined) {
      info = parseServerAddress((client as ClientLike).config);
      infos.set(client, info);
      (this._liveClients ??= new Set()).add(new WeakRef(client as ClientLike));
    }
    return info;
  }

  private _observeConnections(result: ObservableResult) {
    const clients = this._liveClients;
    if (!clients) return;
    for (const ref of clients) {
      const client = ref.deref();
      if (client === undefined) {
        clients.delete(ref);
        continue;
      }
      try {
        // stats() crashes the process on a client that never connected.
        if (typeof client.stats !== 'function' || !client.isConnected?.(false))
          continue;
        for (const node of client.stats().nodes ?? []) {
          const pools = [
            ['sync', node.syncConnections],
            ['async', node.asyncConnections],
            ['pipeline', node.pipelineConnections],
          ] as const;
          for (const [pool, connections] of pools) {
            if (!connections) continue;
            const poolName = `${node.name ?? 'unknown'}:${pool}`;
            result.observe(connections.inPool ?? 0, {
              [ATTR_DB_CLIENT_CONNECTION_STATE]:
                DB_CLIENT_CONNECTION_STATE_VALUE_IDLE,
              [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: poolName,
            });
            result.observe(connections.inUse ?? 0, {
              [ATTR_DB_CLIENT_CONNECTION_STATE]:
                DB_CLIENT_CONNECTION_STATE_VALUE_USED,
              [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: poolName,
            });
          }
        }
      } catch (err) {
        this._diag.error('aerospike: cannot read client stats', err);
      }
    }
  }

  /** @internal */
  _runHook(name: string, run: () => void) {
    try {
      run();
    } catch (err) {
      this._diag.error(`aerospike: ${name} threw`, err);
    }
  }

  /** @internal */
  _statusNamesOrEmpty(): Map<number, string> {
    return (this._statusNames ??= new Map());
  }

  /** @internal */
  _recordMetrics(
    durationSeconds: number,
    rows: number | undefined,
    attributes: Attributes
  ) {
    this._operationDuration.record(durationSeconds, attributes);
    if (rows !== undefined) this._returnedRows.record(rows, attributes);
  }
}

/**
 * One traced call: ends its span and records its metrics exactly once, from
 * one measurement, whichever way the call completes.
 */
class TracedOperation {
  private _done = false;
  /** Records a stream delivered so far. */
  private _streamRows = 0;
  /** A callback argument was bound: the call completes through it. */
  private _awaitsCallback = false;
  private readonly _instrumentation: AerospikeInstrumentation;
  private readonly _spec: OperationSpec;
  private readonly _span: Span;
  private readonly _startTime: number;
  private readonly _metricAttributes: Attributes;
  private readonly _parentContext: Context;

  constructor(
    instrumentation: AerospikeInstrumentation,
    spec: OperationSpec,
    span: Span,
    startTime: number,
    metricAttributes: Attributes,
    parentContext: Context
  ) {
    this._instrumentation = instrumentation;
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
    const observedEmit: EmitterLike['emit'] = function (
      this: unknown,
      event,
      ...args
    ) {
      if (event === 'data') {
        operation._streamRows++;
      } else if (event === 'end') {
        operation.finish(undefined, undefined);
      } else if (event === 'error') {
        operation.finish(args[0], undefined);
      }
      return context.active() === parentContext
        ? emit.call(this, event, ...args)
        : context.with(parentContext, emit, this, event, ...args);
    };
    // Not enumerable: code that copies or inspects the stream sees no change.
    Object.defineProperty(stream, 'emit', {
      value: observedEmit,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  finish(error: unknown, result: unknown) {
    if (this._done) return;
    this._done = true;
    const endTime = performance.now();
    const instrumentation = this._instrumentation;
    const span = this._span;
    const attributes = this._metricAttributes;
    const spec = this._spec;
    let rows: number | undefined;
    try {
      if (error !== undefined && error !== null) {
        const { errorType, statusCode } = describeError(
          error,
          instrumentation._statusNamesOrEmpty()
        );
        attributes[ATTR_ERROR_TYPE] = errorType;
        span.setAttribute(ATTR_ERROR_TYPE, errorType);
        if (statusCode !== undefined) {
          attributes[ATTR_DB_RESPONSE_STATUS_CODE] = statusCode;
          span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, statusCode);
        }
        const message = errorMessage(error, statusCode);
        if (message.redacted) {
          // Only the redacted message: the error's stack repeats the original.
          span.recordException({ name: errorType, message: message.text });
        } else if (typeof error === 'object' || typeof error === 'string') {
          span.recordException(error as Error);
        }
        span.setStatus({ code: SpanStatusCode.ERROR, message: message.text });
        if (spec.result === 'rows' && spec.completion === 'stream') {
          rows = this._streamRows;
        }
        const hook = instrumentation.getConfig().errorHook;
        if (hook) {
          instrumentation._runHook('errorHook', () =>
            hook(span, { operation: spec.operation, error })
          );
        }
      } else {
        rows = this._readResult(result);
        const hook = instrumentation.getConfig().responseHook;
        if (hook) {
          instrumentation._runHook('responseHook', () =>
            hook(span, { operation: spec.operation, result })
          );
        }
      }
      if (rows !== undefined) {
        span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows);
      }
    } catch (err) {
      instrumentation._runHook('finish', () => {
        throw err;
      });
    }
    span.end(endTime);
    instrumentation._recordMetrics(
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
