/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { onLoopback, startBackend, uniqueName } from '../helpers/backend.ts';

import type { Backend } from '../helpers/backend.ts';
import { clientConfig, onlySpan, setupTelemetry } from '../helpers/otel.ts';

// server.address names the configured seeds, stable whichever node serves an
// operation; network.peer.* names the node, where the client says which
// (semantic-conventions #4058). A client connects with several seeds that
// all lead to the one test server: the client tries them in turn, and a seed
// that is down would make it refuse a one-node cluster ("Peers not
// reachable"), so the seeds are other spellings of the same server.

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('seeds');
let backend: Backend;
let host: string;
let port: number;
const clients: any[] = [];

beforeAll(async () => {
  backend = await startBackend();
  const first = backend.hosts.split(',')[0];
  const colon = first.lastIndexOf(':');
  host = first.slice(0, colon);
  port = Number(first.slice(colon + 1));
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await backend?.close();
});

beforeEach(() => {
  telemetry.instrumentation.setConfig({});
  telemetry.resetSpans();
});

async function connect(config: object) {
  const client = await Aerospike.connect(clientConfig(backend.hosts, config));
  clients.push(client);
  return client;
}

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

/** The pool names of the connection metric that start with `target`. */
async function poolsOf(target: string): Promise<string[]> {
  const metric = await telemetry.metric('db.client.connection.count');
  return (metric!.dataPoints as DataPoint<number>[])
    .map(p => String(p.attributes['db.client.connection.pool.name']))
    .filter(name => name.startsWith(`${target}/`));
}

describe('server.address of a client with several seeds', () => {
  it('lists the seeds, keeps duplicates, and sets no server.port', async () => {
    const client = await connect({ hosts: `${host}:${port},${host}:${port}` });
    await client.put(key('a'), { v: 1 });
    const span = onlySpan(telemetry);
    const expected =
      port === 3000 ? `${host},${host}` : `${host}:${port},${host}:${port}`;
    expect(span.attributes['server.address']).toBe(expected);
    expect(span.attributes['server.port']).toBeUndefined();

    const metric = await telemetry.metric('db.client.operation.duration');
    const points = (metric!.dataPoints as DataPoint<Histogram>[]).filter(
      p => p.attributes['db.collection.name'] === set
    );
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      expect(point.attributes['server.address']).toBe(expected);
      expect(point.attributes['server.port']).toBeUndefined();
    }
    expect(await poolsOf(expected)).not.toHaveLength(0);
  });

  it.skipIf(!onLoopback)(
    'sorts the seeds, with their ports inline when not 3000; names the node of a failure apart (needs a server on loopback)',
    async () => {
      const client = await connect({
        hosts: [
          { addr: 'localhost', port },
          { addr: '127.0.0.1', port },
        ],
      });
      const error = await client.get(key('missing')).catch((e: any) => e);
      expect(error.code).toBe(Aerospike.status.ERR_RECORD_NOT_FOUND);
      const span = onlySpan(telemetry);
      expect(span.attributes).toMatchObject({
        'server.address':
          port === 3000
            ? '127.0.0.1,localhost'
            : `127.0.0.1:${port},localhost:${port}`,
        'network.peer.address': '127.0.0.1',
        'network.peer.port': port,
      });
      expect(span.attributes['server.port']).toBeUndefined();
    }
  );

  it('takes config.port for seeds without one', async () => {
    const client = await connect({ hosts: `${host},${host}`, port });
    await client.put(key('b'), { v: 1 });
    const expected =
      port === 3000 ? `${host},${host}` : `${host}:${port},${host}:${port}`;
    expect(onlySpan(telemetry).attributes['server.address']).toBe(expected);
  });
});

describe('server.address of a client with one seed', () => {
  it('is the host, with its port (here from config.port) in server.port', async () => {
    const client = await connect({ hosts: host, port });
    await client.put(key('c'), { v: 1 });
    const span = onlySpan(telemetry);
    expect(span.attributes['server.address']).toBe(
      host.replace(/^\[|\]$/g, '')
    );
    expect(span.attributes['server.port']).toBe(port);
  });
});
