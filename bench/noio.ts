/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, trace } from '@opentelemetry/api';
import {
  argValue,
  loadInstrumentation,
  loadOperations,
  median,
  require,
  setupSdk,
} from './common.ts';
import { createFloor, floorWithoutIo } from './floor.ts';
import { switchPerRecord } from './switch.ts';

// Without I/O, in one process (started by bench/run.ts):
//   node bench/noio.ts [--sdk] --iterations N --rounds R
// - with --sdk: the floor's span/context/histogram work in a tight loop;
// - the instrumentation's own wrapper (`_wrapOperation`, the function every
//   patched method runs) and the floor's wrapper around stub client methods
//   that answer at once, against the bare stubs: CPU µs/op, variants
//   interleaved and rounds rotated in this one process, so the differences
//   are free of the I/O and cross-process noise of the end-to-end runs.
// - the stream is the real client's `Scan#foreach` (its StreamCommand and
//   RecordStream) over a stub native scan that delivers each record from
//   its own call in the empty async context, as the native client does; with
//   --sdk it also runs the bare context switches of bench/switch.ts.
// Prints `RESULT {json}`.

type Done = (err: unknown, result?: unknown) => void;

/**
 * Runs a function in the empty async context, where the native client
 * calls back and emits stream events (taken at load, before any context).
 */
const inRootScope = AsyncLocalStorage.snapshot();

const RECORD = { key: null, bins: { i: 1 }, gen: 3, ttl: 1000 };

// Loaded before the instrumentation exists, so its prototypes stay bare.
const Aerospike = require('aerospike');
const STREAM_RECORDS = 1000;
const NATIVE_BINS = { i: 1 };
const NATIVE_META = { gen: 3, ttl: 1000 };
const NATIVE_KEY = {
  ns: 'test',
  set: 'benchs',
  key: null,
  digest: Buffer.alloc(20, 7),
};
type NativeCallback = (
  err: unknown,
  bins?: unknown,
  meta?: unknown,
  key?: unknown
) => unknown;
/**
 * What `Scan#foreach` finds on its client: the real `asExec`, and a native
 * scan that answers on the next turn with STREAM_RECORDS records, one call
 * each in the empty async context, then the end of the scan.
 */
const streamClient = {
  config: { hosts: '127.0.0.1:3000' },
  captureStackTraces: false,
  isConnected: () => true,
  asExec: Aerospike.Client.prototype.asExec,
  as_client: {
    scanAsync(...args: unknown[]) {
      const callback = args[args.length - 1] as NativeCallback;
      setImmediate(() => {
        for (let i = 0; i < STREAM_RECORDS; i++) {
          inRootScope(callback, null, NATIVE_BINS, NATIVE_META, NATIVE_KEY);
        }
        inRootScope(callback, null, null, undefined, null);
      });
    },
  },
};
const scan = new Aerospike.Scan(streamClient, 'test', 'benchs', {});
const bareForeach: () => any = Aerospike.Scan.prototype.foreach;
const batchResult = (n: number) =>
  Array.from({ length: n }, () => ({ status: 0, record: RECORD }));

/** Stub client methods: answer at once (promise or microtask callback). */
const stubs = {
  get(this: unknown, ...args: unknown[]): unknown {
    const cb = args[args.length - 1] as Done;
    if (typeof cb === 'function') {
      queueMicrotask(() => inRootScope(cb, null, RECORD));
      return undefined;
    }
    return Promise.resolve(RECORD);
  },
  put(this: unknown, ...args: unknown[]): unknown {
    const cb = args[args.length - 1] as Done;
    if (typeof cb === 'function') {
      queueMicrotask(() => inRootScope(cb, null, args[0]));
      return undefined;
    }
    return Promise.resolve(args[0]);
  },
  batchRead(this: unknown, records: unknown[]): unknown {
    return Promise.resolve(batchResults.get(records.length));
  },
  foreach(this: unknown): any {
    return bareForeach.call(this);
  },
};
const batchResults = new Map([
  [10, batchResult(10)],
  [1000, batchResult(1000)],
]);

