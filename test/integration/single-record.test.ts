/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import {
  callbackForm,
  onlySpan,
  setupTelemetry,
  useClient,
} from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('single');

const db = useClient(telemetry);

function key(id: string | number | bigint | Buffer) {
  return new Aerospike.Key('test', set, id);
}

/** Runs `fn` inside a parent span; returns the parent. */
async function withParent<T>(
  fn: () => Promise<T>
): Promise<{ parent: ReturnType<typeof telemetry.startParent>; value: T }> {
  const parent = telemetry.startParent();
  const value = await context.with(trace.setSpan(context.active(), parent), fn);
  parent.end();
  return { parent, value };
}

/**
 * network.peer.*: the node that answered, as the client names it in the
 * error message (on the embedded server, the seed itself).
 */
function expectPeer(span: ReadableSpan) {
  const address = span.attributes['network.peer.address'];
  expect(isIP(String(address))).not.toBe(0);
  expect(span.attributes['network.peer.port']).toEqual(expect.any(Number));
  if (onEmbedded) {
    expect(address).toBe(db.seedHost);
    expect(span.attributes['network.peer.port']).toBe(db.seedPort);
  }
}

function expectCommonAttributes(span: ReadableSpan, operation: string) {
  expect(span.kind).toBe(SpanKind.CLIENT);
  expect(span.name).toBe(`${operation} test.${set}`);
  expect(span.attributes).toMatchObject({
    'db.system.name': 'aerospike',
    'db.namespace': 'test',
    'db.collection.name': set,
    'db.operation.name': operation,
    'db.query.summary': `${operation} test.${set}`,
    'server.address': db.serverAddress,
  });
  // Not set when the client has several seeds.
  expect(span.attributes['server.port']).toBe(db.serverPort);
  expect(span.attributes['db.aerospike.key']).toBeUndefined();
}

