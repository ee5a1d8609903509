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
      'db.query.summary': `GET test.${set}`,
      'server.address': db.serverAddress,
      'server.port': db.serverPort,
    });
    expect(gets!.value.sum).toBeGreaterThan(0);
    const puts = pointFor(metric, { 'db.operation.name': 'PUT' });
    expect(puts?.value.count).toBe(5);
  });

  it('separates failed operations by error.type, status code and node', async () => {
    const metric = await telemetry.metric('db.client.operation.duration');
    const failed = pointFor(metric, {
      'db.operation.name': 'GET',
      'error.type': '2',
    });
    expect(failed?.value.count).toBe(1);
    expect(failed?.attributes['db.response.status_code']).toBe('2');
    // The node the error message names.
    expect(failed?.attributes['network.peer.address']).toEqual(
      expect.any(String)
    );
    expect(failed?.attributes['network.peer.port']).toEqual(expect.any(Number));
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
    // A batchRead of whole records: a batch of GETs.
    const batch = pointFor(metric, { 'db.operation.name': 'BATCH GET' });
    expect(batch?.value.count).toBe(1);
    expect(batch?.value.sum).toBe(2);
    const scan = pointFor(metric, { 'db.operation.name': 'SCAN' });
    expect(scan?.value.sum).toBe(5);
    expect(pointFor(metric, { 'db.operation.name': 'GET' })).toBeUndefined();
  });
});

describe('db.client.connection.count', () => {
  /** `{server.address}:{server.port}`, the first part of the pool names. */
  const target = () =>
    db.serverPort === undefined
      ? db.serverAddress
      : `${db.serverAddress}:${db.serverPort}`;

  function connectionPoints(metric: MetricData | undefined) {
    expect(metric).toBeDefined();
    return metric!.dataPoints as DataPoint<number>[];
  }

  function count(
    metric: MetricData | undefined,
    pool: string,
    state: 'idle' | 'used'
  ): number | undefined {
    return connectionPoints(metric).find(
      p =>
        p.attributes['db.client.connection.pool.name'] === pool &&
        p.attributes['db.client.connection.state'] === state
    )?.value;
  }

  it('reports idle and used connections per node pool of live clients', async () => {
    const metric = await telemetry.metric('db.client.connection.count');
    const states = new Set(
      connectionPoints(metric).map(
        p => p.attributes['db.client.connection.state']
      )
    );
    expect(states).toEqual(new Set(['idle', 'used']));
    const node = db.client.stats().nodes[0];
    const pool = `${target()}/${node.name}/async`;
    expect(count(metric, pool, 'idle')).toBe(node.asyncConnections.inPool);
    expect(count(metric, pool, 'idle')).toBeGreaterThan(0);
    // The other pools, where the client version reports them (5.x and 6.0
    // have no pipeline pool).
    for (const kind of ['sync', 'pipeline']) {
      const stats = node[`${kind}Connections`];
      expect(count(metric, `${target()}/${node.name}/${kind}`, 'used')).toBe(
        stats?.inUse
      );
    }
  });

  it('names a second client of the same seeds apart, and reads 0 for its pools once it is closed', async () => {
    const other = await Aerospike.connect(clientConfig(db.backend.hosts));
    await other.get(key('r0'));
    const nodes: string[] = other.stats().nodes.map((n: any) => n.name);
    const idle = (metric: MetricData | undefined, prefix: string) =>
      nodes.reduce(
        (sum, node) =>
          sum + (count(metric, `${prefix}/${node}/async`, 'idle') ?? 0),
        0
      );
    let metric = await telemetry.metric('db.client.connection.count');
    expect(idle(metric, `${target()}#2`)).toBeGreaterThan(0);
    await other.close();
    metric = await telemetry.metric('db.client.connection.count');
    for (const node of nodes) {
      for (const state of ['idle', 'used'] as const) {
        const pool = `${target()}#2/${node}/async`;
        expect(count(metric, pool, state), pool).toBe(0);
      }
    }
    // The first client's pools are untouched.
    expect(idle(metric, target())).toBeGreaterThan(0);
  });
});
