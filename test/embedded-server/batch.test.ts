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
import { connectClient, viaCallback } from './client.ts';

const { Key, status, operations: op, batchType, policy } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('batch');
const udfModule = uniqueName('batchudf');
let n = 0;
const freshKeys = (count: number): any[] =>
  Array.from({ length: count }, () => new Key('test', set, `k${n++}`));

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
  const dir = mkdtempSync(join(tmpdir(), 'batch-udf-'));
  const file = join(dir, `${udfModule}.lua`);
  writeFileSync(
    file,
    'function twice(rec, bin)\n  return rec[bin] * 2\nend\n' +
      "function fail(rec)\n  error('nope')\nend\n"
  );
  await (await client.udfRegister(file)).wait(50);
});

afterAll(async () => {
  await client?.udfRemove(`${udfModule}.lua`).catch(() => {});
  await client?.close();
  await backend?.close();
});

/** Three keys: the middle one does not exist. */
async function threeKeys(): Promise<any[]> {
  const keys = freshKeys(3);
  await client.put(keys[0], { a: 1, b: 'x' });
  await client.put(keys[2], { a: 3, b: 'z' });
  return keys;
}

describe('batch reads', () => {
  it('batchGet returns per-key status; a missing key is status 2', async () => {
    const keys = await threeKeys();
    const res = await client.batchGet(keys);
    expect(res.map((r: any) => r.status)).toEqual([
      0,
      status.ERR_RECORD_NOT_FOUND,
      0,
    ]);
    expect(res[0].record.bins).toEqual({ a: 1, b: 'x' });
    expect(res[0].record.gen).toBe(1);
    expect(res[2].record.bins).toEqual({ a: 3, b: 'z' });
  });

  it('batchGet works in callback form', async () => {
    const keys = await threeKeys();
    const res: any = await viaCallback(cb => client.batchGet(keys, cb));
    expect(res.map((r: any) => r.status)).toEqual([0, 2, 0]);
  });

  it('batchExists reports existence and metadata', async () => {
    const keys = await threeKeys();
    const res = await client.batchExists(keys);
    expect(res.map((r: any) => r.status)).toEqual([0, 2, 0]);
    expect(res[0].record.gen).toBe(1);
  });

  it('batchSelect returns only the named bins', async () => {
    const keys = await threeKeys();
    const res = await client.batchSelect(keys, ['b']);
    expect(res[0].record.bins).toEqual({ b: 'x' });
    expect(res[1].status).toBe(status.ERR_RECORD_NOT_FOUND);
    expect(res[2].record.bins).toEqual({ b: 'z' });
  });

  it('batchRead mixes all-bins, bin lists and read ops', async () => {
    const keys = await threeKeys();
    const res = await client.batchRead([
      { type: batchType.BATCH_READ, key: keys[0], readAllBins: true },
      { type: batchType.BATCH_READ, key: keys[1], readAllBins: true },
      { type: batchType.BATCH_READ, key: keys[2], bins: ['a'] },
      { type: batchType.BATCH_READ, key: keys[0], ops: [op.read('b')] },
    ]);
    expect(res.map((r: any) => r.status)).toEqual([0, 2, 0, 0]);
    expect(res[0].record.bins).toEqual({ a: 1, b: 'x' });
    expect(res[2].record.bins).toEqual({ a: 3 });
    expect(res[3].record.bins).toEqual({ b: 'x' });
  });

  it('handles many keys with repeated entries in one call', async () => {
    const keys = freshKeys(300);
    await Promise.all(keys.map((k, i) => client.put(k, { i })));
    const res = await client.batchGet(keys);
    expect(res.map((r: any) => r.record.bins.i)).toEqual(keys.map((_, i) => i));
  });
});

describe('batch writes', () => {
  it('batchWrite mixes write, remove, read and apply records', async () => {
    const keys = await threeKeys();
    const res = await client.batchWrite([
      {
        type: batchType.BATCH_WRITE,
        key: keys[1],
        ops: [op.write('a', 2), op.incr('n', 1)],
      },
      { type: batchType.BATCH_REMOVE, key: keys[2] },
      { type: batchType.BATCH_READ, key: keys[0], readAllBins: true },
      {
        type: batchType.BATCH_APPLY,
        key: keys[0],
        policy: undefined,
        udf: { module: udfModule, funcname: 'twice', args: ['a'] },
      },
    ]);
    expect(res.map((r: any) => r.status)).toEqual([0, 0, 0, 0]);
    expect(res[2].record.bins).toEqual({ a: 1, b: 'x' });
    expect(res[3].record.bins).toEqual({ SUCCESS: 2 });
    expect((await client.get(keys[1])).bins).toEqual({ a: 2, n: 1 });
    expect(await client.exists(keys[2])).toBe(false);
  });

  it('batchWrite reports per-record policy failures', async () => {
    const keys = await threeKeys();
    const res = await client.batchWrite([
      {
        type: batchType.BATCH_WRITE,
        key: keys[0],
        ops: [op.write('a', 9)],
        policy: new Aerospike.BatchWritePolicy({
          exists: policy.exists.CREATE,
        }),
      },
      { type: batchType.BATCH_WRITE, key: keys[1], ops: [op.write('a', 9)] },
    ]);
    expect(res.map((r: any) => r.status)).toEqual([
      status.ERR_RECORD_EXISTS,
      0,
    ]);
    expect((await client.get(keys[1])).bins).toEqual({ a: 9 });
    expect((await client.get(keys[0])).bins.a).toBe(1);
  });

  it('batchRemove removes existing keys; missing keys are status 2', async () => {
    const keys = await threeKeys();
    const res = await client.batchRemove(keys);
    expect(res.map((r: any) => r.status)).toEqual([0, 2, 0]);
    expect(await client.exists(keys[0])).toBe(false);
  });

  it('batchApply runs a UDF per key', async () => {
    const keys = await threeKeys();
    const res = await client.batchApply([keys[0], keys[2]], {
      module: udfModule,
      funcname: 'twice',
      args: ['a'],
    });
    expect(res.map((r: any) => r.record.bins.SUCCESS)).toEqual([2, 6]);
  });

  it('batchApply surfaces a failing UDF per key', async () => {
    const keys = await threeKeys();
    const err = await client
      .batchApply([keys[0]], { module: udfModule, funcname: 'fail', args: [] })
      .catch((e: any) => e);
    expect(err.code).toBe(status.BATCH_FAILED);
  });
});
