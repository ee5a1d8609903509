/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import { eventually, setupTelemetry, useClient } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('stream');
const indexName = uniqueName('idx_age');
const RECORDS = 30;

const db = useClient(telemetry, async client => {
  for (let i = 0; i < RECORDS; i++) {
    await client.put(new Aerospike.Key('test', set, `r${i}`), {
      age: i,
      name: `n${i}`,
    });
  }
  const job = await client.createIntegerIndex({
    ns: 'test',
    set,
    bin: 'age',
    index: indexName,
  });
  await job.wait(50);
});

afterAll(async () => {
  await db.client?.indexRemove('test', indexName).catch(() => {});
});

beforeEach(() => {
  db.backend.embedded?.faults.clear();
  // db.response.returned_rows is Opt-In on spans.
  telemetry.instrumentation.setConfig({ captureReturnedRows: true });
});

function spansNamed(name: string): ReadableSpan[] {
  return telemetry.aerospikeSpans().filter(s => s.name === name);
}

function collect(stream: any): Promise<{ records: any[]; end: unknown }> {
  return new Promise((resolve, reject) => {
    const records: any[] = [];
    stream.on('data', (r: any) => records.push(r));
    stream.on('error', reject);
    stream.on('end', (end: unknown) => resolve({ records, end }));
  });
}

describe('scan', () => {
  it('covers a whole foreach stream with one span and counts the rows', async () => {
    const { records } = await collect(db.client.scan('test', set).foreach());
    expect(records).toHaveLength(RECORDS);
    const spans = telemetry.aerospikeSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].name).toBe(`SCAN test.${set}`);
    expect(spans[0].kind).toBe(SpanKind.CLIENT);
    expect(spans[0].attributes).toMatchObject({
      'db.operation.name': 'SCAN',
      'db.namespace': 'test',
      'db.collection.name': set,
      'db.response.returned_rows': RECORDS,
    });
  });

  it('traces results() as one SCAN span (no nested foreach span)', async () => {
    const records = await db.client.scan('test', set).results();
    expect(records).toHaveLength(RECORDS);
    const spans = telemetry.aerospikeSpans();
    expect(spans.map(s => s.name)).toEqual([`SCAN test.${set}`]);
    expect(spans[0].attributes['db.response.returned_rows']).toBe(RECORDS);
  });

  it('ends the span on abort with the rows delivered so far', async () => {
    const stream = db.client.scan('test', set).foreach();
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', () => {
        seen++;
        if (seen === 5) stream.abort();
      });
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    await eventually(() =>
      expect(spansNamed(`SCAN test.${set}`)).toHaveLength(1)
    );
    const [span] = spansNamed(`SCAN test.${set}`);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['db.response.returned_rows']).toBe(seen);
    expect(seen).toBeGreaterThanOrEqual(5);
  });

  it.skipIf(!onEmbedded)(
    'ends the span with an error when the stream fails mid-way (embedded server only: fault injection)',
    async () => {
      db.backend.embedded!.faults.add({
        kind: 'scan',
        action: { type: 'dropAfter', records: 10 },
      });
      const stream = db.client
        .scan('test', set)
        .foreach(new Aerospike.ScanPolicy({ maxRetries: 0 }));
      const received: any[] = [];
      const error = await new Promise<any>(resolve => {
        stream.on('data', (r: any) => received.push(r));
        stream.on('error', resolve);
        stream.on('end', () => resolve(undefined));
      });
      expect(error).toBeInstanceOf(Aerospike.AerospikeError);
      const [span] = spansNamed(`SCAN test.${set}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe(String(error.code));
      // A broken stream is the client's own code, not a server status.
      expect(error.code).toBeLessThan(0);
      expect(span.attributes['db.response.status_code']).toBeUndefined();
      expect(span.attributes['db.response.returned_rows']).toBe(
        received.length
      );
    }
  );
});

describe('query', () => {
  it('traces a filtered query stream', async () => {
    const query = db.client.query('test', set);
    query.where(Aerospike.filter.range('age', 10, 19));
    const { records } = await collect(query.foreach());
    expect(records).toHaveLength(10);
    const [span] = spansNamed(`QUERY test.${set}`);
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'QUERY',
      'db.response.returned_rows': 10,
    });
  });

  it('traces results() with an equality filter', async () => {
    const query = db.client.query('test', set);
    query.where(Aerospike.filter.equal('age', 7));
    const records = await query.results();
    expect(records.map((r: any) => r.bins.age)).toEqual([7]);
    const spans = telemetry.aerospikeSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['db.response.returned_rows']).toBe(1);
  });

  it('produces one span per page when paginating', async () => {
    const query = db.client.query('test', set, {
      paginate: true,
      maxRecords: 12,
    });
    const pageSizes: number[] = [];
    for (let page = 0; page < 10; page++) {
      const records = await query.results();
      pageSizes.push(records.length);
      if (!query.hasNextPage()) break;
      query.nextPage(query.queryState);
    }
    expect(pageSizes.reduce((a, b) => a + b, 0)).toBe(RECORDS);
    const spans = spansNamed(`QUERY test.${set}`);
    expect(spans).toHaveLength(pageSizes.length);
    expect(spans.map(s => s.attributes['db.response.returned_rows'])).toEqual(
      pageSizes
    );
  });

  it('traces query.operate as QUERY OPERATE', async () => {
    const query = db.client.query('test', set);
    query.where(Aerospike.filter.range('age', 0, 4));
    const job = await query.operate([Aerospike.operations.write('flag', 1)]);
    await job.wait(20);
    const [span] = spansNamed(`QUERY OPERATE test.${set}`);
    expect(span.attributes['db.operation.name']).toBe('QUERY OPERATE');
  });
});

describe('record stream behaviour is unchanged', () => {
  it('leaves the listener set untouched and returns the same stream', async () => {
    const stream = db.client.scan('test', set).foreach();
    expect(stream.listenerCount('error')).toBe(0);
    expect(stream.listenerCount('data')).toBe(0);
    expect(stream.listenerCount('end')).toBe(0);
    await collect(stream);
  });
});
