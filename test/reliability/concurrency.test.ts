/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, eventually, setupTelemetry } from '../helpers/otel.ts';
import { Semaphore, runBounded } from './spans.ts';

// (4) Concurrency and context: 10,000 operations, up to 400 in flight,
// started under 100 distinct parent spans in callback, promise and stream
// forms. Every Aerospike span has its caller's parent, and every callback,
// promise continuation and stream handler runs in its caller's context.

const OPS = 10_000;
const PARENTS = 100;
const IN_FLIGHT = 400;
/**
 * Scans in flight at once. A node runs at most query-threads-limit (128)
 * scan/query threads, up to single-query-threads (4) per scan, and refuses
 * more scans with code 22: 16 scans hold at most 64, leaving room for the
 * suites that share the server.
 */
const STREAMS_IN_FLIGHT = 16;
const RECORDS = 6;

const opOfPolicy = new WeakMap<object, number>();
const telemetry = setupTelemetry();
const { Aerospike, instrumentation } = telemetry;
const set = uniqueName('concurrency');

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(
    clientConfig(backend.hosts, { maxConnsPerNode: IN_FLIGHT + 100 })
  );
  for (let i = 0; i < RECORDS; i++) {
    await client.put(new Aerospike.Key('test', set, i), { i });
  }
});

afterAll(async () => {
  instrumentation.setConfig({});
  await client?.close();
  await backend?.close();
});

type Form = 'callback' | 'promise' | 'stream';

/** Runs op `i`; returns the active span seen in each handler it ran. */
function operation(
  i: number,
  policy: object
): { form: Form; seen: Promise<Array<Span | undefined>> } {
  const k = new Aerospike.Key('test', set, i % RECORDS);
  const kind = i % 10;
  if (kind === 9) {
    const seen: Array<Span | undefined> = [];
    const stream = client.scan('test', set).foreach(policy);
    return {
      form: 'stream',
      seen: new Promise((resolve, reject) => {
        stream.on('data', () => seen.push(trace.getActiveSpan()));
        stream.on('error', reject);
        stream.on('end', () => {
          seen.push(trace.getActiveSpan());
          resolve(seen);
        });
      }),
    };
  }
  if (kind % 2 === 0) {
    const calls = [
      (cb: any) => client.get(k, policy, cb),
      (cb: any) => client.put(k, { i }, {}, policy, cb),
      (cb: any) =>
        client.operate(k, [Aerospike.operations.read('i')], {}, policy, cb),
      (cb: any) => client.batchGet([k], policy, cb),
      (cb: any) => client.exists(k, policy, cb),
    ];
    return {
      form: 'callback',
      seen: new Promise((resolve, reject) => {
        calls[kind / 2]((err: unknown) => {
          if (err) reject(err);
          else resolve([trace.getActiveSpan()]);
        });
      }),
    };
  }
  const calls = [
    () => client.get(k, policy),
    () => client.put(k, { i }, {}, policy),
    () => client.batchRead([{ key: k, readAllBins: true }], policy),
    () => client.select(k, ['i'], policy),
  ];
  return {
    form: 'promise',
    seen: calls[(kind - 1) / 2]().then(() => [trace.getActiveSpan()]),
  };
}

describe('context under concurrency', () => {
  it('gives every span its caller as parent and every handler its caller context', async () => {
    instrumentation.setConfig({
      // Tags each span with the operation that started it (its policy
      // object is unique), without reading the context under test.
      requestHook: (span, info) => {
        for (const arg of info.args) {
          if (arg !== null && typeof arg === 'object') {
            const op = opOfPolicy.get(arg);
            if (op !== undefined) span.setAttribute('test.op', op);
          }
        }
      },
    });
    telemetry.resetSpans();
    const parents = Array.from({ length: PARENTS }, (_, p) =>
      telemetry.startParent(`parent-${p}`)
    );
    const forms: Record<Form, number> = { callback: 0, promise: 0, stream: 0 };
    let handlers = 0;
    let wrongContext = 0;
    const streamSlots = new Semaphore(STREAMS_IN_FLIGHT);
    await runBounded(OPS, IN_FLIGHT, async i => {
      const release =
        i % 10 === 9 ? await streamSlots.acquire() : () => undefined;
      try {
        const parent = parents[i % PARENTS];
        const policy = { totalTimeout: 10_000 };
        opOfPolicy.set(policy, i);
        const { form, seen } = context.with(
          trace.setSpan(context.active(), parent),
          () => operation(i, policy)
        );
        forms[form]++;
        for (const active of await seen) {
          handlers++;
          if (active !== parent) wrongContext++;
        }
      } finally {
        release();
      }
    });
    for (const parent of parents) parent.end();

    await eventually(() =>
      expect(telemetry.aerospikeSpans().length).toBeGreaterThanOrEqual(OPS)
    );
    const spans = telemetry.aerospikeSpans();
    const spansOfOp = new Map<number, number>();
    let wrongParent = 0;
    for (const span of spans) {
      const op = span.attributes['test.op'] as number;
      expect(op, span.name).toBeTypeOf('number');
      spansOfOp.set(op, (spansOfOp.get(op) ?? 0) + 1);
      const parent = parents[op % PARENTS].spanContext();
      if (
        span.parentSpanContext?.spanId !== parent.spanId ||
        span.spanContext().traceId !== parent.traceId
      ) {
        wrongParent++;
      }
    }
    console.log(
      `concurrency: ${OPS} operations (${JSON.stringify(forms)}) under ` +
        `${PARENTS} parents, ${IN_FLIGHT} in flight (${STREAMS_IN_FLIGHT} ` +
        `scans); ${spans.length} spans, ` +
        `${wrongParent} with a wrong parent; ${handlers} handler runs, ` +
        `${wrongContext} in a wrong context`
    );
    expect(spans).toHaveLength(OPS);
    expect(spansOfOp.size).toBe(OPS);
    expect([...spansOfOp.values()].every(n => n === 1)).toBe(true);
    expect(wrongParent).toBe(0);
    expect(wrongContext).toBe(0);
    expect(forms.stream).toBeGreaterThan(0);
    expect(handlers).toBeGreaterThan(OPS);
  }, 60_000);
});
