/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('batch');
const otherSet = uniqueName('batch-other');

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(clientConfig(backend.hosts));
  for (let i = 0; i < 4; i++) {
    await client.put(key(`k${i}`), { i, name: `n${i}` });
  }
  await client.put(new Aerospike.Key('test', otherSet, 'k0'), { i: 0 });
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

beforeEach(() => {
  telemetry.instrumentation.setConfig({});
  telemetry.resetSpans();
});

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

function onlySpan(): ReadableSpan {
  const spans = telemetry.aerospikeSpans();
  expect(spans.map(s => s.name)).toHaveLength(1);
  return spans[0];
}

function callbackForm(method: string, ...args: unknown[]): Promise<any[]> {
  return new Promise(resolve => {
    client[method](...args, (...cbArgs: unknown[]) => resolve(cbArgs));
  });
}

const present = () => [key('k0'), key('k1'), key('k2')];
const withMissing = () => [...present(), key('missing')];

describe('batch reads', () => {
  it('traces batchRead with batch size and the OK entries as returned rows', async () => {
    const records = withMissing().map(k => ({ key: k, readAllBins: true }));
    const results = await client.batchRead(records);
    expect(results.map((r: any) => r.status)).toEqual([0, 0, 0, 2]);
    const span = onlySpan();
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.name).toBe(`BATCH READ test.${set}`);
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'BATCH READ',
      'db.namespace': 'test',
      'db.collection.name': set,
      'db.operation.batch.size': 4,
      'db.response.returned_rows': 3,
    });
    // Per-key failures do not fail the call.
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it.each([
    ['batchGet', 'BATCH GET', () => [withMissing()]],
    ['batchExists', 'BATCH EXISTS', () => [withMissing()]],
    ['batchSelect', 'BATCH SELECT', () => [withMissing(), ['name']]],
  ])(
    'traces %s as %s in promise and callback forms',
    async (method, operation, args) => {
      const results = await client[method](...args());
      expect(results).toHaveLength(4);
      let span = onlySpan();
      expect(span.name).toBe(`${operation} test.${set}`);
      expect(span.attributes['db.operation.batch.size']).toBe(4);
      expect(span.attributes['db.response.returned_rows']).toBe(3);

      telemetry.resetSpans();
      const [err, cbResults] = await callbackForm(method, ...args());
      expect(err).toBeNull();
      expect(cbResults).toHaveLength(4);
      span = onlySpan();
      expect(span.name).toBe(`${operation} test.${set}`);
      expect(span.attributes['db.response.returned_rows']).toBe(3);
    }
  );

  it('names only the namespace when the keys span several sets', async () => {
    await client.batchGet([
      key('k0'),
      new Aerospike.Key('test', otherSet, 'k0'),
    ]);
    const span = onlySpan();
    expect(span.name).toBe('BATCH GET test');
    expect(span.attributes['db.namespace']).toBe('test');
    expect(span.attributes['db.collection.name']).toBeUndefined();
  });

  it('sets no batch size for a single entry and 0 for an empty batch', async () => {
    await client.batchGet([key('k0')]);
    expect(onlySpan().attributes['db.operation.batch.size']).toBeUndefined();
    telemetry.resetSpans();
    const results = await client.batchRead([]).catch((e: unknown) => e);
    const span = onlySpan();
    expect(span.attributes['db.operation.batch.size']).toBe(0);
    expect(span.name).toBe('BATCH READ');
    if (Array.isArray(results)) {
      expect(span.attributes['db.response.returned_rows']).toBe(0);
    }
  });
});

describe('batch writes', () => {
  it('traces batchWrite with mixed records', async () => {
    const { batchType } = Aerospike;
    const { operations: ops } = Aerospike;
    const results = await client.batchWrite([
      {
        type: batchType.BATCH_WRITE,
        key: key('w1'),
        ops: [ops.write('v', 1)],
      },
      { type: batchType.BATCH_REMOVE, key: key('k3') },
    ]);
    expect(results.map((r: any) => r.status)).toEqual([0, 0]);
    const span = onlySpan();
    expect(span.name).toBe(`BATCH WRITE test.${set}`);
    expect(span.attributes['db.operation.batch.size']).toBe(2);
    expect(span.attributes['db.response.returned_rows']).toBeUndefined();
  });

  it('traces batchRemove', async () => {
    await client.put(key('r1'), { v: 1 });
    await client.put(key('r2'), { v: 1 });
    telemetry.resetSpans();
    const [err] = await callbackForm('batchRemove', [key('r1'), key('r2')]);
    expect(err).toBeNull();
    const span = onlySpan();
    expect(span.name).toBe(`BATCH REMOVE test.${set}`);
    expect(span.attributes['db.operation.batch.size']).toBe(2);
  });
});
