/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  context,
  createContextKey,
  ROOT_CONTEXT,
  SpanStatusCode,
} from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  ContextManager,
  Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracedOperation } from '../../src/traced-operation';
import type { OperationRecorder } from '../../src/traced-operation';
import type { AerospikeInstrumentationConfig } from '../../src';
import type { OperationSpec } from '../../src/internal-types';

/** A span that remembers what was done to it. */
function fakeSpan() {
  const span = {
    attributes: {} as Attributes,
    status: undefined as { code: number; message?: string } | undefined,
    exceptions: [] as unknown[],
    ended: 0,
    setAttribute(key: string, value: unknown) {
      span.attributes[key] = value as never;
      return span;
    },
    setStatus(status: { code: number; message?: string }) {
      span.status = status;
      return span;
    },
    recordException(exception: unknown) {
      span.exceptions.push(exception);
    },
    end() {
      span.ended++;
    },
  };
  return span;
}

function setup(
  spec: Partial<OperationSpec> = {},
  config: AerospikeInstrumentationConfig = {},
  parentContext: Context = ROOT_CONTEXT
) {
  const span = fakeSpan();
  const points: Array<{ duration: number; rows?: number; attrs: Attributes }> =
    [];
  const errors: string[] = [];
  const recorder: OperationRecorder = {
    config: () => config,
    runHook: (_name, run) => run(),
    logError: message => errors.push(message),
    recordMetrics: (duration, rows, attrs) =>
      points.push({ duration, rows, attrs: { ...attrs } }),
  };
  const operation = new TracedOperation(
    recorder,
    {
      operation: 'GET',
      target: 'key',
      result: 'record',
      completion: 'call',
      ...spec,
    },
    span as unknown as Span,
    performance.now(),
    { 'db.operation.name': 'GET' },
    parentContext
  );
  return { operation, span, points, errors };
}

class AerospikeError extends Error {
  code = 2;
}

