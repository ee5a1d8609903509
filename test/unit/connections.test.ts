/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ClientLike, ClientStatsLike } from '../../src/internal-types';
import { ConnectionPools, poolName } from '../../src/connections';

class Reader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

type Nodes = NonNullable<ClientStatsLike['nodes']>;

function node(name: string, idle: number, used: number) {
  return {
    name,
    syncConnections: { inPool: 0, inUse: 0 },
    asyncConnections: { inPool: idle, inUse: used },
    pipelineConnections: { inPool: 0, inUse: 0 },
  };
}

/** A client whose cluster the test changes between collections. */
function fakeClient(nodes: Nodes) {
  const client = {
    nodes,
    connected: true,
    statsCalls: 0,
    isConnected: () => client.connected,
    stats: () => {
      client.statsCalls++;
      return { nodes: client.nodes };
    },
  };
  return client;
}

/** The real SDK reading `pools` through an observable up-down counter. */
function sdk(
  pools: ConnectionPools,
  temporality = AggregationTemporality.CUMULATIVE
) {
  const reader = new Reader(temporality);
  const provider = new MeterProvider({ readers: [reader] });
  const errors: unknown[] = [];
  provider
    .getMeter('test')
    .createObservableUpDownCounter('db.client.connection.count')
    .addCallback(result => pools.observe(result, err => errors.push(err)));
  return {
    errors,
    /** Collects once: `{ 'pool state': value }`. */
    async collect(): Promise<Record<string, number>> {
      const { resourceMetrics } = await reader.collect();
      const points: Record<string, number> = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            const a = point.attributes;
            points[
              `${a['db.client.connection.pool.name']} ${a['db.client.connection.state']}`
            ] = point.value as number;
          }
        }
      }
      return points;
    },
  };
}

const info = { serverAddress: '10.0.0.1', serverPort: 3000 };
const A = (kind = 'async') => poolName('10.0.0.1:3000', 'A', kind);
const B = (kind = 'async') => poolName('10.0.0.1:3000', 'B', kind);

describe('ConnectionPools', () => {
  it('names pools {server.address}:{server.port}/{node}/{kind}', () => {
    expect(A()).toBe('10.0.0.1:3000/A/async');
  });

  it('observes each pool of each node, idle and used', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([node('A', 3, 1)]);
    pools.register(client as ClientLike, info);
    const points = await sdk(pools).collect();
    expect(points).toEqual({
      [`${A('sync')} idle`]: 0,
      [`${A('sync')} used`]: 0,
      [`${A()} idle`]: 3,
      [`${A()} used`]: 1,
      [`${A('pipeline')} idle`]: 0,
      [`${A('pipeline')} used`]: 0,
    });
  });

  it('exports 0 for a node that left (cumulative), and its counts again when it is back', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([node('A', 3, 1), node('B', 30, 2)]);
    pools.register(client as ClientLike, info);
    const reader = sdk(pools);
    expect((await reader.collect())[`${B()} used`]).toBe(2);

    client.nodes = [node('A', 4, 0)];
    const afterLoss = await reader.collect();
    expect(afterLoss[`${A()} idle`]).toBe(4);
    expect(afterLoss[`${B()} idle`]).toBe(0);
    expect(afterLoss[`${B()} used`]).toBe(0);
    // Observed once as 0: whatever the SDK keeps exporting says 0 (this SDK
    // keeps the last value of a series no longer observed).
    const later = await reader.collect();
    expect(later[`${B()} idle`] ?? 0).toBe(0);
    expect(later[`${B()} used`] ?? 0).toBe(0);

    client.nodes = [node('A', 4, 0), node('B', 5, 1)];
    const back = await reader.collect();
    expect(back[`${B()} idle`]).toBe(5);
    expect(back[`${B()} used`]).toBe(1);
    expect(reader.errors).toEqual([]);
  });

  it('exports the drop once with delta temporality', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([node('A', 3, 1), node('B', 30, 2)]);
    pools.register(client as ClientLike, info);
    const reader = sdk(pools, AggregationTemporality.DELTA);
    await reader.collect();
    client.nodes = [node('A', 3, 1)];
    const drop = await reader.collect();
    expect(drop[`${B()} idle`]).toBe(-30);
    expect(drop[`${B()} used`]).toBe(-2);
    expect(`${B()} idle` in (await reader.collect())).toBe(false);
  });

  it('reads 0 for every pool of a client once it is closed, without calling stats()', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([node('A', 3, 1)]);
    pools.register(client as ClientLike, info);
    const reader = sdk(pools);
    await reader.collect();
    const calls = client.statsCalls;
    client.connected = false;
    const closed = await reader.collect();
    expect(closed[`${A()} idle`]).toBe(0);
    expect(closed[`${A()} used`]).toBe(0);
    expect(client.statsCalls).toBe(calls);
  });

  it('keeps the last counts when stats() throws, and reports the error', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([node('A', 3, 1)]);
    pools.register(client as ClientLike, info);
    const reader = sdk(pools);
    await reader.collect();
    client.stats = () => {
      throw new Error('stats broke');
    };
    const points = await reader.collect();
    expect(points[`${A()} idle`]).toBe(3);
    expect(reader.errors).toHaveLength(1);
  });

  it('keeps pool names unique for two clients of the same seeds', async () => {
    const pools = new ConnectionPools();
    pools.register(fakeClient([node('A', 1, 0)]) as ClientLike, info);
    pools.register(fakeClient([node('A', 2, 0)]) as ClientLike, info);
    pools.register(fakeClient([node('A', 7, 0)]) as ClientLike, {
      serverAddress: 'a.example,b.example',
    });
    const points = await sdk(pools).collect();
    expect(points[`10.0.0.1:3000/A/async idle`]).toBe(1);
    expect(points[`10.0.0.1:3000#2/A/async idle`]).toBe(2);
    expect(points[`a.example,b.example/A/async idle`]).toBe(7);
  });

  it('survives junk in stats()', async () => {
    const pools = new ConnectionPools();
    const client = fakeClient([
      null,
      { name: undefined, asyncConnections: {} },
    ] as unknown as Nodes);
    pools.register(client as ClientLike, {});
    const points = await sdk(pools).collect();
    expect(points).toEqual({
      'unknown/unknown/async idle': 0,
      'unknown/unknown/async used': 0,
    });
  });
});
