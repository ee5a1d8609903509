/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Records what a call does, as seen by the application: what it returns
// synchronously, what it throws, what its promise settles with, every
// invocation of its callback (argument shapes, `this`, sync or async) and the
// sequence of events of a returned stream. Values are normalised to plain
// data so two runs can be compared with toEqual; only what truly differs
// between two runs is dropped (error stacks, server-generated job ids, the
// seconds left of a TTL).

export interface Observation {
  name: string;
  form: 'sync' | 'promise' | 'callback' | 'stream';
  /** What the call did synchronously: returned (normalised) or threw. */
  sync?: unknown;
  /** Promise settlement, callback invocations, stream events, in order. */
  events: unknown[];
}

const SKIPPED_PROPS = new Set(['stack', 'client']);

/** Plain-data image of a value, stable across two identical runs. */
export function normalise(value: unknown, seen = new WeakSet<object>()): any {
  switch (typeof value) {
    case 'undefined':
      return { undefined: true };
    case 'number':
      return Number.isNaN(value) ? { NaN: true } : value;
    case 'bigint':
      return { bigint: value.toString() };
    case 'symbol':
      return { symbol: value.toString() };
    case 'function':
      return { function: value.name };
    case 'string':
    case 'boolean':
      return value;
  }
  if (value === null) return null;
  const obj = value as Record<string, unknown>;
  if (Buffer.isBuffer(obj)) return { buffer: obj.toString('hex') };
  if (obj instanceof Promise) return { promise: true };
  if (obj.constructor?.name === 'RecordStream') return streamShape(obj);
  if (seen.has(obj)) return { cycle: true };
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map(v => normalise(v, seen));
    if (Array.isArray(obj.bytes) && typeof obj.bytesSize === 'number') {
      // A serialised pagination state: it holds the random task id of the
      // query and partition slots the client never initialised. The pages
      // it leads to are compared instead.
      return { paginationState: obj.bytesSize };
    }
    const out: Record<string, unknown> = {
      $class: obj.constructor?.name ?? null,
    };
    const keys = Object.keys(obj).sort();
    for (const k of keys) {
      if (SKIPPED_PROPS.has(k)) continue;
      const v = obj[k];
      if (k === 'command' && v !== null && typeof v === 'object') {
        // AerospikeError.command holds the client and the arguments.
        out[k] = { $class: (v as object).constructor?.name };
      } else if (k === 'ttl' && typeof v === 'number' && v > 0) {
        // Seconds left: the clock moves between two runs.
        out[k] = 'positive';
      } else if (k === 'jobID') {
        // Generated randomly by the client for every background job.
        out[k] = typeof v;
      } else {
        out[k] = normalise(v, seen);
      }
    }
    if (obj instanceof Error) {
      out.message = obj.message;
      out.name = obj.name;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function describeThis(self: unknown): string {
  if (self === undefined) return 'undefined';
  if (self === null) return 'null';
  if (self === globalThis) return 'globalThis';
  return typeof self === 'object'
    ? `object:${(self as object).constructor?.name}`
    : typeof self;
}

const tick = () => new Promise<void>(resolve => setImmediate(resolve));

/** Settles after `ms` at most (a never-called callback must not hang). */
function within(ms: number, done: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    done,
    new Promise<void>(resolve => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs calls in the four forms and keeps their observations in order. */
export class Recorder {
  readonly observations: Observation[] = [];
  private readonly waitMs: number;
  /** `waitMs`: how long to wait for a callback or a stream's end. */
  constructor(waitMs = 5000) {
    this.waitMs = waitMs;
  }

  private add(name: string, form: Observation['form']): Observation {
    const o: Observation = { name, form, events: [] };
    this.observations.push(o);
    return o;
  }

  /** A call used for its synchronous result only. */
  sync(name: string, fn: () => unknown): unknown {
    const o = this.add(name, 'sync');
    try {
      const value = fn();
      o.sync = { returned: normalise(value) };
      return value;
    } catch (err) {
      o.sync = { threw: normalise(err) };
      return undefined;
    }
  }

  /** The promise form: what it returns, then how the promise settles. */
  async promise(name: string, fn: () => unknown): Promise<unknown> {
    const o = this.add(name, 'promise');
    let returned: unknown;
    try {
      returned = fn();
    } catch (err) {
      o.sync = { threw: normalise(err) };
      return undefined;
    }
    o.sync = {
      returned: normalise(returned),
      isPromise: returned instanceof Promise,
    };
    if (!(returned instanceof Promise)) return returned;
    try {
      const value = await returned;
      o.events.push({ resolved: normalise(value) });
      return value;
    } catch (err) {
      o.events.push({ rejected: normalise(err) });
      return undefined;
    }
  }

  /** The callback form: `fn(cb)` must pass `cb` as the callback. */
  async callback(
    name: string,
    fn: (cb: (...args: unknown[]) => void) => unknown
  ): Promise<unknown[] | undefined> {
    const o = this.add(name, 'callback');
    let returnedYet = false;
    let first: unknown[] | undefined;
    let called!: () => void;
    const done = new Promise<void>(resolve => (called = resolve));
    const cb = function (this: unknown, ...args: unknown[]) {
      o.events.push({
        calledSync: !returnedYet,
        arity: args.length,
        this: describeThis(this),
        args: args.map(a => normalise(a)),
      });
      first ??= args;
      called();
    };
    try {
      o.sync = { returned: normalise(fn(cb)) };
    } catch (err) {
      o.sync = { threw: normalise(err) };
      returnedYet = true;
      // Some calls throw and still call back later (query.operate with
      // junk ops): give that callback a chance to show.
      await within(Math.min(this.waitMs, 50), done);
      await tick();
      return first;
    }
    returnedYet = true;
    await within(this.waitMs, done);
    // A second invocation would be a bug: give it a chance to show.
    await tick();
    return first;
  }

  /**
   * A stream: the events it emits, in order, until `end` or `error`.
   * `abortAfter` aborts it after that many records.
   */
  async stream(
    name: string,
    fn: () => any,
    abortAfter?: number
  ): Promise<unknown> {
    const o = this.add(name, 'stream');
    let stream: any;
    try {
      stream = fn();
    } catch (err) {
      o.sync = { threw: normalise(err) };
      return undefined;
    }
    o.sync = { returned: streamShape(stream) };
    if (stream === null || typeof stream?.on !== 'function') return stream;
    let finished!: () => void;
    const done = new Promise<void>(resolve => (finished = resolve));
    let records = 0;
    stream.on('data', (record: unknown) => {
      o.events.push({ data: normalise(record) });
      records++;
      if (abortAfter !== undefined && records === abortAfter) stream.abort();
    });
    stream.on('error', (err: unknown) => {
      o.events.push({ error: normalise(err) });
      finished();
    });
    stream.on('end', (...args: unknown[]) => {
      o.events.push({ end: args.map(a => normalise(a)) });
      finished();
    });
    await within(this.waitMs, done);
    await tick();
    await tick();
    o.events.push({ finally: streamShape(stream) });
    return stream;
  }

  get count(): number {
    return this.observations.length;
  }
}

/**
 * A returned RecordStream as the application sees it. The instrumentation
 * may observe the stream through an own `emit` (that is how it sees events
 * without adding listeners); the separate own-keys test in
 * differential.test.ts checks what an application can see of that.
 */
export function streamShape(stream: any): unknown {
  if (stream === null || typeof stream !== 'object') return normalise(stream);
  return {
    $class: stream.constructor?.name,
    aborted: stream.aborted,
    listeners: ['data', 'end', 'error'].map(e => stream.listenerCount?.(e)),
    hasClient: stream.client !== undefined,
  };
}

const byJson = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

const isRecord = (v: any): boolean => v?.$class === 'Record';

/**
 * An observation with its records in an order of no importance: a real
 * node streams the records of a scan or query from parallel partition
 * threads, in an order of its own; those of an aborted stream or of a page
 * (which records make a page depends on the threads too) count by number.
 */
export function orderInsensitive(o: Observation): Observation {
  const page = /\bpage \d+\b/.test(o.name);
  const events = o.events.map((e: any) => {
    const resolved = e?.resolved;
    if (Array.isArray(resolved) && resolved.some(isRecord)) {
      return {
        ...e,
        resolved: page
          ? resolved.map(() => 'a record')
          : [...resolved].sort(byJson),
      };
    }
    return e;
  });
  if (o.form === 'stream') {
    const aborted = (events.at(-1) as any)?.finally?.aborted === true;
    const data = events.filter((e: any) => 'data' in e);
    const rest = events.filter((e: any) => !('data' in e));
    const records =
      aborted || page
        ? data.map(() => ({ data: 'a record' }))
        : [...data].sort(byJson);
    return { ...o, events: [...records, ...rest] };
  }
  return { ...o, events };
}
