/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient, eventually } from './client.ts';

const { Key, status, operations: op, filter } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('scan');
const COUNT = 60;
const idxI = uniqueName('idx_i');
const idxS = uniqueName('idx_s');
const idxL = uniqueName('idx_l');

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
  await Promise.all(
    Array.from({ length: COUNT }, (_, i) =>
      client.put(
        new Key('test', set, i),
        { i, s: `v${i % 5}`, l: [i, i + 1000] },
        {},
        { key: Aerospike.policy.key.SEND }
      )
    )
  );
  for (const job of [
    await client.createIntegerIndex({ ns: 'test', set, bin: 'i', index: idxI }),
    await client.createStringIndex({ ns: 'test', set, bin: 's', index: idxS }),
    await client.createIntegerIndex({
      ns: 'test',
      set,
      bin: 'l',
      index: idxL,
      type: Aerospike.indexType.LIST,
    }),
  ]) {
    await job.wait(50);
  }
});

afterAll(async () => {
  for (const idx of [idxI, idxS, idxL]) {
    await client?.indexRemove('test', idx).catch(() => {});
  }
  await client?.close();
  await backend?.close();
});

const ids = (recs: any[]): number[] =>
  recs.map(r => r.bins.i as number).sort((a, b) => a - b);
const range = (a: number, b: number): number[] =>
  Array.from({ length: b - a }, (_, i) => a + i);

describe('scan', () => {
  it('results() returns every record of the set with keys and metadata', async () => {
    const recs = await client.scan('test', set).results();
    expect(ids(recs)).toEqual(range(0, COUNT));
    const r = recs.find((x: any) => x.bins.i === 7);
    expect(r.key.key).toBe(7);
    expect(r.key.digest).toHaveLength(20);
    expect(r.gen).toBe(1);
  });

  it('foreach streams data events then one end', async () => {
    const seen: number[] = [];
    let ends = 0;
    await new Promise<void>((resolve, reject) => {
      const stream = client.scan('test', set).foreach();
      stream.on('data', (rec: any) => seen.push(rec.bins.i));
      stream.on('error', reject);
      stream.on('end', () => {
        ends++;
        resolve();
      });
    });
    expect(seen.sort((a, b) => a - b)).toEqual(range(0, COUNT));
    expect(ends).toBe(1);
  });

  it('selects bins and honours nobins', async () => {
    const scan = client.scan('test', set);
    scan.select('s');
    const recs = await scan.results();
    expect(Object.keys(recs[0].bins)).toEqual(['s']);
    const bare = await client.scan('test', set, { nobins: true }).results();
    expect(bare).toHaveLength(COUNT);
    expect(bare[0].bins).toEqual({});
  });

  it('maxRecords bounds the result', async () => {
    const recs = await client.scan('test', set).results({ maxRecords: 9 });
    expect(recs).toHaveLength(9);
  });

  it('partitions(begin, count) splits the set without overlap', async () => {
    const first = client.scan('test', set);
    first.partitions(0, 2048);
    const second = client.scan('test', set);
    second.partitions(2048, 2048);
    const a = ids(await first.results());
    const b = ids(await second.results());
    expect(a.filter(x => b.includes(x))).toEqual([]);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(range(0, COUNT));
  });

  it('an empty or unknown set yields no records', async () => {
    expect(await client.scan('test', uniqueName('empty')).results()).toEqual(
      []
    );
  });
});

