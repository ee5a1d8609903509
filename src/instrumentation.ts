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
  trace,
  ValueType,
} from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Histogram,
  ObservableUpDownCounter,
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
  ATTR_DB_STORED_PROCEDURE_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_DB_CLIENT_OPERATION_DURATION,
} from '@opentelemetry/semantic-conventions';
import { ConnectionPools } from './connections';
import type { ClientInfo, ClientLike, OperationSpec } from './internal-types';
import { CLIENT_OPERATIONS, streamOperations } from './operations';
import {
  ATTR_DB_AEROSPIKE_KEY,
  DB_SYSTEM_NAME_VALUE_AEROSPIKE,
  DURATION_BUCKETS,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_RESPONSE_RETURNED_ROWS,
  RETURNED_ROWS_BUCKETS,
} from './semconv';
import type { AerospikeInstrumentationConfig } from './types';
import { serverTarget } from './server-target';
import {
  keyAttributeValue,
  operationName,
  querySummary,
  readBatchKeys,
  readPeer,
  readProcedure,
  readTarget,
  sanitizeConfig,
} from './utils';
import { TracedOperation } from './traced-operation';
import type { AnyFunction, OperationRecorder } from './traced-operation';
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

export class AerospikeInstrumentation extends InstrumentationBase<AerospikeInstrumentationConfig> {
  // `declare`: the base constructor calls _updateMetricInstruments before
  // subclass field initializers would run, and they would reset these.
  declare private _operationDuration: Histogram;
  declare private _returnedRows: Histogram;
  declare private _connectionCount: ObservableUpDownCounter;
  declare private _clientInfos: WeakMap<object, ClientInfo> | undefined;
  declare private _connectionPools: ConnectionPools | undefined;
  /** The meter records: not the API's no-op meter. */
  declare private _metricsRecording: boolean;
  /** Set once a real tracer provider is known to be behind the tracer. */
  declare private _tracingRecording: boolean | undefined;
  declare private _tracerProvider: TracerProvider | undefined;
  /** The wrappers this instance installed, to unwrap only its own. */
  declare private _ownWrappers: WeakSet<object> | undefined;
  declare private _recorder: OperationRecorder;

  constructor(config: AerospikeInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this._recorder = this._createRecorder();
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
      this._connectionPools?.observe(result, err =>
        this._diag.error('aerospike: cannot read client stats', err)
      )
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
    const target = readTarget(spec, args, self);
    const { namespace, set } = target;
    const operation = operationName(spec, target);
    // A batch call resolves its own name: the completion and the hooks see it.
    const callSpec =
      operation === spec.operation ? spec : { ...spec, operation };
    const summary = querySummary(operation, namespace, set);

    const metricAttributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_AEROSPIKE,
      [ATTR_DB_OPERATION_NAME]: operation,
      [ATTR_DB_QUERY_SUMMARY]: summary,
    };
    if (namespace !== undefined)
      metricAttributes[ATTR_DB_NAMESPACE] = namespace;
    if (set !== undefined) metricAttributes[ATTR_DB_COLLECTION_NAME] = set;
    if (clientInfo.serverAddress !== undefined) {
      metricAttributes[ATTR_SERVER_ADDRESS] = clientInfo.serverAddress;
      if (clientInfo.serverPort !== undefined) {
        metricAttributes[ATTR_SERVER_PORT] = clientInfo.serverPort;
      }
    }
    const procedure =
      spec.procedure !== undefined
        ? readProcedure(spec.procedure, args)
        : target.procedure;
    if (procedure !== undefined) {
      metricAttributes[ATTR_DB_STORED_PROCEDURE_NAME] = procedure;
    }
    if (spec.peer !== undefined) {
      const peer = readPeer(spec.peer, args);
      if (peer !== undefined) {
        metricAttributes[ATTR_NETWORK_PEER_ADDRESS] = peer.address;
        metricAttributes[ATTR_NETWORK_PEER_PORT] = peer.port;
      }
    }

    const spanAttributes: Attributes = { ...metricAttributes };
    const batchSize = target.batchSize;
    if (batchSize !== undefined && batchSize !== 1) {
      spanAttributes[ATTR_DB_OPERATION_BATCH_SIZE] = batchSize;
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
        operation,
        namespace,
        set,
        key: spec.target === 'key' ? target.key : undefined,
        keys: spec.batch ? readBatchKeys(spec.target, args) : undefined,
        args: args.slice(),
      };
      this._runHook('requestHook', () => hook(span, info));
    }

    const traced = new TracedOperation(
      this._recorder,
      callSpec,
      span,
      startTime,
      metricAttributes,
      parentContext
    );
    if (spec.completion === 'call') {
      for (let i = 0; i < args.length; i++) {
        if (typeof args[i] === 'function') {
          args[i] = traced.bindCallback(args[i] as AnyFunction);
        }
      }
    }
    return traced;
  }

  /**
   * Server address and port of a client, parsed once per client, which is
   * then observed for connection metrics.
   */
  private _clientInfo(client: unknown): ClientInfo {
    if (client === null || typeof client !== 'object') return {};
    const infos = (this._clientInfos ??= new WeakMap());
    let info = infos.get(client);
    if (info === undefined) {
      info = serverTarget((client as ClientLike).config);
      infos.set(client, info);
      (this._connectionPools ??= new ConnectionPools()).register(
        client as ClientLike,
        info
      );
    }
    return info;
  }

  /** The instrumentation's side of every TracedOperation. */
  private _createRecorder(): OperationRecorder {
    return {
      config: () => this._config,
      runHook: (name, run) => this._runHook(name, run),
      logError: (message, err) => this._diag.error(message, err),
      recordMetrics: (durationSeconds, rows, attributes) => {
        this._operationDuration.record(durationSeconds, attributes);
        if (rows !== undefined) this._returnedRows.record(rows, attributes);
      },
    };
  }

  private _runHook(name: string, run: () => void) {
    try {
      run();
    } catch (err) {
      this._diag.error(`aerospike: ${name} threw`, err);
    }
  }
}
