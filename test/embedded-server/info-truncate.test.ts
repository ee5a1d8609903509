/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { startServer } from '../server/index.ts';
import { connectClient, eventually, viaCallback } from './client.ts';

const { Key } = Aerospike;

let backend: Backend;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe('info', () => {
  it('namespaces, build and statistics', async () => {
    const text: string = await client.infoAny('namespaces\nbuild\nstatistics');
    const info = Aerospike.info.parse(text);
    expect(String(info.namespaces)).toContain('test');
    expect(String(info.build)).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.statistics).toHaveProperty('cluster_size');
  });

  it('namespace/NS reports objects', async () => {
    const set = uniqueName('nsinfo');
    await client.put(new Key('test', set, 1), { a: 1 });
    const text: string = await client.infoAny('namespace/test');
    expect(text).toMatch(/objects=\d+/);
  });

  it('infoAll answers per node (callback form)', async () => {
    const res: any[] = await viaCallback(cb => client.infoAll('build', cb));
    expect(res.length).toBeGreaterThanOrEqual(1);
    expect(res[0].info).toMatch(/build\t/);
  });

  it('the client stays connected through several tends', async () => {
    await new Promise(r => setTimeout(r, 2500));
    expect(client.isConnected()).toBe(true);
    const k = new Key('test', uniqueName('tend'), 1);
    await client.put(k, { a: 1 });
    expect((await client.get(k)).bins).toEqual({ a: 1 });
  });
});

describe('truncate', () => {
  it('truncates one set and leaves the others', async () => {
    const a = uniqueName('trunc_a');
    const b = uniqueName('trunc_b');
    for (let i = 0; i < 5; i++) {
      await client.put(new Key('test', a, i), { i });
      await client.put(new Key('test', b, i), { i });
    }
    // Without a cut-off a node truncates what was written before the
    // current millisecond (base/truncate.c): let the last write age.
    await new Promise(r => setTimeout(r, 5));
    await client.truncate('test', a, 0);
    await eventually(
      async () => (await client.scan('test', a).results()).length === 0
    );
    expect(await client.scan('test', b).results()).toHaveLength(5);
  });

  it('truncate with a cut-off keeps newer records (callback form)', async () => {
    const set = uniqueName('trunc_lut');
    await client.put(new Key('test', set, 'old'), { a: 1 });
    await new Promise(r => setTimeout(r, 50));
    const cutoff = Date.now() * 1_000_000;
    await new Promise(r => setTimeout(r, 50));
    await client.put(new Key('test', set, 'new'), { a: 2 });
    await viaCallback(cb => client.truncate('test', set, cutoff, cb));
    await eventually(
      async () => (await client.scan('test', set).results()).length === 1
    );
    const recs = await client.scan('test', set).results();
    expect(recs[0].bins).toEqual({ a: 2 });
  });
  // A whole-namespace truncate: node-limits.exclusive.test.ts.
});

describe('compression', () => {
  const compressedClient = (hosts: string) =>
    connectClient(hosts, {
      policies: {
        write: new Aerospike.WritePolicy({ compress: true }),
        read: new Aerospike.ReadPolicy({ compress: true }),
      },
    });
  // as_proto_uncompress() of a Community Edition node (base/proto_ce.c).
  it('a community edition node refuses compressed requests with code 25', async () => {
    const compressed = await compressedClient(backend.hosts);
    try {
      const k = new Key('test', uniqueName('zip'), 1);
      await expect(
        compressed.put(k, { big: 'x'.repeat(10_000) })
      ).rejects.toMatchObject({ code: 25 });
      expect(await client.exists(k)).toBe(false);
    } finally {
      await compressed.close();
    }
  });

  // Its own embedded server, whatever the backend of the other tests.
  it('an enterprise edition embedded server accepts them', async () => {
    const enterprise = await startServer({
      config: { edition: 'enterprise' },
    });
    const compressed = await compressedClient(enterprise.hosts);
    try {
      const k = new Key('test', uniqueName('zip'), 1);
      const big = 'x'.repeat(10_000);
      await compressed.put(k, { big });
      expect((await compressed.get(k)).bins).toEqual({ big });
    } finally {
      await compressed.close();
      await enterprise.close();
    }
  });
});
