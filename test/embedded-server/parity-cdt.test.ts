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
    expect(await result(k, lists.getByRankRange('l', 0, 2, LRT.VALUE))).toEqual(
      [1, 2]
    );
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
