/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { context, trace } from '@opentelemetry/api';
import {
  argValue,
  BINS,
  clientConfig,
  cpuMicros,
  KEYS,
  KV_SET,
  loadInstrumentation,
  NAMESPACE,
  QUERY_RECORDS,
  QUERY_SET,
  require,
  setupSdk,
} from './common.ts';
import { createFloor } from './floor.ts';

// One scenario in its own client process (started by bench/run.ts):
//   node bench/client.ts --scenario a|b|c|d|e --hosts H --ops get-promise,...
//     --warmup MS --measure MS --concurrency C
// Prints one line `RESULT {json}`: per operation, CPU µs/op and ops/s.

export type Scenario = 'a' | 'b' | 'c' | 'd' | 'e';

export const OPERATIONS = [
  'get-promise',
  'get-callback',
  'put-promise',
  'put-callback',
  'batchRead-10',
  'batchRead-1000',
  'query-1000',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface OperationResult {
  cpuUsPerOp: number;
  opsPerSec: number;
  ops: number;
  errors: number;
}

export interface ClientResult {
  scenario: Scenario;
  /** Instrumented methods still wrapped on the prototypes (scenario b: 0). */
  wrappedMethods: number;
  results: Partial<Record<Operation, OperationResult>>;
}

type Done = (err: unknown) => void;
/** One operation: returns a promise, or calls `done` (callback forms). */
type Runner =
  | { kind: 'promise'; run(n: number): Promise<unknown> }
  | { kind: 'callback'; run(n: number, done: Done): void };

async function main(): Promise<void> {
  const scenario = argValue('scenario') as Scenario;
  const hosts = argValue('hosts')!;
  const ops = (argValue('ops') ?? OPERATIONS.join(',')).split(
    ','
  ) as Operation[];
  const warmupMs = Number(argValue('warmup') ?? 500);
  const measureMs = Number(argValue('measure') ?? 1500);
  const concurrency = Number(argValue('concurrency') ?? 64);
  // Batches of 1,000 and query streams are 1,000 records each: fewer in
  // flight keeps the embedded server's latency (not our CPU) sane.
  const bigConcurrency = Number(argValue('big-concurrency') ?? 8);

  if (!'abcde'.includes(scenario) || scenario.length !== 1) {
    throw new Error(`unknown scenario ${scenario}`);
  }
  if (scenario === 'd' || scenario === 'e') setupSdk();
  let instrumentation: any;
  if (scenario === 'b' || scenario === 'c' || scenario === 'd') {
    const { AerospikeInstrumentation } = loadInstrumentation();
    instrumentation = new AerospikeInstrumentation();
  }
  const Aerospike = require('aerospike');
  if (scenario === 'b') instrumentation.disable();
  const wrappedMethods = countWrapped(Aerospike);

  const client = await Aerospike.connect(clientConfig(hosts, concurrency));
  const keys = Array.from(
    { length: KEYS },
    (_, i) => new Aerospike.Key(NAMESPACE, KV_SET, i)
  );
  const batch = (size: number, n: number) =>
    Array.from({ length: size }, (_, i) => ({
      type: Aerospike.batchType.BATCH_READ,
      key: keys[(n * size + i) % KEYS],
      readAllBins: true,
    }));
  const batches10 = Array.from({ length: 100 }, (_, n) => batch(10, n));
  const batch1000 = batch(1000, 0);

  const config = clientConfig(hosts, concurrency);
  const [host, port] = config.hosts.split(':');
  const floor = scenario === 'e' ? createFloor(host, Number(port)) : undefined;

  const queryOnce = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const query = client.query(NAMESPACE, QUERY_SET);
      const stream = floor
        ? floor.stream('QUERY', query, () => query.foreach())
        : query.foreach();
      let records = 0;
      stream.on('data', () => {
        records++;
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (records !== QUERY_RECORDS) {
          reject(new Error(`query streamed ${records} records`));
        } else resolve(records);
      });
    });

  const runners: Record<Operation, Runner> = floor
    ? {
        'get-promise': {
          kind: 'promise',
          run: n => {
            const key = keys[n % KEYS];
            return floor.promise('GET', key, () => client.get(key));
          },
        },
        'get-callback': {
          kind: 'callback',
          run: (n, done) => {
            const key = keys[n % KEYS];
            floor.callback('GET', key, done, cb => client.get(key, cb));
          },
        },
        'put-promise': {
          kind: 'promise',
          run: n => {
            const key = keys[n % KEYS];
            return floor.promise('PUT', key, () => client.put(key, BINS));
          },
        },
        'put-callback': {
          kind: 'callback',
          run: (n, done) => {
            const key = keys[n % KEYS];
            floor.callback('PUT', key, done, cb => client.put(key, BINS, cb));
          },
        },
        'batchRead-10': {
          kind: 'promise',
          run: n => {
            const records = batches10[n % 100];
            return floor.promise('BATCH READ', records[0].key, () =>
              client.batchRead(records)
            );
          },
        },
        'batchRead-1000': {
          kind: 'promise',
          run: () =>
            floor.promise('BATCH READ', batch1000[0].key, () =>
              client.batchRead(batch1000)
            ),
        },
        'query-1000': { kind: 'promise', run: queryOnce },
      }
    : {
        'get-promise': {
          kind: 'promise',
          run: n => client.get(keys[n % KEYS]),
        },
        'get-callback': {
          kind: 'callback',
          run: (n, done) => client.get(keys[n % KEYS], done),
        },
        'put-promise': {
          kind: 'promise',
          run: n => client.put(keys[n % KEYS], BINS),
        },
        'put-callback': {
          kind: 'callback',
          run: (n, done) => client.put(keys[n % KEYS], BINS, done),
        },
        'batchRead-10': {
          kind: 'promise',
          run: n => client.batchRead(batches10[n % 100]),
        },
        'batchRead-1000': {
          kind: 'promise',
          run: () => client.batchRead(batch1000),
        },
        'query-1000': { kind: 'promise', run: queryOnce },
      };

  // (d) and (e) run inside a recorded parent span, as a request handler
  // would: callbacks and stream listeners must get that context back.
  const inParent = <T>(fn: () => Promise<T>): Promise<T> => {
    const parent = trace.getTracer('bench').startSpan('request');
    return context
      .with(trace.setSpan(context.active(), parent), fn)
      .finally(() => parent.end());
  };

  const results: ClientResult['results'] = {};
  for (const op of ops) {
    const runner = runners[op];
    const c =
      op === 'batchRead-1000' || op === 'query-1000'
        ? bigConcurrency
        : concurrency;
    await inParent(() => runFor(runner, c, warmupMs));
    const cpu = process.cpuUsage();
    const start = performance.now();
    const { ops: count, errors } = await inParent(() =>
      runFor(runner, c, measureMs)
    );
    const micros = cpuMicros(cpu);
    const elapsed = (performance.now() - start) / 1000;
    results[op] = {
      cpuUsPerOp: micros / count,
      opsPerSec: count / elapsed,
      ops: count,
      errors,
    };
  }
  await client.close();
  const out: ClientResult = { scenario, wrappedMethods, results };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  // The SDK's timers must not hold the process.
  process.exit(0);
}

