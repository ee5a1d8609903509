/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient } from './client.ts';

// CDT result shapes as the client receives them from a real 8.1 node: this
// suite runs against the embedded server and, unchanged, against
// AEROSPIKE_HOSTS. Each test names the server source (aerospike-server
// 8.1.0.3, as/src/...) that shapes the result.

const { Key, status, lists, maps } = Aerospike;
const RT = maps.returnType;

let backend: Backend;
let client: any;
const set = uniqueName('parity_c');
let n = 0;

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

/** A record holding map `m` {a: 1, b: 2, c: 3} and list `l` [3, 1, 2]. */
async function fixture(): Promise<any> {
  const k = new Key('test', set, `k${n++}`);
  await client.put(k, { m: { a: 1, b: 2, c: 3 }, l: [3, 1, 2] });
  return k;
}

async function result(k: any, operation: any): Promise<unknown> {
  const rec = await client.operate(k, [operation]);
  return rec.bins[operation.bin];
}

describe('map KEY_VALUE results', () => {
  // result_map_type_to_map_flags() (base/cdt.h): KEY_VALUE results are maps
  // flagged "preserve order", which the client unpacks as a flat list
  // (aerospike-common as_msgpack.c unpack_map_create_list()).
  it('getByKey returns [key, value]', async () => {
    const k = await fixture();
    expect(await result(k, maps.getByKey('m', 'b', RT.KEY_VALUE))).toEqual([
      'b',
      2,
    ]);
  });

  it('range reads return [k1, v1, k2, v2, ...] in key order', async () => {
    const k = await fixture();
    expect(
      await result(k, maps.getByKeyRange('m', 'a', 'c', RT.KEY_VALUE))
    ).toEqual(['a', 1, 'b', 2]);
    expect(
      await result(k, maps.getByIndexRange('m', 1, 2, RT.KEY_VALUE))
    ).toEqual(['b', 2, 'c', 3]);
    expect(
      await result(k, maps.getByValueRange('m', 2, 4, RT.KEY_VALUE))
    ).toEqual(['b', 2, 'c', 3]);
  });

  it('no match is an empty list', async () => {
    const k = await fixture();
    expect(await result(k, maps.getByKey('m', 'zz', RT.KEY_VALUE))).toEqual([]);
  });

  it('removeByKey returns the removed [key, value] too', async () => {
    const k = await fixture();
    expect(await result(k, maps.removeByKey('m', 'a', RT.KEY_VALUE))).toEqual([
      'a',
      1,
    ]);
    expect((await client.get(k)).bins.m).toEqual({ b: 2, c: 3 });
  });

  it('UNORDERED_MAP and ORDERED_MAP results are objects', async () => {
    const k = await fixture();
    expect(
      await result(k, maps.getByKeyRange('m', 'a', 'c', RT.UNORDERED_MAP))
    ).toEqual({ a: 1, b: 2 });
    expect(
      await result(k, maps.getByKeyRange('m', 'a', 'c', RT.ORDERED_MAP))
    ).toEqual({ a: 1, b: 2 });
  });
});

