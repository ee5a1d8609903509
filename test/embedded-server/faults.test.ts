/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import {
  onEmbedded,
  startBackend,
  uniqueName,
  type Backend,
} from '../helpers/backend.ts';
import type { EmbeddedServer } from '../server/index.ts';
import { connectClient } from './client.ts';

// Fault injection exists only in the embedded server: every test skips
// against a real one.

const { Key, status } = Aerospike;

let backend: Backend;
let server: EmbeddedServer;
let client: any;
const set = uniqueName('faults');
const key = (k: string | number): any => new Key('test', set, k);
/** Client-side codes for a lost connection (async vs worker-thread paths). */
const CONNECTION_LOST = [-6, -10, status.ERR_CONNECTION];

beforeAll(async () => {
  backend = await startBackend();
  if (!onEmbedded) return;
  server = backend.embedded!;
  client = await connectClient(backend.hosts);
  for (let i = 0; i < 20; i++) await client.put(key(i), { i });
});

afterEach(() => {
  if (onEmbedded) server.faults.clear();
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

describe.skipIf(!onEmbedded)('fault rules (embedded only)', () => {
  it('error: answers the given result code, times times', async () => {
    const id = server.faults.add({
      kind: 'read',
      key: 1,
      times: 1,
      action: { type: 'error', code: status.ERR_RECORD_BUSY },
    });
    await expect(client.get(key(1))).rejects.toMatchObject({
      code: status.ERR_RECORD_BUSY,
    });
    expect(server.faults.hits(id)).toBe(1);
    // Used up: the next read succeeds.
    expect((await client.get(key(1))).bins).toEqual({ i: 1 });
    expect(server.faults.list()).toEqual([]);
  });

  it('matches on key: other keys are untouched', async () => {
    server.faults.add({
      kind: 'read',
      key: 2,
      action: { type: 'error', code: 1 },
    });
    expect((await client.get(key(3))).bins).toEqual({ i: 3 });
    await expect(client.get(key(2))).rejects.toMatchObject({ code: 1 });
  });

  it('matches on kind, namespace and set', async () => {
    server.faults.add({
      kind: 'write',
      namespace: 'test',
      set,
      action: { type: 'error', code: status.ERR_RECORD_TOO_BIG },
    });
    expect((await client.get(key(4))).bins).toEqual({ i: 4 });
    await client.put(new Key('test', uniqueName('other'), 1), { a: 1 });
    await expect(client.put(key(4), { a: 1 })).rejects.toMatchObject({
      code: status.ERR_RECORD_TOO_BIG,
    });
  });

  it('matches a key given as a digest', async () => {
    const k = key(5);
    const { digest } = await client.put(k, { i: 5 });
    server.faults.add({ key: digest, action: { type: 'error', code: 1 } });
    expect((await client.get(key(8))).bins).toEqual({ i: 8 });
    await expect(client.get(k)).rejects.toMatchObject({ code: 1 });
  });

  it('matches a user key sent with key: SEND', async () => {
    const k = key('sent');
    await client.put(k, { a: 1 });
    server.faults.add({
      kind: 'write',
      key: 'sent',
      action: { type: 'error', code: status.ERR_RECORD_BUSY },
    });
    await expect(
      client.put(k, { a: 2 }, {}, { key: Aerospike.policy.key.SEND })
    ).rejects.toMatchObject({ code: status.ERR_RECORD_BUSY });
  });

  it('delay: the client times out with code 9', async () => {
    server.faults.add({
      kind: 'read',
      key: 6,
      times: 3,
      action: { type: 'delay', ms: 300 },
    });
    await expect(
      client.get(key(6), { totalTimeout: 100, socketTimeout: 100 })
    ).rejects.toMatchObject({ code: status.ERR_TIMEOUT });
    server.faults.clear();
    expect((await client.get(key(6))).bins).toEqual({ i: 6 });
  });

  it('drop: the connection closes before the reply', async () => {
    server.faults.add({
      kind: 'read',
      key: 7,
      // The default read policy tries three times.
      times: 3,
      action: { type: 'drop' },
    });
    const err = await client.get(key(7)).catch((e: any) => e);
    expect(CONNECTION_LOST).toContain(err.code);
    expect((await client.get(key(7))).bins).toEqual({ i: 7 });
  });

  it('dropAfter: a scan stream breaks after N records', async () => {
    server.faults.add({
      kind: 'scan',
      times: 10,
      action: { type: 'dropAfter', records: 3 },
    });
    const seen: number[] = [];
    const err = await new Promise<any>(resolve => {
      const stream = client
        .scan('test', set)
        .foreach({ maxRetries: 0, totalTimeout: 2000 });
      stream.on('data', (r: any) => seen.push(r.bins.i));
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    // The records before the break arrive, then the stream fails.
    expect(seen).toHaveLength(3);
    expect(CONNECTION_LOST).toContain(err?.code);
  });

  it('batch faults answer the whole batch', async () => {
    server.faults.add({
      kind: 'batch',
      times: 1,
      action: { type: 'error', code: status.ERR_SERVER },
    });
    await expect(client.batchGet([key(1), key(2)])).rejects.toMatchObject({
      code: status.ERR_SERVER,
    });
  });

  it('info traffic is never faulted', async () => {
    server.faults.add({ action: { type: 'drop' } });
    expect(await client.infoAny('namespaces')).toContain('test');
    server.faults.clear();
  });

  it('counters count commands per kind', async () => {
    server.reset();
    await client.put(key('c'), { a: 1 });
    await client.get(key('c'));
    await client.get(key('c'));
    // (a one-key batch is sent as a plain read by the client)
    await client.batchGet([key('c'), key('d')]);
    await client.scan('test', set).results();
    const c = server.counters();
    expect(c).toMatchObject({ write: 1, read: 2, batch: 1, scan: 1 });
    expect(c.total).toBe(5);
  });

  it('reset drops data, rules and counters', async () => {
    await client.put(key('r'), { a: 1 });
    server.faults.add({ action: { type: 'error', code: 1 } });
    server.reset();
    expect(server.faults.list()).toEqual([]);
    expect(server.counters().total).toBe(0);
    await expect(client.get(key('r'))).rejects.toMatchObject({
      code: status.ERR_RECORD_NOT_FOUND,
    });
  });

  it('rejects malformed rules', () => {
    expect(() =>
      server.faults.add({ times: 0, action: { type: 'drop' } })
    ).toThrow();
    expect(() =>
      server.faults.add({ action: { type: 'bogus' } as any })
    ).toThrow();
  });
});