/** Runs `runner` with `concurrency` workers for `ms`; counts completions. */
function runFor(
  runner: Runner,
  concurrency: number,
  ms: number
): Promise<{ ops: number; errors: number }> {
  const stop = performance.now() + ms;
  let ops = 0;
  let errors = 0;
  if (runner.kind === 'promise') {
    const worker = async (id: number) => {
      for (let n = id; performance.now() < stop; n += concurrency) {
        try {
          await runner.run(n);
        } catch {
          errors++;
        }
        ops++;
      }
    };
    return Promise.all(
      Array.from({ length: concurrency }, (_, i) => worker(i + 1))
    ).then(() => ({ ops, errors }));
  }
  return new Promise(resolve => {
    let live = concurrency;
    const next = (n: number) => {
      if (performance.now() >= stop) {
        if (--live === 0) resolve({ ops, errors });
        return;
      }
      runner.run(n, err => {
        if (err) errors++;
        ops++;
        next(n + concurrency);
      });
    };
    for (let i = 0; i < concurrency; i++) next(i + 1);
  });
}

/** Instrumented methods currently wrapped (shimmer marks `__wrapped`). */
function countWrapped(Aerospike: any): number {
  let wrapped = 0;
  const protos = [
    Aerospike.Client?.prototype,
    Aerospike.Query?.prototype,
    Aerospike.Scan?.prototype,
  ];
  for (const proto of protos) {
    if (!proto) continue;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (typeof value === 'function' && value.__wrapped) wrapped++;
    }
  }
  return wrapped;
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