describe('other result types', () => {
  // result_data_set_not_found() (base/cdt.c).
  it('a single key not found: null value, -1 index, count 0', async () => {
    const k = await fixture();
    expect(await result(k, maps.getByKey('m', 'zz', RT.VALUE))).toBeNull();
    expect(await result(k, maps.getByKey('m', 'zz', RT.INDEX))).toBe(-1);
    expect(await result(k, maps.getByKey('m', 'zz', RT.COUNT))).toBe(0);
  });

  it('list reads by value return lists of values, indexes and ranks', async () => {
    const k = await fixture();
    const LRT = lists.returnType;
    expect(await result(k, lists.getByValue('l', 2, LRT.INDEX))).toEqual([2]);
    expect(await result(k, lists.getByValue('l', 2, LRT.RANK))).toEqual([1]);
  });

  // packed_list_get_remove_by_rank_range() (base/particle_list.c) lists the
  // values in the order its heap selection leaves them: highest rank first
  // when the range is nearer the low end, lowest first otherwise.
  it('list rank ranges list values in heap order', async () => {
    const k = new Key('test', set, `k${n++}`);
    await client.put(k, { l: [3, 1, 2, 5, 4] });
    const LRT = lists.returnType;
    expect(await result(k, lists.getByRankRange('l', 0, 2, LRT.VALUE))).toEqual(
      [2, 1]
    );
    expect(await result(k, lists.getByRankRange('l', 1, 3, LRT.VALUE))).toEqual(
      [4, 3, 2]
    );
    expect(await result(k, lists.getByRankRange('l', 3, 2, LRT.VALUE))).toEqual(
      [4, 5]
    );
    // Indexes and ranks come sorted all the same.
    expect(await result(k, lists.getByRankRange('l', 1, 3, LRT.INDEX))).toEqual(
      [0, 2, 4]
    );
    expect(await result(k, lists.getByRankRange('l', 1, 3, LRT.RANK))).toEqual([
      1, 2, 3,
    ]);
  });

  // The same function for maps puts the picks back in rank order.
  it('map rank ranges list keys in rank order', async () => {
    const k = new Key('test', set, `k${n++}`);
    await client.put(k, { m: { a: 3, b: 1, c: 2, d: 5 } });
    expect(await result(k, maps.getByRankRange('m', 0, 3, RT.KEY))).toEqual([
      'b',
      'c',
      'a',
    ]);
    expect(
      await result(k, maps.getByValueRelRankRange('m', 2, 0, 2, RT.KEY))
    ).toEqual(['c', 'a']);
  });

  // result_data_set_index_rank_count() (base/cdt.c): ranks of a value
  // range are the rank range itself.
  it('reverse ranks of a map value range come in ascending order', async () => {
    const k = await fixture();
    expect(
      await result(k, maps.getByValueRange('m', 1, 4, RT.REVERSE_RANK))
    ).toEqual([0, 1, 2]);
  });

  it('an INVERTED single-element read, or an index out of range, fails with 26', async () => {
    const k = await fixture();
    const LRT = lists.returnType;
    await expect(
      client.operate(k, [lists.getByIndex('l', 0, LRT.VALUE | LRT.INVERTED)])
    ).rejects.toMatchObject({ code: status.ERR_OP_NOT_APPLICABLE });
    await expect(
      client.operate(k, [maps.getByIndex('m', 5, RT.VALUE)])
    ).rejects.toMatchObject({ code: status.ERR_OP_NOT_APPLICABLE });
  });

  // list_sort(): duplicates are found in ascending order only, so a
  // descending sort with duplicates to drop fails.
  it('a descending sort that must drop duplicates fails with 4', async () => {
    const k = new Key('test', set, `k${n++}`);
    await client.put(k, { l: [3, 1, 3, 2] });
    // AS_CDT_SORT_DESCENDING: the Node client exports no name for it.
    const DESCENDING = 1;
    const { DROP_DUPLICATES } = lists.sortFlags;
    await expect(
      client.operate(k, [lists.sort('l', DESCENDING | DROP_DUPLICATES)])
    ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
    await client.operate(k, [lists.sort('l', DESCENDING)]);
    expect((await client.get(k)).bins.l).toEqual([3, 3, 2, 1]);
    await client.operate(k, [lists.sort('l', DROP_DUPLICATES)]);
    expect((await client.get(k)).bins.l).toEqual([1, 2, 3]);
  });

  // packed_list_get_remove_by_index_range() (base/particle_list.c).
  it('a list index out of range fails with 26', async () => {
    const k = await fixture();
    await expect(
      client.operate(k, [lists.getByIndex('l', 10, lists.returnType.VALUE)])
    ).rejects.toMatchObject({ code: status.ERR_OP_NOT_APPLICABLE });
  });

  it('a map op on a list bin fails with 12', async () => {
    const k = await fixture();
    await expect(
      client.operate(k, [maps.getByKey('l', 'a', RT.VALUE)])
    ).rejects.toMatchObject({ code: status.ERR_BIN_INCOMPATIBLE_TYPE });
  });
});
