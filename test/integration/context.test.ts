/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterEach, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import { setupTelemetry, useClient } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('context');
const tracer = telemetry.tracerProvider.getTracer('test');

const db = useClient(telemetry, async client => {
  for (let i = 0; i < 5; i++) {
    await client.put(new Aerospike.Key('test', set, `r${i}`), { i });
  }
});

const key = (id: string) => new Aerospike.Key('test', set, id);

function inParent<T>(parent: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), parent), fn);
}

describe('context in callbacks and stream handlers', () => {
  it('runs a callback in the caller context, so spans started there nest under the caller', async () => {
    const parent = telemetry.startParent('caller');
    const seen = await new Promise<{ active?: Span; child: Span }>(resolve => {
      inParent(parent, () => {
        db.client.get(key('r1'), () => {
          const child = tracer.startSpan('in-callback');
          child.end();
          resolve({ active: trace.getActiveSpan(), child });
        });
      });
    });
    parent.end();
    expect(seen.active).toBe(parent);
    const child = telemetry.spans().find(s => s.name === 'in-callback') as any;
    expect(child.parentSpanContext.spanId).toBe(parent.spanContext().spanId);
    const [getSpan] = telemetry.aerospikeSpans();
    expect(getSpan.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('keeps the caller context after await in the promise form', async () => {
    const parent = telemetry.startParent('caller');
    const active = await inParent(parent, async () => {
      await db.client.get(key('r2'));
      return trace.getActiveSpan();
    });
    parent.end();
    expect(active).toBe(parent);
  });

  it('runs stream data and end handlers in the caller context', async () => {
    const parent = telemetry.startParent('caller');
    const seen: Array<Span | undefined> = [];
    await new Promise<void>((resolve, reject) => {
      inParent(parent, () => {
        const stream = db.client.scan('test', set).foreach();
        stream.on('data', () => seen.push(trace.getActiveSpan()));
        stream.on('error', reject);
        stream.on('end', () => {
          seen.push(trace.getActiveSpan());
          resolve();
        });
      });
    });
    parent.end();
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(seen.every(s => s === parent)).toBe(true);
    const scanSpan = telemetry
      .aerospikeSpans()
      .find(s => s.name === `SCAN test.${set}`);
    expect(scanSpan?.parentSpanContext?.spanId).toBe(
      parent.spanContext().spanId
    );
  });

  it('runs handlers passed to foreach in the caller context', async () => {
    const parent = telemetry.startParent('caller');
    const seen: Array<Span | undefined> = [];
    await new Promise<void>((resolve, reject) => {
      inParent(parent, () => {
        db.client.scan('test', set).foreach(
          undefined,
          () => seen.push(trace.getActiveSpan()),
          reject,
          () => resolve()
        );
      });
    });
    parent.end();
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.every(s => s === parent)).toBe(true);
  });
});

describe('stream handlers added late or on failure', () => {
  afterEach(() => {
    db.backend.embedded?.faults.clear();
  });

  it('runs a data handler added after the first record in the caller context', async () => {
    const parent = telemetry.startParent('caller');
    const late: Array<Span | undefined> = [];
    await new Promise<void>((resolve, reject) => {
      inParent(parent, () => {
        const stream = db.client.scan('test', set).foreach();
        stream.once('data', () => {
          stream.on('data', () => late.push(trace.getActiveSpan()));
        });
        stream.on('error', reject);
        stream.on('end', () => resolve());
      });
    });
    parent.end();
    expect(late.length).toBeGreaterThanOrEqual(4);
    expect(late.every(s => s === parent)).toBe(true);
  });

  it.skipIf(!onEmbedded)(
    'runs the error handler of a failing stream in the caller context (embedded server only: fault injection)',
    async () => {
      db.backend.embedded!.faults.add({
        kind: 'scan',
        action: { type: 'dropAfter', records: 2 },
      });
      const parent = telemetry.startParent('caller');
      const seen = await new Promise<Span | undefined>(resolve => {
        inParent(parent, () => {
          const stream = db.client
            .scan('test', set)
            .foreach(new Aerospike.ScanPolicy({ maxRetries: 0 }));
          stream.on('data', () => {});
          stream.on('error', () => resolve(trace.getActiveSpan()));
          stream.on('end', () => resolve(undefined));
        });
      });
      parent.end();
      expect(seen).toBe(parent);
    }
  );
});

describe('suppression and requireParentSpan', () => {
  it('creates no span while tracing is suppressed', async () => {
    await context.with(suppressTracing(context.active()), async () => {
      await db.client.get(key('r1'));
      await new Promise(resolve => db.client.get(key('r1'), resolve));
    });
    expect(telemetry.aerospikeSpans()).toHaveLength(0);
  });

  it('skips operations without a parent when requireParentSpan is set', async () => {
    telemetry.instrumentation.setConfig({ requireParentSpan: true });
    await db.client.get(key('r1'));
    expect(telemetry.aerospikeSpans()).toHaveLength(0);

    const parent = telemetry.startParent();
    await inParent(parent, () => db.client.get(key('r1')));
    parent.end();
    const spans = telemetry.aerospikeSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].parentSpanContext?.spanId).toBe(
      parent.spanContext().spanId
    );
  });

  it('creates a root span when there is no parent by default', async () => {
    await db.client.get(key('r1'));
    const [span] = telemetry.aerospikeSpans();
    expect(span.parentSpanContext).toBeUndefined();
  });
});
