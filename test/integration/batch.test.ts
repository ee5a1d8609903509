/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { uniqueName } from '../helpers/backend.ts';
import {
  callbackForm,
  onlySpan,
  setupTelemetry,
  useClient,
} from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('batch');
const otherSet = uniqueName('batch-other');

const db = useClient(telemetry, async client => {
  for (let i = 0; i < 4; i++) {
    await client.put(key(`k${i}`), { i, name: `n${i}` });
  }
  await client.put(new Aerospike.Key('test', otherSet, 'k0'), { i: 0 });
});

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

const present = () => [key('k0'), key('k1'), key('k2')];
const withMissing = () => [...present(), key('missing')];

describe('batch reads', () => {
  it('traces batchRead of whole records as BATCH GET, OK entries as returned rows', async () => {
    telemetry.instrumentation.setConfig({ captureReturnedRows: true });
    const records = withMissing().map(k => ({ key: k, readAllBins: true }));
    const results = await db.client.batchRead(records);
    expect(results.map((r: any) => r.status)).toEqual([0, 0, 0, 2]);
    const span = onlySpan(telemetry);
    expect(span.kind).toBe(SpanKind.CLIENT);
    // Every entry is what a get would be: a batch of four GETs.
    expect(span.name).toBe(`BATCH GET test.${set}`);
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'BATCH GET',
      'db.query.summary': `BATCH GET test.${set}`,
      'db.namespace': 'test',
      'db.collection.name': set,
      'db.operation.batch.size': 4,
      'db.response.returned_rows': 3,
    });
    // Per-key failures do not fail the call.
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('names a batchRead of different reads BATCH READ', async () => {
    const records = [
      { key: key('k0'), readAllBins: true },
      { key: key('k1'), bins: ['name'] },
      { key: key('k2'), ops: [Aerospike.operations.read('i')] },
      { key: key('k3') },
    ];
    const results = await db.client.batchRead(records);
    expect(results.map((r: any) => r.status)).toEqual([0, 0, 0, 0]);
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`BATCH READ test.${set}`);
    expect(span.attributes['db.operation.name']).toBe('BATCH READ');
    expect(span.attributes['db.operation.batch.size']).toBe(4);
  });

  it.each([
    ['batchGet', 'BATCH GET', () => [withMissing()]],
    ['batchExists', 'BATCH EXISTS', () => [withMissing()]],
    ['batchSelect', 'BATCH SELECT', () => [withMissing(), ['name']]],
  ])(
    'traces %s as %s in promise and callback forms',
    async (method, operation, args) => {
      telemetry.instrumentation.setConfig({ captureReturnedRows: true });
      const results = await db.client[method](...args());
      expect(results).toHaveLength(4);
      let span = onlySpan(telemetry);
      expect(span.name).toBe(`${operation} test.${set}`);
      expect(span.attributes['db.operation.batch.size']).toBe(4);
      expect(span.attributes['db.response.returned_rows']).toBe(3);

      telemetry.resetSpans();
      const [err, cbResults] = await callbackForm(db.client, method, ...args());
      expect(err).toBeNull();
      expect(cbResults).toHaveLength(4);
      span = onlySpan(telemetry);
      expect(span.name).toBe(`${operation} test.${set}`);
      expect(span.attributes['db.response.returned_rows']).toBe(3);
    }
  );

  it('records no returned rows on the span by default (Opt-In)', async () => {
    await db.client.batchGet(withMissing());
    const span = onlySpan(telemetry);
    expect(span.attributes['db.operation.batch.size']).toBe(4);
    expect(span.attributes['db.response.returned_rows']).toBeUndefined();
  });

  it('names only the namespace when the keys span several sets', async () => {
    await db.client.batchGet([
      key('k0'),
      new Aerospike.Key('test', otherSet, 'k0'),
    ]);
    const span = onlySpan(telemetry);
    expect(span.name).toBe('BATCH GET test');
    expect(span.attributes['db.namespace']).toBe('test');
    expect(span.attributes['db.collection.name']).toBeUndefined();
  });
});

