/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import {
  onEmbedded,
  startBackend,
  uniqueName,
  type Backend,
} from '../helpers/backend.ts';
import { connectClient, viaCallback } from './client.ts';

const { Key, status, operations: op, lists, maps } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('operate');
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

describe('operate', () => {
  it('writes and reads in one command, returning gen and ttl', async () => {
    const k = freshKey();
    const rec = await client.operate(k, [
      op.write('a', 1),
      op.write('s', 'x'),
      op.read('a'),
    ]);
    expect(rec.bins).toEqual({ a: 1 });
    expect(rec.gen).toBe(1);
    expect(rec.ttl).toBe(-1);
  });

  it('works in callback form', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    const rec: any = await viaCallback(cb =>
      client.operate(k, [op.incr('a', 2), op.read('a')], cb)
    );
    expect(rec.bins).toEqual({ a: 3 });
  });

  it('increments integers and doubles, creating missing bins', async () => {
    const k = freshKey();
    await client.put(k, { i: 10, d: 1.5 });
    const rec = await client.operate(k, [
      op.incr('i', -3),
      op.incr('d', 1.25),
      op.incr('fresh', 5),
      op.read('i'),
      op.read('d'),
      op.read('fresh'),
    ]);
    expect(rec.bins).toEqual({ i: 7, d: 2.75, fresh: 5 });
  });

  it('rejects an increment of the wrong type with code 12', async () => {
    const k = freshKey();
    await client.put(k, { i: 1, s: 'text' });
    await expect(client.operate(k, [op.incr('i', 1.5)])).rejects.toMatchObject({
      code: status.ERR_BIN_INCOMPATIBLE_TYPE,
    });
    await expect(client.operate(k, [op.incr('s', 1)])).rejects.toMatchObject({
      code: status.ERR_BIN_INCOMPATIBLE_TYPE,
    });
    // A failed command changes nothing.
    expect((await client.get(k)).gen).toBe(1);
  });

  it('append / prepend strings and blobs; the helpers work too', async () => {
    const k = freshKey();
    await client.put(k, { s: 'mid', b: Buffer.from([2]) });
    await client.operate(k, [
      op.append('s', '-end'),
      op.prepend('s', 'start-'),
      op.append('b', Buffer.from([3])),
      op.prepend('b', Buffer.from([1])),
    ]);
    await client.append(k, { s: '!' });
    await client.prepend(k, { s: '>' });
    await client.add(k, { n: 4 });
    const rec = await client.get(k);
    expect(rec.bins).toEqual({
      s: '>start-mid-end!',
      b: Buffer.from([1, 2, 3]),
      n: 4,
    });
    await expect(client.append(k, { n: 'x' })).rejects.toMatchObject({
      code: status.ERR_BIN_INCOMPATIBLE_TYPE,
    });
  });

  it('touch resets the ttl and bumps the generation', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 }, { ttl: 100 });
    const rec = await client.operate(k, [op.touch(5000)]);
    expect(rec.gen).toBe(2);
    const meta = await client.get(k);
    expect(meta.ttl).toBeGreaterThan(4990);
    await expect(
      client.operate(freshKey(), [op.touch(10)])
    ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
  });

  it('delete removes the record', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    await client.operate(k, [op.delete()]);
    expect(await client.exists(k)).toBe(false);
  });

  it('reading a missing record fails with code 2', async () => {
    await expect(
      client.operate(freshKey(), [op.read('a')])
    ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
  });
});

describe('CDT operations', () => {
  it('list append / size / get', async () => {
    const k = freshKey();
    const rec = await client.operate(k, [
      lists.append('l', 'a'),
      lists.appendItems('l', ['b', 'c']),
      lists.size('l'),
    ]);
    expect(rec.bins.l).toBe(3);
    const got = await client.operate(k, [lists.get('l', 1)]);
    expect(got.bins.l).toBe('b');
    expect((await client.get(k)).bins.l).toEqual(['a', 'b', 'c']);
  });

  it('map put / get by key, one result per op (respond-all-ops)', async () => {
    const k = freshKey();
    const rec = await client.operate(k, [
      maps.put('m', 'x', 1),
      maps.put('m', 'y', 2),
      op.write('plain', 1),
      maps.getByKey('m', 'y', maps.returnType.VALUE),
    ]);
    // Map operations make the client ask for one result per op: writes
    // answer null, the last result of a bin wins.
    expect(rec.bins.m).toBe(2);
    expect(rec.bins.plain).toBeNull();
    expect((await client.get(k)).bins.m).toEqual({ x: 1, y: 2 });
  });

  it('a list op on a non-list bin fails with code 12', async () => {
    const k = freshKey();
    await client.put(k, { s: 'text' });
    await expect(
      client.operate(k, [lists.append('s', 1)])
    ).rejects.toMatchObject({ code: status.ERR_BIN_INCOMPATIBLE_TYPE });
  });
});

describe('unsupported operations', () => {
  it.skipIf(!onEmbedded)(
    'expression and bit ops answer code 16 (embedded server only)',
    async () => {
      const { exp, bitwise } = Aerospike;
      const k = freshKey();
      await client.put(k, { a: 1, b: Buffer.from([0]) });
      await expect(
        client.operate(k, [exp.operations.read('r', exp.int(1), 0)])
      ).rejects.toMatchObject({ code: status.ERR_UNSUPPORTED_FEATURE });
      await expect(
        client.operate(k, [bitwise.set('b', 0, 8, Buffer.from([1]))])
      ).rejects.toMatchObject({ code: status.ERR_UNSUPPORTED_FEATURE });
      // The record is untouched and the server keeps serving.
      expect((await client.get(k)).bins.a).toBe(1);
    }
  );
});
