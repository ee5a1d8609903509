/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';

const { Key, status } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('single');
const key = (k: string | number) => new Key('test', set, k);

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect({
    hosts: backend.hosts,
    log: { level: -1 },
  });
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe('put / get', () => {
  it('round-trips scalar bins (promise form)', async () => {
    const k = key('scalars');
    await client.put(k, {
      i: 42,
      neg: -7,
      big: 2n ** 60n,
      s: 'héllo',
      d: new Aerospike.Double(2.0),
      f: 1.25,
      b: Buffer.from([1, 2, 3]),
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
    });
    expect(rec.gen).toBe(1);
    expect(rec.ttl).toBe(-1);
  });

  it('works in callback form', async () => {
    const k = key('callback');
    await new Promise<void>((resolve, reject) =>
      client.put(k, { a: 1 }, (err: any) => (err ? reject(err) : resolve()))
    );
    const rec: any = await new Promise((resolve, reject) =>
      client.get(k, (err: any, r: any) => (err ? reject(err) : resolve(r)))
    );
    expect(rec.bins).toEqual({ a: 1 });
  });

  it('rejects a missing record with code 2', async () => {
    await expect(client.get(key('missing'))).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
  });
});
