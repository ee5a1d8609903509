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

const { Key, status } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('udf');
const module = uniqueName('udfmod');
const dir = mkdtempSync(join(tmpdir(), 'udf-suite-'));
let n = 0;
const freshKey = (): any => new Key('test', set, `k${n++}`);

const SOURCE = `
function hello(rec, name)
  return 'hello ' .. name
end

function setbin(rec, bin, value)
  rec[bin] = value
  if aerospike:exists(rec) then
    aerospike:update(rec)
  else
    aerospike:create(rec)
  end
  return rec[bin]
end

function drop(rec)
  aerospike:remove(rec)
  return 'gone'
end

function boom(rec)
  error('boom')
end
`;

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
  const file = join(dir, `${module}.lua`);
  writeFileSync(file, SOURCE);
  await (await client.udfRegister(file)).wait(50);
});

afterAll(async () => {
  await client?.udfRemove(`${module}.lua`).catch(() => {});
  await client?.close();
  await backend?.close();
});

describe('udf registration', () => {
  it('udf-list shows the registered module', async () => {
    const list: string = await client.infoAny('udf-list');
    expect(list).toMatch(
      new RegExp(`filename=${module}\\.lua,hash=\\w+,type=LUA`)
    );
  });

  it('a module that does not compile is refused', async () => {
    const file = join(dir, `${uniqueName('broken')}.lua`);
    writeFileSync(file, 'function broken(rec\n  return 1\nend\n');
    const err = await client
      .udfRegister(file)
      .then((job: any) => job.wait(50))
      .catch((e: any) => e);
    expect(err.code).toBe(status.ERR_UDF);
    expect(err.message).toMatch(/compile_error/);
  });

  it('udfRemove unregisters a module', async () => {
    const name = uniqueName('tmpmod');
    const file = join(dir, `${name}.lua`);
    writeFileSync(file, 'function f(rec)\n  return 1\nend\n');
    await (await client.udfRegister(file)).wait(50);
    await (await client.udfRemove(`${name}.lua`)).wait(50);
    expect(await client.infoAny('udf-list')).not.toContain(`${name}.lua`);
  });
});

describe('apply', () => {
  it('returns the function result (promise and callback forms)', async () => {
    const k = freshKey();
    const udf = { module, funcname: 'hello', args: ['bob'] };
    expect(await client.apply(k, udf)).toBe('hello bob');
    expect(await viaCallback(cb => client.apply(k, udf, cb))).toBe('hello bob');
  });

  it('writes through aerospike:create / update', async () => {
    const k = freshKey();
    expect(
      await client.apply(k, { module, funcname: 'setbin', args: ['x', 5] })
    ).toBe(5);
    let rec = await client.get(k);
    expect(rec.bins).toEqual({ x: 5 });
    expect(rec.gen).toBe(1);
    await client.apply(k, { module, funcname: 'setbin', args: ['y', 'z'] });
    rec = await client.get(k);
    expect(rec.bins).toEqual({ x: 5, y: 'z' });
    expect(rec.gen).toBe(2);
  });

  it('removes through aerospike:remove', async () => {
    const k = freshKey();
    await client.put(k, { a: 1 });
    expect(await client.apply(k, { module, funcname: 'drop', args: [] })).toBe(
      'gone'
    );
    expect(await client.exists(k)).toBe(false);
  });

  it('a Lua error is code 100 with the error message', async () => {
    const err = await client
      .apply(freshKey(), { module, funcname: 'boom', args: [] })
      .catch((e: any) => e);
    expect(err.code).toBe(status.ERR_UDF);
    expect(err.message).toMatch(/boom/);
  });

  it('an unknown function is code 100', async () => {
    await expect(
      client.apply(freshKey(), { module, funcname: 'nope', args: [] })
    ).rejects.toMatchObject({ code: status.ERR_UDF });
  });
});
