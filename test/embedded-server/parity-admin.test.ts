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

// Admin commands (indexes, UDF modules, truncate) are idempotent on a real
// 8.1 node: this suite runs against the embedded server and, unchanged,
// against AEROSPIKE_HOSTS. Each test names the server source
// (aerospike-server 8.1.0.3, as/src/...) that decides the answer.

const { Key, status, filter } = Aerospike;

let backend: Backend;
let client: any;
const set = uniqueName('parity_a');
const created: string[] = [];

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
  for (let i = 0; i < 10; i++) {
    await client.put(new Key('test', set, i), { i, s: `s${i % 2}` });
  }
});

afterAll(async () => {
  for (const idx of created) {
    await client?.indexRemove('test', idx).catch(() => {});
  }
  await client?.close();
  await backend?.close();
});

async function createIndex(options: Record<string, unknown>): Promise<void> {
  created.push(options.index as string);
  const job = await client.createIndex({ ns: 'test', set, ...options });
  await job.wait(20);
}

async function indexNames(): Promise<string> {
  return client.infoAny('sindex-list:ns=test');
}

async function queryI(from: number, to: number): Promise<number[]> {
  const q = client.query('test', set);
  q.where(filter.range('i', from, to));
  const recs = await q.results();
  return recs.map((r: any) => r.bins.i).sort((a: number, b: number) => a - b);
}

describe('secondary indexes', () => {
  // cmd_sindex_create() (base/thr_info.c): the same name and definition
  // again is "ok".
  it('creating the same index twice succeeds and the index keeps working', async () => {
    const index = uniqueName('pidx');
    const options = {
      index,
      bin: 'i',
      datatype: Aerospike.indexDataType.NUMERIC,
    };
    await createIndex(options);
    await createIndex(options);
    expect(await queryI(2, 4)).toEqual([2, 3, 4]);
  });

  it('a name taken by another definition fails with code 200', async () => {
    const index = uniqueName('pidx');
    await createIndex({
      index,
      bin: 's',
      datatype: Aerospike.indexDataType.STRING,
    });
    await expect(
      client.createIndex({
        ns: 'test',
        set,
        index,
        bin: 'i',
        datatype: Aerospike.indexDataType.NUMERIC,
      })
    ).rejects.toMatchObject({ code: status.ERR_INDEX_FOUND });
  });

  // smd_create() (sindex/sindex.c): a new name for an existing definition
  // renames the index.
  it('a new name for an existing definition renames the index', async () => {
    const bin = `r${Math.floor(Math.random() * 1e6)}`;
    const first = uniqueName('pidx');
    const second = uniqueName('pidx');
    await createIndex({
      index: first,
      bin,
      datatype: Aerospike.indexDataType.NUMERIC,
    });
    await createIndex({
      index: second,
      bin,
      datatype: Aerospike.indexDataType.NUMERIC,
    });
    await eventually(async () => {
      const names = await indexNames();
      return names.includes(second) && !names.includes(first);
    });
  });

  // cmd_sindex_delete(): an index that is not there is "ok".
  it('removing an index that does not exist succeeds', async () => {
    await client.indexRemove('test', uniqueName('noidx'));
  });

  it('removing an index twice succeeds', async () => {
    const index = uniqueName('pidx');
    await createIndex({
      index,
      bin: 'x',
      datatype: Aerospike.indexDataType.NUMERIC,
    });
    await client.indexRemove('test', index);
    await client.indexRemove('test', index);
    await eventually(async () => !(await indexNames()).includes(index));
  });

  // cmd_sindex_exists(): namespace checked, then the name.
  it('sindex-exists answers false for an unknown index, 20 for an unknown namespace', async () => {
    expect(
      await client.infoAny(`sindex-exists:ns=test;indexname=${uniqueName('n')}`)
    ).toMatch(/\tfalse\n?$/);
    await expect(
      client.infoAny('sindex-exists:ns=no_such_ns;indexname=x')
    ).rejects.toMatchObject({ code: status.ERR_NAMESPACE_NOT_FOUND });
  });

  // cmd_sindex_create(): the set is optional, but present it needs a
  // value (as_info_optional_param_is_ok()).
  it('sindex-create with an empty set value fails with 4', async () => {
    const index = uniqueName('pidx');
    await expect(
      client.infoAny(
        `sindex-create:namespace=test;set=;indexname=${index};indexdata=i,numeric`
      )
    ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
    expect(await indexNames()).not.toContain(index);
  });

  it('sindex-stat of an unknown index fails with 201', async () => {
    await expect(
      client.infoAny(`sindex-stat:ns=test;indexname=${uniqueName('n')}`)
    ).rejects.toMatchObject({ code: status.ERR_INDEX_NOT_FOUND });
  });
});

describe('UDF modules', () => {
  const source = 'function hello(rec)\n  return "hello"\nend\n';
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parity-udf-'));
  });

  // udf_cask_info_remove() (base/udf_cask.c): no check that it existed.
  it('removing a module that does not exist succeeds', async () => {
    await client.udfRemove(`${uniqueName('nomod')}.lua`);
  });

  it('udf-get returns the module source; after removal, not_found', async () => {
    const module = uniqueName('pmod');
    const file = join(dir, `${module}.lua`);
    writeFileSync(file, source);
    const job = await client.udfRegister(file);
    await job.wait(20);
    const reply: string = await client.infoAny(
      `udf-get:filename=${module}.lua`
    );
    const content = /content=([^;\n]*)/.exec(reply)?.[1] ?? '';
    expect(reply).toMatch(/type=LUA/);
    expect(Buffer.from(content, 'base64').toString()).toBe(source);
    await client.udfRemove(`${module}.lua`);
    await client.udfRemove(`${module}.lua`);
    await eventually(async () =>
      /error=not_found/.test(
        await client.infoAny(`udf-get:filename=${module}.lua`).catch(String)
      )
    );
  });
});

describe('truncate', () => {
  // as_truncate_cmd() (base/truncate.c): a cut-off in the future is 4.
  it('a cut-off in the future fails with 4', async () => {
    const future = (Date.now() + 3_600_000) * 1_000_000;
    await expect(
      client.truncate('test', uniqueName('t'), future)
    ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
  });

  // The truncate command goes through SMD, which skips namespaces the node
  // does not serve: "ok".
  it('a namespace the node does not serve is accepted', async () => {
    await client.truncate('no_such_ns', uniqueName('t'), 0);
  });

  it('an empty set stays listed with 0 objects after a truncate', async () => {
    const s = uniqueName('tset');
    await client.put(new Key('test', s, 1), { a: 1 });
    await new Promise(r => setTimeout(r, 5));
    await client.truncate('test', s, 0);
    await eventually(async () =>
      /objects=0:/.test(await client.infoAny(`sets/test/${s}`))
    );
  });
});