describe('one-entry and empty batches', () => {
  it.each([
    ['batchGet', 'GET', () => [[key('k0')]]],
    ['batchExists', 'EXISTS', () => [[key('k0')]]],
    ['batchSelect', 'SELECT', () => [[key('k0')], ['name']]],
    ['batchRead', 'GET', () => [[{ key: key('k0'), readAllBins: true }]]],
    ['batchRead', 'SELECT', () => [[{ key: key('k0'), bins: ['name'] }]]],
    ['batchRead', 'EXISTS', () => [[{ key: key('k0') }]]],
  ])(
    'models %s of one entry as that one %s, with its key',
    async (method, operation, args) => {
      telemetry.instrumentation.setConfig({ captureKey: true });
      const results = await db.client[method](...args());
      expect(results).toHaveLength(1);
      const span = onlySpan(telemetry);
      expect(span.name).toBe(`${operation} test.${set}`);
      expect(span.attributes['db.operation.name']).toBe(operation);
      expect(span.attributes['db.query.summary']).toBe(
        `${operation} test.${set}`
      );
      expect(span.attributes['db.operation.batch.size']).toBeUndefined();
      expect(span.attributes['db.aerospike.key']).toBe('k0');
    }
  );

  it.each([
    ['batchGet', 'BATCH GET'],
    ['batchRead', 'BATCH READ'],
    ['batchWrite', 'BATCH WRITE'],
  ])(
    'traces %s of nothing as an empty batch: %s, size 0',
    async (method, name) => {
      const results = await db.client[method]([]).catch((e: unknown) => e);
      const span = onlySpan(telemetry);
      expect(span.name).toBe(name);
      expect(span.attributes['db.operation.batch.size']).toBe(0);
      expect(span.attributes['db.namespace']).toBeUndefined();
      expect(Array.isArray(results) ? results : []).toHaveLength(0);
    }
  );
});

describe('batch writes', () => {
  it('traces batchWrite with mixed records as BATCH WRITE', async () => {
    const { batchType } = Aerospike;
    const { operations: ops } = Aerospike;
    const results = await db.client.batchWrite([
      {
        type: batchType.BATCH_WRITE,
        key: key('w1'),
        ops: [ops.write('v', 1)],
      },
      { type: batchType.BATCH_REMOVE, key: key('k3') },
    ]);
    expect(results.map((r: any) => r.status)).toEqual([0, 0]);
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`BATCH WRITE test.${set}`);
    expect(span.attributes['db.operation.name']).toBe('BATCH WRITE');
    expect(span.attributes['db.operation.batch.size']).toBe(2);
    expect(span.attributes['db.response.returned_rows']).toBeUndefined();
  });

  it('names batchWrite records of one type by their operation', async () => {
    const { batchType } = Aerospike;
    const { operations: ops } = Aerospike;
    await db.client.batchWrite([
      { type: batchType.BATCH_WRITE, key: key('w2'), ops: [ops.write('v', 1)] },
      { type: batchType.BATCH_WRITE, key: key('w3'), ops: [ops.write('v', 1)] },
    ]);
    expect(onlySpan(telemetry).name).toBe(`BATCH OPERATE test.${set}`);
    telemetry.resetSpans();
    await db.client.batchWrite([
      { type: batchType.BATCH_REMOVE, key: key('w2') },
    ]);
    const single = onlySpan(telemetry);
    expect(single.name).toBe(`REMOVE test.${set}`);
    expect(single.attributes['db.operation.batch.size']).toBeUndefined();
  });

  it('traces batchRemove', async () => {
    await db.client.put(key('r1'), { v: 1 });
    await db.client.put(key('r2'), { v: 1 });
    telemetry.resetSpans();
    const [err] = await callbackForm(db.client, 'batchRemove', [
      key('r1'),
      key('r2'),
    ]);
    expect(err).toBeNull();
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`BATCH REMOVE test.${set}`);
    expect(span.attributes['db.operation.batch.size']).toBe(2);
  });
});

describe('batch metrics', () => {
  it('records the batch name and summary on the duration histogram', async () => {
    await db.client.batchGet([key('k0'), key('k1')]);
    await db.client.batchGet([key('k0')]);
    const metric = await telemetry.metric('db.client.operation.duration');
    // Spread: TypeScript before 5.2 (contrib's) cannot call filter on a
    // union of array types.
    const names = [...metric!.dataPoints]
      .filter(p => p.attributes['db.collection.name'] === set)
      .map(
        p =>
          `${p.attributes['db.operation.name']}|${p.attributes['db.query.summary']}`
      );
    expect(names).toContain(`BATCH GET|BATCH GET test.${set}`);
    expect(names).toContain(`GET|GET test.${set}`);
    for (const point of metric!.dataPoints) {
      expect(point.attributes['db.operation.batch.size']).toBeUndefined();
    }
  });
});
