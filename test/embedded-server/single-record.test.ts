/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient, viaCallback } from './client.ts';

const { Key, status, policy } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('single');
let n = 0;
/** A fresh key per test: tests never see each other's records. */
const freshKey = (): any => new Key('test', set, `k${n++}`);

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe('put / get', () => {
  it('round-trips every scalar type (promise form)', async () => {
    const k = freshKey();
    await client.put(k, {
      i: 42,
      neg: -7,
      big: 2n ** 60n,
      s: 'héllo',
      d: new Aerospike.Double(2.0),
      f: 1.25,
      b: Buffer.from([1, 2, 3]),
      l: [1, 'a', [2]],
      m: { x: 1, y: 'z' },
    });
    const rec = await client.get(k);
    expect(rec.bins).toEqual({
      i: 42,
      neg: -7,
      big: 2n ** 60n,
      s: 'héllo',
      d: 2,
      f: 1.25,
      b: Buffer.from([1, 2, 3]),
      l: [1, 'a', [2]],
      m: { x: 1, y: 'z' },
    });
    expect(rec.gen).toBe(1);
  });

  it('works in callback form', async () => {
    const k = freshKey();
    const putKey: any = await viaCallback(cb => client.put(k, { a: 1 }, cb));
    expect(putKey.key).toBe(k.key);
    const rec: any = await viaCallback(cb => client.get(k, cb));
    expect(rec.bins).toEqual({ a: 1 });
  });

  it('merges bins on update and bumps the generation', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { b: 3, c: 4 });
    const rec = await client.get(k);
    expect(rec.bins).toEqual({ a: 1, b: 3, c: 4 });
    expect(rec.gen).toBe(2);
  });

  it('deletes a bin written as null', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { b: null });
    expect((await client.get(k)).bins).toEqual({ a: 1 });
  });

  it('rejects a missing record with code 2 in both forms', async () => {
    await expect(client.get(freshKey())).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    await expect(
      viaCallback(cb => client.get(freshKey(), cb))
    ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
  });

  it('rejects an unknown namespace with code 20', async () => {
    await expect(
      client.put(new Key('no_such_ns', set, 'x'), { a: 1 })
    ).rejects.toMatchObject({ code: status.ERR_NAMESPACE_NOT_FOUND });
  });
});

describe('select / exists / existsWithMetadata', () => {
  it('select returns only the named bins', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2, c: 3 });
    expect((await client.select(k, ['a', 'c'])).bins).toEqual({ a: 1, c: 3 });
    const rec: any = await viaCallback(cb => client.select(k, ['b'], cb));
    expect(rec.bins).toEqual({ b: 2 });
  });

  it('exists answers true/false without error', async () => {
    const k = freshKey();
    expect(await client.exists(k)).toBe(false);
    await client.put(k, { a: 1 });
    expect(await client.exists(k)).toBe(true);
    expect(await viaCallback(cb => client.exists(k, cb))).toBe(true);
  });

  it('existsWithMetadata returns gen and ttl, no bins', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { ttl: 1000 });
    await client.put(k, { a: 2 }, { ttl: 1000 });
    const rec = await client.existsWithMetadata(k);
    expect(rec.bins).toBeNull();
    expect(rec.gen).toBe(2);
    expect(rec.ttl).toBeGreaterThan(990);
    expect(rec.ttl).toBeLessThanOrEqual(1000);
    const missing = await client.existsWithMetadata(freshKey());
    expect(missing.gen).toBeNull();
  });
});

describe('remove', () => {
  it('removes a record; a second remove fails with code 2', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await client.remove(k);
    expect(await client.exists(k)).toBe(false);
    await expect(client.remove(k)).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
  });

  it('works in callback form', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await viaCallback(cb => client.remove(k, cb));
    expect(await client.exists(k)).toBe(false);
  });

  it('honours the generation policy', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await expect(
      client.remove(k, { gen: policy.gen.EQ, generation: 5 })
    ).rejects.toMatchObject({ code: status.ERR_RECORD_GENERATION });
    await client.remove(k, { gen: policy.gen.EQ, generation: 1 });
    expect(await client.exists(k)).toBe(false);
  });
});

