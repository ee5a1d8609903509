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
  it('traces batchRead with batch size and the OK entries as returned rows', async () => {
    const records = withMissing().map(k => ({ key: k, readAllBins: true }));
    const results = await db.client.batchRead(records);
    expect(results.map((r: any) => r.status)).toEqual([0, 0, 0, 2]);
    const span = onlySpan(telemetry);
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

  it('sets no batch size for a single entry and 0 for an empty batch', async () => {
    await db.client.batchGet([key('k0')]);
    expect(
      onlySpan(telemetry).attributes['db.operation.batch.size']
    ).toBeUndefined();
    telemetry.resetSpans();
    const results = await db.client.batchRead([]).catch((e: unknown) => e);
    const span = onlySpan(telemetry);
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
    expect(span.attributes['db.operation.batch.size']).toBe(2);
    expect(span.attributes['db.response.returned_rows']).toBeUndefined();
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
