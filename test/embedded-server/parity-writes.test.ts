/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient } from './client.ts';

// Write and read paths on their edges, as a real Aerospike 8.1 node answers
// them: this suite runs against the embedded server and, unchanged, against
// AEROSPIKE_HOSTS. Each test names the server source (aerospike-server
// 8.1.0.3, as/src/...) that decides the answer.

const { Key, status, policy, operations: op, lists, maps } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('parity_w');
let n = 0;
const freshKey = (): any => new Key('test', set, `k${n++}`);

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe('writes that leave a record without bins', () => {
  // write_master_apply(): a write whose bins are all deleted deletes the
  // record; when there was no record (no old bins) it is "not found".
  it('put of a null bin on a missing record fails with 2 and creates nothing', async () => {
    const k = freshKey();
    await expect(client.put(k, { a: null })).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    expect(await client.exists(k)).toBe(false);
  });

  it('nulling every bin of a record deletes it', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { a: null, b: null });
    expect(await client.exists(k)).toBe(false);
  });

  it('operate([delete]) fails with 2 on a missing record, deletes an existing one', async () => {
    const k = freshKey();
    await expect(client.operate(k, [op.delete()])).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    await client.put(k, { a: 1 });
    await client.operate(k, [op.delete()]);
    expect(await client.exists(k)).toBe(false);
  });

  it('operate([delete, write]) replaces the bins and keeps counting generations', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { a: 3 });
    await client.operate(k, [op.delete(), op.write('c', 4)]);
    const rec = await client.get(k);
    expect(rec.bins).toEqual({ c: 4 });
    expect(rec.gen).toBe(3);
  });

  it('a list removal on a missing record fails with 2 and creates nothing', async () => {
    const k = freshKey();
    await expect(
      client.operate(k, [lists.removeByIndex('l', 0)])
    ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
    expect(await client.exists(k)).toBe(false);
  });
});

describe('empty and invalid requests', () => {
  // write_master_policies(): "bin op(s) expected, none present".
  it('put of no bins fails with 4', async () => {
    const k = freshKey();
    await expect(client.put(k, {})).rejects.toMatchObject({
      code: status.ERR_REQUEST_INVALID,
    });
    expect(await client.exists(k)).toBe(false);
  });

  // read_local(): no bins and no "get all": 4, once the record is found.
  it('select of no bins fails with 4 (2 for a missing record)', async () => {
    const k = freshKey();
    await expect(client.select(k, [])).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    await client.put(k, { a: 1 });
    await expect(client.select(k, [])).rejects.toMatchObject({
      code: status.ERR_REQUEST_INVALID,
    });
  });

  it('select of a bin the record lacks returns the record without it', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    const rec = await client.select(k, ['a', 'nope']);
    expect(rec.bins).toEqual({ a: 1 });
  });

  // write_master_policies(): as_bin_name_check() allows 15 bytes.
  it('a 15-byte bin name is fine', async () => {
    const k = freshKey();
    await client.put(k, { ['b'.repeat(15)]: 1 });
    expect((await client.get(k)).bins).toEqual({ ['b'.repeat(15)]: 1 });
  });

  // is_valid_ttl() (transaction/rw_utils.h): up to 10 years, or -1/-2.
  it('a ttl over 10 years fails with 4', async () => {
    const k = freshKey();
    await expect(
      client.put(k, { a: 1 }, { ttl: 10 * 365 * 24 * 3600 + 1 })
    ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
    await client.put(k, { a: 1 }, { ttl: 10 * 365 * 24 * 3600 });
    expect((await client.get(k)).ttl).toBeGreaterThan(0);
  });
});

