/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  context,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from '@opentelemetry/api';
import type { Attributes, Context, Histogram, Span } from '@opentelemetry/api';

// Scenario (e), the floor: what the OpenTelemetry SDK itself costs for one
// operation, written by hand around the same client call. Per call it does
// only the irreducible work: read the namespace and set, start a CLIENT span
// with the seven attributes below, make it active around the call, keep the
// callback (or the stream's listeners) in the caller's context, end the span
// and record one `db.client.operation.duration` point. The server address is
// read once per client, as any wrapper would.

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

type Callback = (err: unknown, result?: unknown) => void;

export interface Floor {
  /** `client.get(key)` / `client.put(key, bins)`, promise form. */
  promise(
    operation: string,
    key: { ns?: unknown; set?: unknown },
    call: () => Promise<unknown>
  ): Promise<unknown>;
  /**
   * The promise form recording the same span and point and nothing else:
   * no context made active around the call (a promise keeps the caller's
   * context anyway). The least any wrapper recording them can cost.
   */
  promiseRecordOnly(
    operation: string,
    key: { ns?: unknown; set?: unknown },
    call: () => Promise<unknown>
  ): Promise<unknown>;
  /** The same in callback form; `call` receives the wrapped callback. */
  callback(
    operation: string,
    key: { ns?: unknown; set?: unknown },
    cb: Callback,
    call: (cb: Callback) => void
  ): void;
  /** A query's `foreach()`: ends on `end`/`error`, listeners keep context. */
  stream(
    operation: string,
    query: { ns?: unknown; set?: unknown },
    call: () => any
  ): any;
}

export function createFloor(serverAddress: string, serverPort: number): Floor {
  const tracer = trace.getTracer('bench-floor');
  const histogram: Histogram = metrics
    .getMeter('bench-floor')
    .createHistogram('db.client.operation.duration', {
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });

  interface Started {
    span: Span;
    start: number;
    metricAttributes: Attributes;
    parent: Context;
  }

  function start(operation: string, ns: unknown, set: unknown): Started {
    const parent = context.active();
    const summary = `${operation} ${ns as string}.${set as string}`;
    const metricAttributes: Attributes = {
      'db.system.name': 'aerospike',
      'db.operation.name': operation,
      'db.namespace': ns as string,
      'db.collection.name': set as string,
      'server.address': serverAddress,
      'server.port': serverPort,
    };
    const start = performance.now();
    const span = tracer.startSpan(
      summary,
      {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: {
          'db.system.name': 'aerospike',
          'db.operation.name': operation,
          'db.namespace': ns as string,
          'db.collection.name': set as string,
          'db.query.summary': summary,
          'server.address': serverAddress,
          'server.port': serverPort,
        },
      },
      parent
    );
    return { span, start, metricAttributes, parent };
  }

  function end(s: Started, err: unknown) {
    const endTime = performance.now();
    if (err) s.span.setStatus({ code: SpanStatusCode.ERROR });
    s.span.end(endTime);
    histogram.record((endTime - s.start) / 1000, s.metricAttributes);
  }

  /** The caller's promise: settles as `p` does, after the span ends. */
  function endWhenSettled(s: Started, p: Promise<unknown>): Promise<unknown> {
    return p.then(
      value => {
        end(s, undefined);
        return value;
      },
      error => {
        end(s, error);
        throw error;
      }
    );
  }

  return {
    promise(operation, key, call) {
      const s = start(operation, key.ns, key.set);
      return endWhenSettled(
        s,
        context.with(trace.setSpan(s.parent, s.span), call)
      );
    },
    promiseRecordOnly(operation, key, call) {
      const s = start(operation, key.ns, key.set);
      return endWhenSettled(s, call());
    },
    callback(operation, key, cb, call) {
      const s = start(operation, key.ns, key.set);
      const parent = s.parent;
      context.with(trace.setSpan(parent, s.span), call, undefined, ((
        err: unknown,
        result: unknown
      ) => {
        end(s, err);
        context.with(parent, cb, undefined, err, result);
      }) as Callback);
    },
    stream(operation, query, call) {
      const s = start(operation, query.ns, query.set);
      const parent = s.parent;
      const stream = context.with(trace.setSpan(parent, s.span), call);
      const emit = stream.emit;
      stream.emit = function (this: unknown, event: string, ...args: any[]) {
        if (event === 'end') end(s, undefined);
        else if (event === 'error') end(s, args[0]);
        return context.with(parent, emit, this, event, ...args);
      };
      return stream;
    },
  };
}

/**
 * The floor without I/O: the same span, context and histogram work (the
 * callback form, around a call that calls back at once) in a tight loop,
 * yielding to the event loop every 256 iterations so the BatchSpanProcessor
 * exports as it would in a server. Returns CPU microseconds per iteration.
 */
export async function floorWithoutIo(iterations: number): Promise<number> {
  const floor = createFloor('127.0.0.1', 3000);
  const key = { ns: 'test', set: 'bench' };
  const done: Callback = () => {};
  const callNow = (cb: Callback) => cb(null, undefined);
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      floor.callback('GET', key, done, callNow);
      if ((i & 255) === 255) await new Promise(r => setImmediate(r));
    }
  };
  await run(Math.min(20_000, iterations));
  const cpu = process.cpuUsage();
  await run(iterations);
  const d = process.cpuUsage(cpu);
  return (d.user + d.system) / iterations;
}