type Variant =
  | 'bare'
  | 'instrumented'
  | 'floor'
  | 'recordOnly'
  | 'chain'
  | 'with'
  | 'resource';
type Op =
  | 'get-promise'
  | 'get-callback'
  | 'put-promise'
  | 'put-callback'
  | 'batchRead-10'
  | 'batchRead-1000'
  | 'stream-1000';

async function main(): Promise<void> {
  const withSdk = process.argv.includes('--sdk');
  const iterations = Number(argValue('iterations') ?? 100_000);
  const rounds = Number(argValue('rounds') ?? 5);
  if (withSdk) setupSdk();
  const { AerospikeInstrumentation } = loadInstrumentation();
  const { CLIENT_OPERATIONS, streamOperations } = loadOperations();
  const instrumentation = new AerospikeInstrumentation();
  if (typeof instrumentation._wrapOperation !== 'function') {
    throw new Error('the instrumentation has no _wrapOperation any more');
  }
  const wrap = (spec: unknown, fn: unknown) =>
    instrumentation._wrapOperation(spec, fn);
  const scanOps = streamOperations('SCAN');
  const client = { config: { hosts: '127.0.0.1:3000' } };
  const key = { ns: 'test', set: 'bench', key: 1 };
  const bins = { i: 1 };
  const records = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: { ns: 'test', set: 'bench', key: i },
      readAllBins: true,
    }));
  const records10 = records(10);
  const records1000 = records(1000);
  const floor = createFloor('127.0.0.1', 3000);

  const w = {
    get: wrap(CLIENT_OPERATIONS.get, stubs.get),
    put: wrap(CLIENT_OPERATIONS.put, stubs.put),
    batchRead: wrap(CLIENT_OPERATIONS.batchRead, stubs.batchRead),
    foreach: wrap(scanOps.foreach, stubs.foreach),
  };
  const streamDone = (stream: any) =>
    new Promise(resolve => {
      stream.on('data', () => {});
      stream.on('end', resolve);
    });

  /** One operation per variant: a promise, or a call with a callback. */
  const ops: Record<
    Op,
    Partial<Record<Variant, (done: Done) => Promise<unknown> | void>>
  > = {
    'get-promise': {
      bare: () => stubs.get.call(client, key) as Promise<unknown>,
      instrumented: () => w.get.call(client, key),
      floor: () =>
        floor.promise('GET', key, () => stubs.get.call(client, key) as any),
      recordOnly: () =>
        floor.promiseRecordOnly(
          'GET',
          key,
          () => stubs.get.call(client, key) as any
        ),
      // Only the derived promise a wrapper returns (no telemetry).
      chain: () =>
        (stubs.get.call(client, key) as Promise<unknown>).then(
          value => value,
          error => {
            throw error;
          }
        ),
    },
    'get-callback': {
      bare: done => void stubs.get.call(client, key, done),
      instrumented: done => void w.get.call(client, key, done),
      floor: done =>
        floor.callback('GET', key, done, cb => stubs.get.call(client, key, cb)),
    },
    'put-promise': {
      bare: () => stubs.put.call(client, key, bins) as Promise<unknown>,
      instrumented: () => w.put.call(client, key, bins),
      floor: () =>
        floor.promise(
          'PUT',
          key,
          () => stubs.put.call(client, key, bins) as any
        ),
    },
    'put-callback': {
      bare: done => void stubs.put.call(client, key, bins, done),
      instrumented: done => void w.put.call(client, key, bins, done),
      floor: done =>
        floor.callback('PUT', key, done, cb =>
          stubs.put.call(client, key, bins, cb)
        ),
    },
    'batchRead-10': {
      bare: () => stubs.batchRead.call(client, records10) as any,
      instrumented: () => w.batchRead.call(client, records10),
      floor: () =>
        floor.promise(
          'BATCH READ',
          records10[0].key,
          () => stubs.batchRead.call(client, records10) as any
        ),
    },
    'batchRead-1000': {
      bare: () => stubs.batchRead.call(client, records1000) as any,
      instrumented: () => w.batchRead.call(client, records1000),
      floor: () =>
        floor.promise(
          'BATCH READ',
          records1000[0].key,
          () => stubs.batchRead.call(client, records1000) as any
        ),
    },
    'stream-1000': {
      bare: () => streamDone(stubs.foreach.call(scan)),
      instrumented: () => streamDone(w.foreach.call(scan)),
      floor: () =>
        streamDone(floor.stream('SCAN', scan, () => stubs.foreach.call(scan))),
      with: () => streamDone(switchPerRecord('with', stubs.foreach.call(scan))),
      resource: () =>
        streamDone(switchPerRecord('resource', stubs.foreach.call(scan))),
    },
  };

  const isCallback = (op: Op) => op.endsWith('-callback');
  const countFor = (op: Op) =>
    op === 'stream-1000' || op === 'batchRead-1000'
      ? Math.max(50, Math.round(iterations / 200))
      : iterations;

  const runOnce = async (op: Op, variant: Variant, n: number) => {
    const fn = ops[op][variant]!;
    if (isCallback(op)) {
      for (let i = 0; i < n; i++) {
        await new Promise<void>(resolve => fn(() => resolve()));
        if ((i & 255) === 255) await new Promise(r => setImmediate(r));
      }
    } else {
      for (let i = 0; i < n; i++) {
        await fn(() => {});
        if ((i & 255) === 255) await new Promise(r => setImmediate(r));
      }
    }
  };

  const parent = trace.getTracer('bench').startSpan('request');
  // `--profile-op OP --variant V`: only that, for bench/profile.ts.
  const profileOp = argValue('profile-op') as Op | undefined;
  if (profileOp) {
    const variant = (argValue('variant') ?? 'instrumented') as Variant;
    const n = countFor(profileOp);
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await runOnce(profileOp, variant, Math.ceil(n / 4));
      await runOnce(profileOp, variant, n);
    });
    const total = n + Math.ceil(n / 4);
    process.stdout.write(`RESULT ${JSON.stringify({ ops: total })}\n`);
    process.exit(0);
  }
  const variantsOf = (op: Op) =>
    (Object.keys(ops[op]) as Variant[]).filter(
      v => withSdk || v === 'bare' || v === 'instrumented'
    );
  const samples: Record<string, Record<string, number[]>> = {};
  await context.with(trace.setSpan(context.active(), parent), async () => {
    for (const op of Object.keys(ops) as Op[]) {
      samples[op] = {};
      const n = countFor(op);
      const variants = variantsOf(op);
      for (const v of variants) {
        samples[op][v] = [];
        await runOnce(op, v, Math.ceil(n / 4)); // warm-up
      }
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < variants.length; i++) {
          const v = variants[(i + r) % variants.length];
          const cpu = process.cpuUsage();
          await runOnce(op, v, n);
          const d = process.cpuUsage(cpu);
          samples[op][v].push((d.user + d.system) / n);
        }
      }
    }
  });
  parent.end();

  const result: Record<string, unknown> = { withSdk, ops: {} };
  for (const op of Object.keys(samples)) {
    const bare = samples[op].bare;
    const out: Record<string, { median: number; min: number; max: number }> =
      {};
    for (const v of variantsOf(op as Op)) {
      if (v === 'bare') continue;
      const added = samples[op][v].map((x, i) => x - bare[i]);
      out[v] = {
        median: median(added),
        min: Math.min(...added),
        max: Math.max(...added),
      };
    }
    (result.ops as Record<string, unknown>)[op] = {
      bare: median(bare),
      added: out,
    };
  }
  if (withSdk) {
    const floorLoop: number[] = [];
    for (let r = 0; r < rounds; r++) {
      floorLoop.push(
        await context.with(trace.setSpan(context.active(), parent), () =>
          floorWithoutIo(iterations)
        )
      );
    }
    result.floorLoop = {
      median: median(floorLoop),
      min: Math.min(...floorLoop),
      max: Math.max(...floorLoop),
    };
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
