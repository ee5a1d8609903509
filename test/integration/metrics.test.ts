/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import type {
  DataPoint,
  Histogram,
  MetricData,
} from '@opentelemetry/sdk-metrics';
import { uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry, useClient } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('metrics');

const db = useClient(telemetry, async client => {
  for (let i = 0; i < 5; i++) await client.put(key(`r${i}`), { i });
  await client.get(key('r0'));
  await client.get(key('r1'));
  await client.get(key('missing')).catch(() => {});
  await client.batchRead(
    [key('r0'), key('r1'), key('missing')].map(k => ({
      key: k,
      readAllBins: true,
    }))
  );
  await client.scan('test', set).results();
});

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

function points(metric: MetricData | undefined) {
  expect(metric).toBeDefined();
  return metric!.dataPoints as DataPoint<Histogram>[];
}

function pointFor(
  metric: MetricData | undefined,
  attributes: Record<string, unknown>
): DataPoint<Histogram> | undefined {
  return points(metric).find(p =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)
  );
}

describe('db.client.operation.duration', () => {
  it('is a histogram in seconds with the semantic-convention buckets', async () => {
    const metric = await telemetry.metric('db.client.operation.duration');
    expect(metric?.descriptor.unit).toBe('s');
    expect(metric?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [point] = points(metric);
    expect(point.value.buckets.boundaries).toEqual([
      0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
    ]);
  });

  it('records one point per operation with the connection and target attributes', async () => {
    const metric = await telemetry.metric('db.client.operation.duration');
    const gets = pointFor(metric, {
      'db.operation.name': 'GET',
      'error.type': undefined,
    });
    expect(gets?.value.count).toBe(2);
    expect(gets?.attributes).toEqual({
      'db.system.name': 'aerospike',
      'db.namespace': 'test',
      'db.collection.name': set,
      'db.operation.name': 'GET',
      'server.address': db.serverAddress,
      'server.port': db.serverPort,
    });
    expect(gets!.value.sum).toBeGreaterThan(0);
    const puts = pointFor(metric, { 'db.operation.name': 'PUT' });
    expect(puts?.value.count).toBe(5);
  });

  it('separates failed operations by error.type and status code', async () => {
    const metric = await telemetry.metric('db.client.operation.duration');
    const failed = pointFor(metric, {
      'db.operation.name': 'GET',
      'error.type': 'ERR_RECORD_NOT_FOUND',
    });
    expect(failed?.value.count).toBe(1);
    expect(failed?.attributes['db.response.status_code']).toBe('2');
  });

  it('never carries a key or a bin value', async () => {
    const metric = await telemetry.metric('db.client.operation.duration');
    const text = JSON.stringify(points(metric).map(p => p.attributes));
    expect(text).not.toContain('r0');
    expect(text).not.toContain('missing');
  });
});

describe('db.client.response.returned_rows', () => {
  it('records rows of batch reads and scans', async () => {
    const metric = await telemetry.metric('db.client.response.returned_rows');
    const batch = pointFor(metric, { 'db.operation.name': 'BATCH READ' });
    expect(batch?.value.count).toBe(1);
    expect(batch?.value.sum).toBe(2);
    const scan = pointFor(metric, { 'db.operation.name': 'SCAN' });
    expect(scan?.value.sum).toBe(5);
    expect(pointFor(metric, { 'db.operation.name': 'GET' })).toBeUndefined();
  });
});

describe('db.client.connection.count', () => {
  it('reports idle and used connections per node pool of live clients', async () => {
    const metric = await telemetry.metric('db.client.connection.count');
    expect(metric).toBeDefined();
    const dataPoints = metric!.dataPoints as DataPoint<number>[];
    const states = new Set(
      dataPoints.map(p => p.attributes['db.client.connection.state'])
    );
    expect(states).toEqual(new Set(['idle', 'used']));
    const stats = db.client.stats();
    const node = stats.nodes[0];
    const asyncIdle = dataPoints.find(
      p =>
        p.attributes['db.client.connection.pool.name'] ===
          `${node.name}:async` &&
        p.attributes['db.client.connection.state'] === 'idle'
    );
    expect(asyncIdle?.value).toBe(node.asyncConnections.inPool);
    expect(asyncIdle!.value).toBeGreaterThan(0);
  });

  it('stops reporting a client once it is closed', async () => {
    const other = await Aerospike.connect(clientConfig(db.backend.hosts));
    await other.get(key('r0'));
    let metric = await telemetry.metric('db.client.connection.count');
    const before = (metric!.dataPoints as DataPoint<number>[]).length;
    await other.close();
    metric = await telemetry.metric('db.client.connection.count');
    const after = (metric!.dataPoints as DataPoint<number>[]).filter(
      p => p.value !== undefined
    ).length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