describe('single-record operations', () => {
  it('traces put (promise) as a child of the active span', async () => {
    const k = key('put-promise');
    const { parent, value } = await withParent(() =>
      db.client.put(k, { name: 'a', n: 1 })
    );
    expect(value).toBeInstanceOf(Aerospike.Key);
    const span = onlySpan(telemetry);
    expectCommonAttributes(span, 'PUT');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('traces put (callback) with the callback arguments unchanged', async () => {
    const k = key('put-callback');
    const { parent, value } = await withParent(() =>
      callbackForm(db.client, 'put', k, { n: 1 })
    );
    const [error, result] = value;
    expect(error).toBeNull();
    expect(result).toBeInstanceOf(Aerospike.Key);
    const span = onlySpan(telemetry);
    expectCommonAttributes(span, 'PUT');
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('records generation and ttl of get, select and existsWithMetadata', async () => {
    const k = key('meta');
    await db.client.put(k, { a: 1, b: 2 });
    await db.client.put(k, { a: 3 });
    telemetry.resetSpans();

    const record = await db.client.get(k);
    expect(record.bins).toEqual({ a: 3, b: 2 });
    let span = onlySpan(telemetry);
    expectCommonAttributes(span, 'GET');
    expect(span.attributes['db.aerospike.generation']).toBe(record.gen);
    expect(span.attributes['db.aerospike.generation']).toBe(2);
    expect(span.attributes['db.aerospike.ttl']).toBe(record.ttl);

    telemetry.resetSpans();
    const [err, selected] = (await callbackForm(db.client, 'select', k, [
      'b',
    ])) as [unknown, any];
    expect(err).toBeNull();
    expect(selected.bins).toEqual({ b: 2 });
    span = onlySpan(telemetry);
    expectCommonAttributes(span, 'SELECT');
    expect(span.attributes['db.aerospike.generation']).toBe(2);

    telemetry.resetSpans();
    const meta = await db.client.existsWithMetadata(k);
    span = onlySpan(telemetry);
    expectCommonAttributes(span, 'EXISTS');
    expect(span.attributes['db.aerospike.generation']).toBe(meta.gen);
  });

  it('treats exists answering false as a success', async () => {
    const missing = key('never-written');
    expect(await db.client.exists(missing)).toBe(false);
    let span = onlySpan(telemetry);
    expectCommonAttributes(span, 'EXISTS');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();

    telemetry.resetSpans();
    const [err, exists] = await callbackForm(db.client, 'exists', missing);
    expect(err).toBeNull();
    expect(exists).toBe(false);
    span = onlySpan(telemetry);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a missing record as an error, rejecting with the same error', async () => {
    const missing = key('missing');
    const error = await db.client.get(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Aerospike.AerospikeError);
    expect(error.code).toBe(Aerospike.status.ERR_RECORD_NOT_FOUND);
    const span = onlySpan(telemetry);
    expectCommonAttributes(span, 'GET');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: error.message,
    });
    // error.type is the status code (2, ERR_RECORD_NOT_FOUND).
    expect(span.attributes['error.type']).toBe('2');
    expect(span.attributes['db.response.status_code']).toBe('2');
    // A read names the node in its error: "127.0.0.1:3000 Record does not ...".
    expect(error.message).toMatch(/^\S+:\d+ /);
    expectPeer(span);
    expect(span.events.map(e => e.name)).toEqual(['exception']);
    expect(span.events[0].attributes?.['exception.message']).toBe(
      error.message
    );
  });

  it('passes the very error object to a callback', async () => {
    const missing = key('missing-callback');
    const [error] = (await callbackForm(db.client, 'remove', missing)) as [any];
    expect(error).toBeInstanceOf(Aerospike.AerospikeError);
    expect(error.code).toBe(2);
    const span = onlySpan(telemetry);
    expectCommonAttributes(span, 'REMOVE');
    expect(span.attributes['error.type']).toBe('2');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // A write's error does not name the node: no network.peer.*.
    expect(error.message).not.toMatch(/^\S+:\d+ /);
    expect(span.attributes['network.peer.address']).toBeUndefined();
    expect(span.attributes['network.peer.port']).toBeUndefined();
  });

  it('types generation and exists-policy failures by their status codes', async () => {
    const k = key('policies');
    await db.client.put(k, { v: 1 });
    telemetry.resetSpans();
    const genError = await db.client
      .put(
        k,
        { v: 2 },
        { gen: 99 },
        new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.EQ })
      )
      .catch((e: any) => e);
    expect(genError.code).toBe(Aerospike.status.ERR_RECORD_GENERATION);
    expect(onlySpan(telemetry).attributes['error.type']).toBe('3');
    expect(onlySpan(telemetry).attributes['db.response.status_code']).toBe('3');

    telemetry.resetSpans();
    const existsError = await db.client
      .put(
        k,
        { v: 3 },
        {},
        new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE })
      )
      .catch((e: any) => e);
    expect(existsError.code).toBe(Aerospike.status.ERR_RECORD_EXISTS);
    expect(onlySpan(telemetry).attributes['error.type']).toBe('5');
  });

  it('traces remove', async () => {
    const k = key('remove');
    await db.client.put(k, { v: 1 });
    telemetry.resetSpans();
    await db.client.remove(k);
    expectCommonAttributes(onlySpan(telemetry), 'REMOVE');
  });
});

