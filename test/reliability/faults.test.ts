/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { onEmbedded, startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, eventually, setupTelemetry } from '../helpers/otel.ts';
import { CountingSpanProcessor, prng, runBounded } from './spans.ts';

// (2) Faults: 10,000 mixed operations (callback, promise and stream forms),
// 10% of them aimed at data that fault rules delay beyond the timeout, drop
// before the reply, cut mid-stream or answer with a forced code. Every
// operation must produce exactly one span, ended exactly once, ERROR with
// the right error.type exactly when the application saw an error.

const telemetry = setupTelemetry();
const { Aerospike, instrumentation } = telemetry;
const counting = new CountingSpanProcessor();
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [counting, new SimpleSpanProcessor({ exporter })],
});
instrumentation.setTracerProvider(provider);
const tracer = provider.getTracer('faults-test');

const OPS = 10_000;
const FAULT_RATE = 0.1;
const CONCURRENCY = 48;
const RECORDS = 8;
const okSet = uniqueName('ok');
const sets = {
  delay: uniqueName('delay'),
  drop: uniqueName('drop'),
  code: uniqueName('code'),
  cut: uniqueName('cut'),
};
type Fault = keyof typeof sets | 'none';
const FAULTS: Fault[] = ['delay', 'drop', 'code', 'cut'];
const FORCED_CODE = 22; // ERR_ALWAYS_FORBIDDEN

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(
    clientConfig(backend.hosts, {
      maxConnsPerNode: 400,
      // Dropped connections and timeouts trip the client's circuit breaker
      // (code -14, failing healthy commands too) beyond 100 errors per
      // window (the client refuses a higher ratio): shorten the window.
      maxErrorRate: 100,
      errorRateWindow: 1,
      tenderInterval: 250,
    })
  );
  instrumentation.disable();
  for (const set of [okSet, ...Object.values(sets)]) {
    for (let i = 0; i < RECORDS; i++) {
      await client.put(new Aerospike.Key('test', set, i), { i, s: `v${i}` });
    }
  }
  instrumentation.enable();
});

afterAll(async () => {
  backend?.embedded?.faults.clear();
  // Closing the client while the server still holds delayed replies to
  // commands that already timed out crashes the native client (SIGSEGV in
  // about half the runs, with or without the instrumentation): let the
  // delays run out first.
  await new Promise(resolve => setTimeout(resolve, 600));
  await client?.close();
  await backend?.close();
});

interface Outcome {
  op: string;
  fault: Fault;
  form: 'promise' | 'callback' | 'stream';
  error?: any;
}

const short = { totalTimeout: 30, socketTimeout: 30, maxRetries: 0 };
const normal = { totalTimeout: 2000, maxRetries: 0 };

/** One operation; resolves with what the application observed. */
function operation(i: number, fault: Fault, pick: number): Promise<Outcome> {
  const set = fault === 'none' ? okSet : sets[fault];
  const policy = fault === 'delay' ? short : normal;
  const k = (n: number) => new Aerospike.Key('test', set, n % RECORDS);
  const keys = [k(i), k(i + 1), k(i + 2)];
  const useCallback = i % 2 === 1;
  const ops = [
    ['get', (...cb: any[]) => client.get(k(i), policy, ...cb)],
    ['put', (...cb: any[]) => client.put(k(i), { i }, {}, policy, ...cb)],
    [
      'operate',
      (...cb: any[]) =>
        client.operate(
          k(i),
          [Aerospike.operations.incr('i', 1)],
          {},
          policy,
          ...cb
        ),
    ],
    ['exists', (...cb: any[]) => client.exists(k(i), policy, ...cb)],
    ['select', (...cb: any[]) => client.select(k(i), ['s'], policy, ...cb)],
    ['batchGet', (...cb: any[]) => client.batchGet(keys, policy, ...cb)],
    [
      'batchRead',
      (...cb: any[]) =>
        client.batchRead(
          keys.map(key => ({ key, readAllBins: true })),
          policy,
          ...cb
        ),
    ],
    ['scan', undefined],
  ] as const;
  const [op, call] = ops[Math.floor(pick * ops.length)];
  if (call === undefined) {
    return new Promise(resolve => {
      const stream = client.scan('test', set).foreach(policy);
      stream.on('data', () => {});
      stream.on('error', (error: unknown) =>
        resolve({ op, fault, form: 'stream', error })
      );
      stream.on('end', () => resolve({ op, fault, form: 'stream' }));
    });
  }
  if (useCallback) {
    return new Promise(resolve => {
      call((error: unknown) =>
        resolve({ op, fault, form: 'callback', error: error ?? undefined })
      );
    });
  }
  return (call() as Promise<unknown>).then(
    () => ({ op, fault, form: 'promise' }),
    (error: unknown) => ({ op, fault, form: 'promise', error })
  );
}