describe('generation and existence policies', () => {
  // generation_check() (transaction/rw_utils_ce.c): a record being created
  // has generation 0.
  it('generation EQ on a missing record fails with 3 unless it asks for 0', async () => {
    const eq = { gen: policy.gen.EQ };
    const k = freshKey();
    await expect(client.put(k, { a: 1 }, { gen: 5 }, eq)).rejects.toMatchObject(
      { code: status.ERR_RECORD_GENERATION }
    );
    expect(await client.exists(k)).toBe(false);
    await client.put(k, { a: 1 }, { gen: 0 }, eq);
    expect((await client.get(k)).gen).toBe(1);
  });

  it('generation GT on a missing record accepts any positive generation', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { gen: 1 }, { gen: policy.gen.GT });
    expect((await client.get(k)).gen).toBe(1);
  });

  it('generation EQ applies to remove as well', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await expect(
      client.remove(k, { gen: policy.gen.EQ, generation: 2 })
    ).rejects.toMatchObject({ code: status.ERR_RECORD_GENERATION });
    expect(await client.exists(k)).toBe(true);
  });

  // write_master_policies(): a record-level replace forbids bin deletes
  // and modify ops.
  it('REPLACE with a null bin fails with 4 and changes nothing', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    for (const exists of [
      policy.exists.REPLACE,
      policy.exists.CREATE_OR_REPLACE,
    ]) {
      await expect(
        client.put(k, { a: 3, b: null }, {}, { exists })
      ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
    }
    expect((await client.get(k)).bins).toEqual({ a: 1, b: 2 });
  });

  it('REPLACE with a modify op (incr, append, list op) fails with 4', async () => {
    const k = freshKey();
    await client.put(k, { i: 1, s: 'x', l: [1] });
    const replace = { exists: policy.exists.REPLACE };
    for (const ops of [
      [op.incr('i', 1)],
      [op.append('s', 'y')],
      [lists.append('l', 2)],
    ]) {
      await expect(client.operate(k, ops, {}, replace)).rejects.toMatchObject({
        code: status.ERR_REQUEST_INVALID,
      });
    }
    expect((await client.get(k)).bins).toEqual({ i: 1, s: 'x', l: [1] });
  });

  // A touch must find its record (must_not_create).
  it('touch fails with 2 on a missing record and bumps the generation of an existing one', async () => {
    const k = freshKey();
    await expect(client.operate(k, [op.touch(100)])).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    await client.put(k, { a: 1 });
    await client.operate(k, [op.touch(100)]);
    const rec = await client.get(k);
    expect(rec.gen).toBe(2);
    expect(rec.ttl).toBeGreaterThan(0);
  });

  it('CREATE_ONLY on an existing record fails with 5 before checking the generation', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await expect(
      client.put(
        k,
        { a: 2 },
        { gen: 9 },
        { exists: policy.exists.CREATE, gen: policy.gen.EQ }
      )
    ).rejects.toMatchObject({ code: status.ERR_RECORD_EXISTS });
  });
});

describe('enterprise features on a community edition node', () => {
  // mrt_allow_read() / mrt_allow_write() (transaction/mrt_utils_ce.c): a
  // command of a multi-record transaction is refused before anything else.
  it('reads and writes inside a transaction fail with 25', async () => {
    const k = freshKey();
    const txn = new Aerospike.Transaction();
    await expect(client.put(k, { a: 1 }, {}, { txn })).rejects.toMatchObject({
      code: 25,
    });
    await expect(client.get(k, { txn })).rejects.toMatchObject({ code: 25 });
    expect(await client.exists(k)).toBe(false);
  });

  // validate_delete_durability() (transaction/rw_utils_ce.c): an
  // enterprise feature, refused by a Community Edition node.
  it('a durable remove fails with 25 on a community edition node', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await expect(
      client.remove(k, { durableDelete: true })
    ).rejects.toMatchObject({ code: 25 });
    expect(await client.exists(k)).toBe(true);
  });
});

describe('record size', () => {
  // buffer_bins() (storage/drv_mem.c): the flat record, end mark included,
  // must fit the namespace's max-record-size (1 MiB by default).
  it('a record over 1 MiB fails with 13 and is not stored', async () => {
    const k = freshKey();
    await expect(
      client.put(k, { big: 'x'.repeat(1024 * 1024) })
    ).rejects.toMatchObject({ code: status.ERR_RECORD_TOO_BIG });
    expect(await client.exists(k)).toBe(false);
  });

  it('a record just under 1 MiB is stored', async () => {
    const k = freshKey();
    const big = 'x'.repeat(1024 * 1024 - 200);
    await client.put(k, { big });
    expect((await client.get(k)).bins.big).toHaveLength(big.length);
  });

  it('growing a record past 1 MiB fails with 13 and keeps the old record', async () => {
    const k = freshKey();
    await client.put(k, { a: 'x'.repeat(600 * 1024) });
    await expect(
      client.put(k, { b: 'y'.repeat(600 * 1024) })
    ).rejects.toMatchObject({ code: status.ERR_RECORD_TOO_BIG });
    const rec = await client.get(k);
    expect(Object.keys(rec.bins)).toEqual(['a']);
    expect(rec.gen).toBe(1);
  });
});

describe('operation results', () => {
  // A list op on an absent bin yields no result bin (lists do not ask for
  // a result per op); a map op does yield one (the client sets
  // respond-all-ops for map ops: aerospike_key.c as_operate_init()).
  it('a list read of an absent bin leaves it out, a map read returns null', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    const listRead = await client.operate(k, [
      lists.size('nolist'),
      op.read('a'),
    ]);
    expect(listRead.bins).toEqual({ a: 1 });
    // One map op makes every op of the command answer.
    const mapRead = await client.operate(k, [
      lists.size('nolist'),
      maps.size('nomap'),
      op.read('a'),
    ]);
    expect(mapRead.bins).toEqual({ nolist: null, nomap: null, a: 1 });
  });
});
