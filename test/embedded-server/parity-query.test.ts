/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient, eventually } from './client.ts';

// Scans and queries on their edges (index lookup, filters, bin selection)
// as a real 8.1 node answers them: this suite runs against the embedded
// server and, unchanged, against AEROSPIKE_HOSTS. Each test names the
// server source (aerospike-server 8.1.0.3, as/src/query/query.c unless said
// otherwise) that decides the answer.

const { Key, status, filter } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('parity_q');
const other = uniqueName('parity_q2');
/** A bin name of this run only: its namespace-wide index is ours alone. */
const wide = `w${process.pid.toString(36)}${Math.floor(Math.random() * 1e4)}`;
const idxI = uniqueName('qidx_i');
const idxS = uniqueName('qidx_s');
const idxOther = uniqueName('qidx_o');
const idxWide = uniqueName('qidx_w');

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
  const jobs = [
    await client.createIntegerIndex({ ns: 'test', set, bin: 'i', index: idxI }),
    await client.createStringIndex({ ns: 'test', set, bin: 's', index: idxS }),
    await client.createIntegerIndex({
      ns: 'test',
      set: other,
      bin: 'j',
      index: idxOther,
    }),
  ];
  // An index over the whole namespace, by info command: createIndex
  // without a set has the 6.7.1 client send whatever its set buffer holds
  // (`set=` alone, code 4, or an index on a set of junk).
  await client.infoAny(
    `sindex-create:namespace=test;indexname=${idxWide};indexdata=${wide},numeric`
  );
  for (const job of jobs) await job.wait(20);
  // A real node populates it in the background (code 203 until then).
  await eventually(async () =>
    /load_pct=100\b/.test(
      await client
        .infoAny(`sindex-stat:namespace=test;indexname=${idxWide}`)
        .catch(() => '')
    )
  );
  for (let i = 0; i < 10; i++) {
    const bins: Record<string, unknown> = { i, s: `s${i}`, [wide]: i };
    if (i % 2 === 0) bins.even = true;
    await client.put(new Key('test', set, i), bins);
  }
  await client.put(new Key('test', other, 1), { j: 1 });
});

afterAll(async () => {
  for (const idx of [idxI, idxS, idxOther, idxWide]) {
    await client?.indexRemove('test', idx).catch(() => {});
  }
  await client?.close();
  await backend?.close();
});

async function ids(q: any): Promise<number[]> {
  const recs = await q.results();
  return recs.map((r: any) => r.bins.i).sort((a: number, b: number) => a - b);
}

describe('index lookup', () => {
  // as_sindex_lookup_by_defn() (sindex/sindex.c): an index on the set,
  // else one on the whole namespace.
  it('a namespace-wide index serves a query on a set', async () => {
    const q = client.query('test', set);
    q.where(filter.range(wide, 3, 5));
    expect(await ids(q)).toEqual([3, 4, 5]);
  });

  it('an index on another set does not serve the query: 201', async () => {
    const q = client.query('test', set);
    q.where(filter.equal('j', 1));
    await expect(q.results()).rejects.toMatchObject({
      code: status.ERR_INDEX_NOT_FOUND,
    });
  });

  // The definition includes the key type: a string index does not serve
  // a numeric filter.
  it('an index of another type does not serve the query: 201', async () => {
    const q = client.query('test', set);
    q.where(filter.equal('s', 3));
    await expect(q.results()).rejects.toMatchObject({
      code: status.ERR_INDEX_NOT_FOUND,
    });
  });
});

describe('filters', () => {
  // range_from_msg_integer(): start > end refuses the query.
  it('a range whose start is above its end fails with 4', async () => {
    const q = client.query('test', set);
    q.where(filter.range('i', 5, 3));
    await expect(q.results()).rejects.toMatchObject({
      code: status.ERR_REQUEST_INVALID,
    });
  });

  it('a range of one value is an equality', async () => {
    const q = client.query('test', set);
    q.where(filter.range('i', 4, 4));
    expect(await ids(q)).toEqual([4]);
  });

  it('a string equality matches the whole string only', async () => {
    const q = client.query('test', set);
    q.where(filter.equal('s', 's1'));
    expect(await ids(q)).toEqual([1]);
  });
});

describe('bin selection', () => {
  // as_msg_make_response_bufbuilder() (base/proto.c): "Don't return an
  // empty record": a record holding none of the selected bins is skipped.
  it('a query selecting a bin some records lack returns only those that have it', async () => {
    const q = client.query('test', set);
    q.where(filter.range('i', 0, 3));
    q.select('even');
    const recs = await q.results();
    expect(recs.map((r: any) => r.bins)).toEqual([
      { even: true },
      { even: true },
    ]);
  });

  it('a scan selecting a bin no record has returns nothing', async () => {
    const scan = client.scan('test', set);
    scan.select('nothing');
    expect(await scan.results()).toEqual([]);
  });

  it('a scan selecting several bins returns the ones each record has', async () => {
    const scan = client.scan('test', set);
    scan.select('i', 'even');
    const recs = await scan.results();
    expect(recs).toHaveLength(10);
    for (const r of recs) {
      expect(r.bins).toEqual(
        r.bins.i % 2 === 0 ? { i: r.bins.i, even: true } : { i: r.bins.i }
      );
    }
  });
});