describe('client-side failures (embedded server faults)', () => {
  it.skipIf(!onEmbedded)(
    'records a client timeout as 9 (ERR_TIMEOUT), with the last node tried',
    async () => {
      const k = key('slow');
      await db.client.put(k, { v: 1 });
      telemetry.resetSpans();
      db.backend.embedded!.faults.add({
        kind: 'read',
        set,
        action: { type: 'delay', ms: 300 },
        times: 1,
      });
      const policy = new Aerospike.ReadPolicy({
        totalTimeout: 50,
        socketTimeout: 50,
        maxRetries: 0,
      });
      const error = await db.client.get(k, policy).catch((e: any) => e);
      expect(error.code).toBe(Aerospike.status.ERR_TIMEOUT);
      const span = onlySpan(telemetry);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('9');
      expect(span.attributes['db.response.status_code']).toBe('9');
      expect(error.message).toMatch(/lastNode=/);
      expectPeer(span);
    }
  );

  it.skipIf(!onEmbedded)(
    'records a dropped connection with the code the client reports',
    async () => {
      const k = key('dropped');
      await db.client.put(k, { v: 1 });
      telemetry.resetSpans();
      db.backend.embedded!.faults.add({
        kind: 'read',
        set,
        action: { type: 'drop' },
        times: 3,
      });
      const [error] = (await callbackForm(
        db.client,
        'get',
        k,
        new Aerospike.ReadPolicy({ maxRetries: 0 })
      )) as [any];
      expect(error).toBeInstanceOf(Aerospike.AerospikeError);
      db.backend.embedded!.faults.clear();
      const span = onlySpan(telemetry);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      // A client-side code (negative): error.type only, not a status the
      // server returned.
      expect(error.code).toBeLessThan(0);
      expect(span.attributes['error.type']).toBe(String(error.code));
      expect(span.attributes['db.response.status_code']).toBeUndefined();
    }
  );
});

describe('operate and its shorthands', () => {
  it('traces operate with the record metadata', async () => {
    const k = key('operate');
    await db.client.put(k, { i: 1, s: 'a' });
    telemetry.resetSpans();
    const { operations: ops } = Aerospike;
    const record = await db.client.operate(k, [
      ops.incr('i', 2),
      ops.read('i'),
    ]);
    expect(record.bins.i).toBe(3);
    const span = onlySpan(telemetry);
    expectCommonAttributes(span, 'OPERATE');
    expect(span.attributes['db.aerospike.generation']).toBe(record.gen);
  });

  it.each([
    ['append', 'APPEND', { s: 'x' }],
    ['prepend', 'PREPEND', { s: 'x' }],
    ['add', 'INCREMENT', { i: 1 }],
    ['incr', 'INCREMENT', { i: 1 }],
  ])(
    '%s produces one %s span and no nested OPERATE span',
    async (method, operation, bins) => {
      const k = key(`shorthand-${method}`);
      await db.client.put(k, { i: 1, s: 'a' });
      telemetry.resetSpans();
      await db.client[method](k, bins);
      expectCommonAttributes(onlySpan(telemetry), operation);

      telemetry.resetSpans();
      const [err] = await callbackForm(db.client, method, k, bins);
      expect(err).toBeNull();
      expectCommonAttributes(onlySpan(telemetry), operation);
    }
  );
});

describe('captureKey', () => {
  it.each([
    ['a string key', 'user-42', 'user-42'],
    ['a number key', 42, 42],
    ['a Buffer key', Buffer.from([0xca, 0xfe]), 'cafe'],
  ])('records %s when enabled', async (_label, id, expected) => {
    telemetry.instrumentation.setConfig({ captureKey: true });
    const k = key(id as string);
    await db.client.put(k, { v: 1 });
    expect(onlySpan(telemetry).attributes['db.aerospike.key']).toEqual(
      expected
    );
  });

  it('records a digest-only key as the digest in hex', async () => {
    telemetry.instrumentation.setConfig({ captureKey: true });
    const k = key('digest-source');
    await db.client.put(k, { v: 1 });
    const digest = k.digest as Buffer;
    telemetry.resetSpans();
    const digestKey = new Aerospike.Key('test', set, null, digest);
    await db.client.get(digestKey);
    expect(onlySpan(telemetry).attributes['db.aerospike.key']).toBe(
      digest.toString('hex')
    );
  });

  it('records no key by default', async () => {
    await db.client.put(key('private'), { v: 1 });
    const span = onlySpan(telemetry);
    expect(span.attributes['db.aerospike.key']).toBeUndefined();
    expect(JSON.stringify(span.attributes)).not.toContain('private');
  });
});