describe('write policies', () => {
  it('generation EQ accepts the current generation only', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    const eq = { gen: policy.gen.EQ };
    await expect(client.put(k, { a: 2 }, { gen: 7 }, eq)).rejects.toMatchObject(
      { code: status.ERR_RECORD_GENERATION }
    );
    await client.put(k, { a: 2 }, { gen: 1 }, eq);
    expect((await client.get(k)).gen).toBe(2);
  });

  it('generation GT accepts a greater generation only', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    const gt = { gen: policy.gen.GT };
    await expect(client.put(k, { a: 2 }, { gen: 1 }, gt)).rejects.toMatchObject(
      { code: status.ERR_RECORD_GENERATION }
    );
    await client.put(k, { a: 2 }, { gen: 5 }, gt);
    expect((await client.get(k)).bins).toEqual({ a: 2 });
  });

  it('CREATE fails on an existing record with code 5', async () => {
    const k = freshKey();
    const create = { exists: policy.exists.CREATE };
    await client.put(k, { a: 1 }, {}, create);
    await expect(client.put(k, { a: 2 }, {}, create)).rejects.toMatchObject({
      code: status.ERR_RECORD_EXISTS,
    });
  });

  it('UPDATE and REPLACE fail on a missing record with code 2', async () => {
    for (const exists of [policy.exists.UPDATE, policy.exists.REPLACE]) {
      await expect(
        client.put(freshKey(), { a: 1 }, {}, { exists })
      ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
    }
  });

  it('REPLACE and CREATE_OR_REPLACE drop the bins not written', async () => {
    const k = freshKey();
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { c: 3 }, {}, { exists: policy.exists.REPLACE });
    expect((await client.get(k)).bins).toEqual({ c: 3 });
    await client.put(
      k,
      { d: 4 },
      {},
      { exists: policy.exists.CREATE_OR_REPLACE }
    );
    expect((await client.get(k)).bins).toEqual({ d: 4 });
    const k2 = freshKey();
    await client.put(
      k2,
      { e: 5 },
      {},
      { exists: policy.exists.CREATE_OR_REPLACE }
    );
    expect((await client.get(k2)).bins).toEqual({ e: 5 });
  });
});

describe('ttl', () => {
  it('defaults to never expire (-1)', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    expect((await client.get(k)).ttl).toBe(-1);
  });

  it('reports the remaining ttl of a record', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { ttl: 3600 });
    const ttl = (await client.get(k)).ttl;
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('-2 leaves the ttl unchanged and -1 removes it', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { ttl: 3600 });
    await client.put(k, { b: 1 }, { ttl: Aerospike.ttl.DONT_UPDATE });
    expect((await client.get(k)).ttl).toBeGreaterThan(3590);
    await client.put(k, { c: 1 }, { ttl: Aerospike.ttl.NEVER_EXPIRE });
    expect((await client.get(k)).ttl).toBe(-1);
  });

  it('an expired record is gone', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { ttl: 1 });
    await new Promise(r => setTimeout(r, 2100));
    await expect(client.get(k)).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
  });
});

describe('user keys', () => {
  it('accepts string, integer, bigint and Buffer keys', async () => {
    const keys = [
      new Key('test', set, 'str-key'),
      new Key('test', set, 12345),
      new Key('test', set, 2n ** 62n),
      new Key('test', set, Buffer.from('blob-key')),
    ];
    for (const [i, k] of keys.entries()) await client.put(k, { i });
    for (const [i, k] of keys.entries()) {
      expect((await client.get(k)).bins).toEqual({ i });
    }
  });

  it('a key stored with key: SEND comes back in scans', async () => {
    const sendSet = uniqueName('sendkey');
    await client.put(
      new Key('test', sendSet, 'kept'),
      { a: 1 },
      {},
      { key: policy.key.SEND }
    );
    await client.put(new Key('test', sendSet, 'dropped'), { a: 2 });
    const recs = await client.scan('test', sendSet).results();
    const keys = recs.map((r: any) => r.key.key).sort();
    expect(keys).toEqual(['kept', undefined].sort());
  });
});
