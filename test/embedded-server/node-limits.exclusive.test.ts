/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient } from './client.ts';

// Tests that take a whole node: they saturate its query threads or truncate
// a namespace, which would break the other suites sharing a real server.
// `*.exclusive.test.ts` files run after every other file is done (the
// "exclusive" project of vitest.config.ts), against the embedded server by
// default and, unchanged, against AEROSPIKE_HOSTS.

const { Key, status } = Aerospike;

let backend: Backend;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts, { maxConnsPerNode: 500 });
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe('query threads limit', () => {
  // as_query_manager_start_job() (query/query_manager.c): with every one
  // of query-threads-limit (128) threads busy, "at query threads limit -
  // can't start new query", code 22. A throttled scan (records-per-second)
  // takes one thread (as_query_manager_add_max_job_threads() adds none)
  // and holds it for its whole run; throttle_sleep() (query/query_job.c)
  // pauses at most 10 ms after each record, so 200 records at one a second
  // hold it for about two seconds: all 200 scans overlap however slowly the
  // client sends them.
  it('more than 128 throttled scans at once: the surplus fails with 22', async () => {
    const set = uniqueName('threads');
    const records = 200;
    await Promise.all(
      Array.from({ length: records }, (_, i) =>
        client.put(new Key('test', set, i), { i })
      )
    );
    const policy = {
      recordsPerSecond: 1,
      totalTimeout: 30_000,
      socketTimeout: 30_000,
      maxRetries: 0,
    };
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        client.scan('test', set).results(policy)
      )
    );
    const failures = results.filter(r => r.status === 'rejected');
    const codes = new Set(failures.map((r: any) => r.reason.code));
    console.log(
      `query threads limit: ${results.length - failures.length} scans ran, ` +
        `${failures.length} refused with ${[...codes].join(', ')}`
    );
    expect(results.length - failures.length).toBeGreaterThanOrEqual(128);
    expect(failures.length).toBeGreaterThan(0);
    expect([...codes]).toEqual([status.ERR_FAIL_FORBIDDEN]);
    for (const r of results) {
      if (r.status === 'fulfilled') expect(r.value).toHaveLength(records);
    }
    // The threads come back once the scans are done.
    expect(await client.scan('test', set).results()).toHaveLength(records);
  }, 60_000);
});

describe('truncate', () => {
  it('truncates a whole namespace', async () => {
    const set = uniqueName('trunc_ns');
    await client.put(new Key('bar', set, 1), { a: 1 });
    await client.put(new Key('test', set, 1), { a: 1 });
    // A node truncates what was written before the current millisecond.
    await new Promise(r => setTimeout(r, 5));
    // Not client.truncate('bar', null): the 6.7.1 native code then sends
    // uninitialised bytes as the set name.
    expect(await client.infoAny('truncate-namespace:namespace=bar')).toMatch(
      /ok/
    );
    await expect(client.get(new Key('bar', set, 1))).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
    expect(await client.exists(new Key('test', set, 1))).toBe(true);
  });
});