describe.skipIf(!onEmbedded)('spans under faults (embedded only)', () => {
  it('ends every span exactly once, ERROR with the right type when the call failed', async () => {
    const faults = backend.embedded!.faults;
    faults.add({ set: sets.delay, action: { type: 'delay', ms: 150 } });
    faults.add({ set: sets.drop, action: { type: 'drop' } });
    faults.add({
      set: sets.code,
      action: { type: 'error', code: FORCED_CODE },
    });
    faults.add({ set: sets.cut, action: { type: 'dropAfter', records: 1 } });
    counting.reset();
    exporter.reset();

    const random = prng(20240611);
    const outcomes: Outcome[] = new Array(OPS);
    const parents: string[] = new Array(OPS);
    await runBounded(OPS, CONCURRENCY, async i => {
      const fault =
        random() < FAULT_RATE ? FAULTS[Math.floor(random() * 4)] : 'none';
      const pick = random();
      const parent = tracer.startSpan(`op-${i}`);
      parents[i] = parent.spanContext().spanId;
      outcomes[i] = await context.with(
        trace.setSpan(context.active(), parent),
        () => operation(i, fault, pick)
      );
      parent.end();
    });

    // Zero spans left open.
    await eventually(() => expect(counting.ended).toBe(counting.started));
    expect(counting.open.size).toBe(0);
    expect(counting.endedTwice()).toBe(0);

    const scope = instrumentation.instrumentationName;
    const byParent = new Map<string, ReadableSpan[]>();
    for (const span of exporter.getFinishedSpans()) {
      if (span.instrumentationScope.name !== scope) continue;
      const parentId = span.parentSpanContext?.spanId ?? 'none';
      const list = byParent.get(parentId) ?? [];
      list.push(span);
      byParent.set(parentId, list);
    }

    const tally: Record<string, number> = {};
    let failed = 0;
    let faulted = 0;
    for (let i = 0; i < OPS; i++) {
      const outcome = outcomes[i];
      const spans = byParent.get(parents[i]) ?? [];
      const label = `op ${i} ${outcome.op} ${outcome.form} fault=${outcome.fault}`;
      expect(spans.length, label).toBe(1);
      const [span] = spans;
      if (outcome.fault !== 'none') faulted++;
      const error = outcome.error;
      if (error) {
        failed++;
        tally[`${outcome.fault}:${error.code}`] =
          (tally[`${outcome.fault}:${error.code}`] ?? 0) + 1;
        expect(span.status.code, label).toBe(SpanStatusCode.ERROR);
        expect(span.status.message, label).toBe(error.message);
        // error.type is the status code; db.response.status_code only a
        // server's (positive) one.
        expect(span.attributes['error.type'], label).toBe(String(error.code));
        expect(span.attributes['db.response.status_code'], label).toBe(
          error.code > 0 ? String(error.code) : undefined
        );
        expect(span.events.filter(e => e.name === 'exception')).toHaveLength(1);
      } else {
        expect(span.status.code, label).toBe(SpanStatusCode.UNSET);
        expect(span.attributes['error.type'], label).toBeUndefined();
      }
    }
    // The faults did bite: every forced code came back, drops and delays
    // failed.
    const codesOf = (fault: Fault) =>
      Object.keys(tally)
        .filter(k => k.startsWith(`${fault}:`))
        .map(k => Number(k.split(':')[1]));
    expect(codesOf('code')).toContain(FORCED_CODE);
    expect(codesOf('delay')).toContain(Aerospike.status.ERR_TIMEOUT);
    expect(codesOf('drop').length).toBeGreaterThan(0);
    expect(codesOf('cut').length).toBeGreaterThan(0);
    expect(faulted).toBeGreaterThan(OPS * 0.08);

    // One duration measurement per operation.
    const duration = await telemetry.metric('db.client.operation.duration');
    const measured = (duration?.dataPoints ?? []).reduce(
      (sum, p: any) => sum + p.value.count,
      0
    );
    expect(measured).toBe(OPS);

    console.log(
      `faults: ${OPS} operations, ${faulted} faulted, ${failed} failed; ` +
        `spans started ${counting.started}, ended ${counting.ended}, ` +
        `open ${counting.open.size}, ended twice ${counting.endedTwice()}; ` +
        `failures by fault:code ${JSON.stringify(tally)}`
    );
    faults.clear();
  }, 60_000);
});
