/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { context, trace } from '@opentelemetry/api';
import {
  argValue,
  BINS,
  clientConfig,
  KEYS,
  KV_SET,
  loadInstrumentation,
  NAMESPACE,
  require,
  setupSdk,
} from './common.ts';

// Heap growth over N recorded operations (scenario d), in its own process:
//   node --expose-gc bench/memory.ts --hosts H --ops 200000
// Mixes get and put, promise and callback forms, inside a parent span.
// Prints `RESULT {json}` with the heap used after full GCs before and after.

const gc = (globalThis as { gc?: () => void }).gc;

async function fullGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await new Promise(r => setImmediate(r));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  const hosts = argValue('hosts')!;
  const total = Number(argValue('ops') ?? 200_000);
  const concurrency = 64;
  const sdk = setupSdk();
  const { AerospikeInstrumentation } = loadInstrumentation();
  new AerospikeInstrumentation();
  const Aerospike = require('aerospike');
  const client = await Aerospike.connect(clientConfig(hosts, concurrency));
  const keys = Array.from(
    { length: KEYS },
    (_, i) => new Aerospike.Key(NAMESPACE, KV_SET, i)
  );

  const one = (n: number): Promise<unknown> => {
    const key = keys[n % KEYS];
    switch (n & 3) {
      case 0:
        return client.get(key);
      case 1:
        return client.put(key, BINS);
      case 2:
        return new Promise((resolve, reject) =>
          client.get(key, (e: unknown, r: unknown) =>
            e ? reject(e) : resolve(r)
          )
        );
      default:
        return new Promise((resolve, reject) =>
          client.put(key, BINS, (e: unknown, r: unknown) =>
            e ? reject(e) : resolve(r)
          )
        );
    }
  };
  const run = (count: number) => {
    const parent = trace.getTracer('bench').startSpan('request');
    let next = 0;
    const worker = async () => {
      while (next < count) await one(next++);
    };
    return context
      .with(trace.setSpan(context.active(), parent), () =>
        Promise.all(Array.from({ length: concurrency }, worker))
      )
      .finally(() => parent.end());
  };

  await run(Math.min(20_000, total));
  await sdk.tracerProvider.forceFlush();
  const before = await fullGc();
  const start = performance.now();
  await run(total);
  const seconds = (performance.now() - start) / 1000;
  await sdk.tracerProvider.forceFlush();
  const after = await fullGc();
  await client.close();
  process.stdout.write(
    `RESULT ${JSON.stringify({ ops: total, before, after, seconds })}\n`
  );
  process.exit(0);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