describe('secondary-index query', () => {
  it('equality on a string bin', async () => {
    const q = client.query('test', set);
    q.where(filter.equal('s', 'v3'));
    expect(ids(await q.results())).toEqual(
      range(0, COUNT).filter(i => i % 5 === 3)
    );
  });

  it('equality and range on an integer bin', async () => {
    const eq = client.query('test', set);
    eq.where(filter.equal('i', 42));
    expect(ids(await eq.results())).toEqual([42]);
    const rg = client.query('test', set);
    rg.where(filter.range('i', 10, 14));
    expect(ids(await rg.results())).toEqual([10, 11, 12, 13, 14]);
  });

  it('range on a list index', async () => {
    const q = client.query('test', set);
    q.where(filter.range('l', 1005, 1007, Aerospike.indexType.LIST));
    expect(ids(await q.results())).toEqual([5, 6, 7]);
  });

  it('select limits the bins of query records', async () => {
    const q = client.query('test', set);
    q.where(filter.range('i', 0, 3));
    q.select('i');
    const recs = await q.results();
    expect(recs.map((r: any) => Object.keys(r.bins))).toEqual([
      ['i'],
      ['i'],
      ['i'],
      ['i'],
    ]);
  });

  it('a query without an index fails with code 201', async () => {
    const q = client.query('test', set);
    q.where(filter.equal('nobin', 1));
    await expect(q.results()).rejects.toMatchObject({
      code: status.ERR_INDEX_NOT_FOUND,
    });
  });

  it('paginates until done, visiting every record once', async () => {
    const q = client.query('test', set, { paginate: true, maxRecords: 11 });
    const seen: number[] = [];
    let pages = 0;
    for (;;) {
      const recs = await q.results();
      seen.push(...recs.map((r: any) => r.bins.i));
      pages++;
      if (!q.hasNextPage() || pages > 20) break;
    }
    expect(seen.sort((a, b) => a - b)).toEqual(range(0, COUNT));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(COUNT / 11));
  });

  it('sindex-list reports the indexes', async () => {
    const text: string = await client.infoAny('sindex-list:ns=test');
    expect(text).toContain(`indexname=${idxI}`);
    expect(text).toContain(`indexname=${idxS}`);
  });

  it('creating the same index twice succeeds (as on a real 8.1 node)', async () => {
    const job = await client.createIntegerIndex({
      ns: 'test',
      set,
      bin: 'i',
      index: idxI,
    });
    await job.wait(50);
    const q = client.query('test', set);
    q.where(filter.equal('i', 7));
    expect(ids(await q.results())).toEqual([7]);
  });

  it('an index name taken by another definition fails with code 200', async () => {
    await expect(
      client.createStringIndex({ ns: 'test', set, bin: 'i', index: idxI })
    ).rejects.toMatchObject({ code: status.ERR_INDEX_FOUND });
  });
});

describe('background jobs', () => {
  it('query.operate applies write ops to matching records', async () => {
    const q = client.query('test', set);
    q.where(filter.range('i', 20, 24));
    const job = await q.operate([op.write('bg', 1)]);
    await job.wait(20);
    const recs = await client.scan('test', set).results();
    expect(ids(recs.filter((r: any) => r.bins.bg === 1))).toEqual([
      20, 21, 22, 23, 24,
    ]);
  });

  it('scan.background runs a UDF on every record', async () => {
    const bgSet = uniqueName('bgudf');
    const module = uniqueName('bgmod');
    for (let i = 0; i < 5; i++) {
      await client.put(new Key('test', bgSet, i), { n: i });
    }
    const dir = mkdtempSync(join(tmpdir(), 'bg-udf-'));
    const file = join(dir, `${module}.lua`);
    writeFileSync(
      file,
      'function bump(rec, by)\n  rec.n = rec.n + by\n  aerospike:update(rec)\nend\n'
    );
    await (await client.udfRegister(file)).wait(50);
    try {
      const job = await client
        .scan('test', bgSet)
        .background(module, 'bump', [10]);
      await job.wait(20);
      await eventually(async () => {
        const recs = await client.scan('test', bgSet).results();
        return (
          recs
            .map((r: any) => r.bins.n)
            .sort((a: number, b: number) => a - b)
            .join() === '10,11,12,13,14'
        );
      });
      const info = await job.info();
      expect(info.status).toBe(Aerospike.jobStatus.COMPLETED);
    } finally {
      await client.udfRemove(`${module}.lua`).catch(() => {});
    }
  });
});