describe('TracedOperation', () => {
  it('ends the span and records one point once, however often it finishes', () => {
    const { operation, span, points } = setup();
    operation.finish(undefined, { gen: 3, ttl: 100 });
    operation.finish(new Error('late'), undefined);
    expect(span.ended).toBe(1);
    expect(points).toHaveLength(1);
    expect(span.attributes).toMatchObject({
      'db.aerospike.generation': 3,
      'db.aerospike.ttl': 100,
    });
    expect(span.status).toBeUndefined();
  });

  it('describes an error on the span and on the metric point', () => {
    const { operation, span, points } = setup();
    const error = new AerospikeError('not found');
    operation.finish(error, undefined);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'not found',
    });
    expect(span.exceptions).toEqual([error]);
    expect(points[0].attrs).toMatchObject({
      'error.type': '2',
      'db.response.status_code': '2',
    });
    expect(span.attributes).toMatchObject({
      'error.type': '2',
      'db.response.status_code': '2',
    });
  });

  it('puts the node an error message names on the span and the point', () => {
    const { operation, span, points } = setup();
    operation.finish(
      new AerospikeError('10.0.0.9:3000 Record does not exist in database.'),
      undefined
    );
    for (const attributes of [span.attributes, points[0].attrs]) {
      expect(attributes).toMatchObject({
        'network.peer.address': '10.0.0.9',
        'network.peer.port': 3000,
      });
    }
  });

  it('still ends the span when reading the result throws', () => {
    const { operation, span, points, errors } = setup();
    const hostile = {
      get gen(): number {
        throw new Error('getter');
      },
    };
    operation.finish(undefined, hostile);
    expect(span.ended).toBe(1);
    expect(points).toHaveLength(1);
    expect(errors).toEqual(['aerospike: cannot describe the outcome']);
  });

  it('ends before the callback runs, with the same this and arguments', () => {
    const { operation, span } = setup();
    const seen: unknown[] = [];
    const callback = vi.fn(function (this: unknown, ...args: unknown[]) {
      seen.push(span.ended, this, ...args);
      return 'returned';
    });
    const bound = operation.bindCallback(callback);
    const self = {};
    const result = { gen: 1 };
    expect(bound.call(self, null, result, 'extra')).toBe('returned');
    expect(seen).toEqual([1, self, null, result, 'extra']);
  });

  it('waits for a bound callback when the call returns undefined', () => {
    const { operation, span } = setup();
    const bound = operation.bindCallback(() => {});
    expect(operation.completeWith(undefined)).toBeUndefined();
    expect(span.ended).toBe(0);
    bound(null, {});
    expect(span.ended).toBe(1);
  });

  it('takes a value returned synchronously as the result', () => {
    const { operation, span } = setup({ result: 'none' });
    operation.bindCallback(() => {});
    expect(operation.completeWith(1)).toBe(1);
    expect(span.ended).toBe(1);
  });

  it('chains a promise: same value, same rejection object', async () => {
    const ok = setup();
    const value = { gen: 2 };
    await expect(
      ok.operation.completeWith(Promise.resolve(value))
    ).resolves.toBe(value);
    expect(ok.span.ended).toBe(1);

    const failed = setup();
    const error = new AerospikeError('nf');
    const chained = failed.operation.completeWith(
      Promise.reject(error)
    ) as Promise<unknown>;
    await expect(chained).rejects.toBe(error);
    expect(failed.span.status?.code).toBe(SpanStatusCode.ERROR);
  });

  it('counts stream records and ends on end, without adding listeners', () => {
    const { operation, span } = setup(
      { operation: 'SCAN', result: 'rows', completion: 'stream' },
      { captureReturnedRows: true }
    );
    const stream = new EventEmitter();
    const data = vi.fn();
    stream.on('data', data);
    expect(operation.completeWith(stream)).toBe(stream);
    expect(Object.keys(stream)).not.toContain('emit');
    expect(stream.eventNames()).toEqual(['data']);
    stream.emit('data', 1);
    stream.emit('data', 2);
    expect(span.ended).toBe(0);
    stream.emit('end');
    expect(data).toHaveBeenCalledTimes(2);
    expect(span.ended).toBe(1);
    expect(span.attributes['db.response.returned_rows']).toBe(2);
  });

  it('records returned rows on the span only with captureReturnedRows, on the histogram always', () => {
    for (const captureReturnedRows of [false, true]) {
      const { operation, span, points } = setup(
        { operation: 'BATCH GET', result: 'batchRows' },
        { captureReturnedRows }
      );
      operation.finish(undefined, [{ status: 0 }, { status: 2 }]);
      expect(points[0].rows).toBe(1);
      expect(span.attributes['db.response.returned_rows']).toBe(
        captureReturnedRows ? 1 : undefined
      );
    }
  });

  it('lets an unhandled stream error throw as before, after ending the span', () => {
    const { operation, span } = setup(
      { operation: 'SCAN', result: 'rows', completion: 'stream' },
      { captureReturnedRows: true }
    );
    const stream = new EventEmitter();
    operation.completeWith(stream);
    const error = new AerospikeError('broken');
    expect(() => stream.emit('error', error)).toThrow(error);
    expect(span.ended).toBe(1);
    expect(span.status?.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['db.response.returned_rows']).toBe(0);
  });
});

const CALLER = createContextKey('caller');
const callerContext = ROOT_CONTEXT.setValue(CALLER, 'caller');
const STREAM: Partial<OperationSpec> = {
  operation: 'SCAN',
  result: 'rows',
  completion: 'stream',
};

/** What the caller context holds where this runs. */
const activeCaller = () => context.active().getValue(CALLER);

/**
 * As the native client does: each event from its own call, outside the
 * caller's context.
 */
function emitFromNative(stream: EventEmitter, ...args: [string, ...unknown[]]) {
  return context.with(ROOT_CONTEXT, () => stream.emit(...args));
}

/**
 * A stand-in for a context manager that does not keep its context in the
 * async context (a stack, as in a browser or a hand-written manager): only
 * `with` makes a context active.
 */
class StackContextManager implements ContextManager {
  private _stack: Context[] = [];
  active(): Context {
    return this._stack[this._stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this._stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this._stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this._stack = [];
    return this;
  }
}

const CONTEXT_MANAGERS: Array<[string, () => ContextManager]> = [
  ['AsyncLocalStorage', () => new AsyncLocalStorageContextManager()],
  ['a stack (stand-in)', () => new StackContextManager()],
];

describe.each(CONTEXT_MANAGERS)(
  'stream handlers, context manager: %s',
  (_name, createManager) => {
    afterEach(() => {
      context.disable();
    });

    function observed() {
      context.setGlobalContextManager(createManager().enable());
      const traced = setup(STREAM, {}, callerContext);
      const stream = new EventEmitter();
      return { ...traced, stream };
    }

    it('runs data and end handlers in the caller context, also ones added later', () => {
      const { operation, span, points, stream } = observed();
      const seen: unknown[] = [];
      stream.on('data', () => seen.push(['data', activeCaller()]));
      operation.completeWith(stream);
      emitFromNative(stream, 'data', 1);
      stream.on('data', () => seen.push(['late data', activeCaller()]));
      stream.on('end', () => seen.push(['end', activeCaller()]));
      emitFromNative(stream, 'data', 2);
      emitFromNative(stream, 'data', 3);
      emitFromNative(stream, 'end');
      expect(seen).toEqual([
        ['data', 'caller'],
        ['data', 'caller'],
        ['late data', 'caller'],
        ['data', 'caller'],
        ['late data', 'caller'],
        ['end', 'caller'],
      ]);
      expect(span.ended).toBe(1);
      expect(points.map(p => p.rows)).toEqual([3]);
      // Nothing of the caller context is left behind.
      expect(activeCaller()).toBeUndefined();
    });

    it('runs the error handler in the caller context and ends once', () => {
      const { operation, span, points, stream } = observed();
      const error = new AerospikeError('broken');
      const seen: unknown[] = [];
      stream.on('error', err => seen.push([err, activeCaller()]));
      operation.completeWith(stream);
      emitFromNative(stream, 'data', 1);
      emitFromNative(stream, 'error', error);
      emitFromNative(stream, 'end');
      expect(seen).toEqual([[error, 'caller']]);
      expect(span.ended).toBe(1);
      expect(span.status?.code).toBe(SpanStatusCode.ERROR);
      expect(points.map(p => p.rows)).toEqual([1]);
    });

    it("passes a data handler's throw to the emitter's caller, context restored", () => {
      const { operation, span, stream } = observed();
      const thrown = new Error('thrown by the data handler');
      stream.on('data', () => {
        throw thrown;
      });
      operation.completeWith(stream);
      let caught: unknown;
      context.with(ROOT_CONTEXT, () => {
        try {
          stream.emit('data', 1);
        } catch (err) {
          caught = err;
        }
        expect(activeCaller()).toBeUndefined();
      });
      expect(caught).toBe(thrown);
      expect(span.ended).toBe(0);
    });

    it('passes every argument of other events and calls through', () => {
      const { operation, stream } = observed();
      const seen: unknown[] = [];
      stream.on('data', (...args) => seen.push([...args, activeCaller()]));
      stream.on('custom', (...args) => seen.push([...args, activeCaller()]));
      operation.completeWith(stream);
      expect(emitFromNative(stream, 'data', 1, 'extra')).toBe(true);
      expect(emitFromNative(stream, 'custom')).toBe(true);
      expect(emitFromNative(stream, 'unheard', 1)).toBe(false);
      expect(seen).toEqual([[1, 'extra', 'caller'], ['caller']]);
    });
  }
);

describe('stream shape', () => {
  it('adds nothing enumerable and no listener to the stream', () => {
    const { operation } = setup(STREAM);
    const stream = new EventEmitter();
    const marker = Symbol('marker');
    Object.assign(stream, { own: 1, [marker]: 2 });
    const enumerable = (o: object) => [
      ...Object.keys(o),
      ...Object.getOwnPropertySymbols(o).filter(s =>
        Object.prototype.propertyIsEnumerable.call(o, s)
      ),
    ];
    const before = enumerable(stream);
    operation.completeWith(stream);
    stream.emit('data', 1);
    stream.emit('end');
    expect(enumerable(stream)).toEqual(before);
    expect(stream.eventNames()).toEqual([]);
    expect({ ...stream }).not.toHaveProperty('emit');
  });
});

describe('promise form', () => {
  afterEach(() => {
    context.disable();
  });

  it("runs the caller's then in the caller context when the client settles outside it", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    const { operation, span } = setup({}, {}, callerContext);
    let settle!: (value: unknown) => void;
    const clientPromise = new Promise(resolve => (settle = resolve));
    const value = { gen: 1 };
    const seen = context.with(callerContext, () =>
      (operation.completeWith(clientPromise) as Promise<unknown>).then(v => [
        v,
        activeCaller(),
      ])
    );
    context.with(ROOT_CONTEXT, () => settle(value));
    expect(await seen).toEqual([value, 'caller']);
    expect(span.ended).toBe(1);
  });
});
