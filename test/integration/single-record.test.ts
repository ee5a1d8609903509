/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { onEmbedded, startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('single');

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;
let serverAddress: string;
let serverPort: number;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(clientConfig(backend.hosts));
  const first = backend.hosts.split(',')[0];
  const colon = first.lastIndexOf(':');
  serverAddress = first.slice(0, colon).replace(/^\[|\]$/g, '');
  serverPort = Number(first.slice(colon + 1));
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

beforeEach(() => {
  telemetry.instrumentation.setConfig({});
  telemetry.resetSpans();
});

function key(id: string | number | bigint | Buffer) {
  return new Aerospike.Key('test', set, id);
}

function onlySpan(): ReadableSpan {
  const spans = telemetry.aerospikeSpans();
  expect(spans.map(s => s.name)).toHaveLength(1);
  return spans[0];
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

/** Calls a client method in callback form and resolves with its arguments. */
function callbackForm(method: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise(resolve => {
    client[method](...args, (...cbArgs: unknown[]) => resolve(cbArgs));
  });
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
    'server.address': serverAddress,
    'server.port': serverPort,
  });
  expect(span.attributes['db.aerospike.key']).toBeUndefined();
}

describe('single-record operations', () => {
  it('traces put (promise) as a child of the active span', async () => {
    const k = key('put-promise');
    const { parent, value } = await withParent(() =>
      client.put(k, { name: 'a', n: 1 })
    );
    expect(value).toBeInstanceOf(Aerospike.Key);
    const span = onlySpan();
    expectCommonAttributes(span, 'PUT');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('traces put (callback) with the callback arguments unchanged', async () => {
    const k = key('put-callback');
    const { parent, value } = await withParent(() =>
      callbackForm('put', k, { n: 1 })
    );
    const [error, result] = value;
    expect(error).toBeNull();
    expect(result).toBeInstanceOf(Aerospike.Key);
    const span = onlySpan();
    expectCommonAttributes(span, 'PUT');
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('records generation and ttl of get, select and existsWithMetadata', async () => {
    const k = key('meta');
    await client.put(k, { a: 1, b: 2 });
    await client.put(k, { a: 3 });
    telemetry.resetSpans();

    const record = await client.get(k);
    expect(record.bins).toEqual({ a: 3, b: 2 });
    let span = onlySpan();
    expectCommonAttributes(span, 'GET');
    expect(span.attributes['db.aerospike.generation']).toBe(record.gen);
    expect(span.attributes['db.aerospike.generation']).toBe(2);
    expect(span.attributes['db.aerospike.ttl']).toBe(record.ttl);

    telemetry.resetSpans();
    const [err, selected] = (await callbackForm('select', k, ['b'])) as [
      unknown,
      any,
    ];
    expect(err).toBeNull();
    expect(selected.bins).toEqual({ b: 2 });
    span = onlySpan();
    expectCommonAttributes(span, 'SELECT');
    expect(span.attributes['db.aerospike.generation']).toBe(2);

    telemetry.resetSpans();
    const meta = await client.existsWithMetadata(k);
    span = onlySpan();
    expectCommonAttributes(span, 'EXISTS');
    expect(span.attributes['db.aerospike.generation']).toBe(meta.gen);
  });

  it('treats exists answering false as a success', async () => {
    const missing = key('never-written');
    expect(await client.exists(missing)).toBe(false);
    let span = onlySpan();
    expectCommonAttributes(span, 'EXISTS');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();

    telemetry.resetSpans();
    const [err, exists] = await callbackForm('exists', missing);
    expect(err).toBeNull();
    expect(exists).toBe(false);
    span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a missing record as an error, rejecting with the same error', async () => {
    const missing = key('missing');
    const error = await client.get(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Aerospike.AerospikeError);
    expect(error.code).toBe(Aerospike.status.ERR_RECORD_NOT_FOUND);
    const span = onlySpan();
    expectCommonAttributes(span, 'GET');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: error.message,
    });
    expect(span.attributes['error.type']).toBe('ERR_RECORD_NOT_FOUND');
    expect(span.attributes['db.response.status_code']).toBe('2');
    expect(span.events.map(e => e.name)).toEqual(['exception']);
    expect(span.events[0].attributes?.['exception.message']).toBe(
      error.message
    );
  });

  it('passes the very error object to a callback', async () => {
    const missing = key('missing-callback');
    const [error] = (await callbackForm('remove', missing)) as [any];
    expect(error).toBeInstanceOf(Aerospike.AerospikeError);
    expect(error.code).toBe(2);
    const span = onlySpan();
    expectCommonAttributes(span, 'REMOVE');
    expect(span.attributes['error.type']).toBe('ERR_RECORD_NOT_FOUND');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('maps generation and exists-policy failures to their status names', async () => {
    const k = key('policies');
    await client.put(k, { v: 1 });
    telemetry.resetSpans();
    const genError = await client
      .put(
        k,
        { v: 2 },
        { gen: 99 },
        new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.EQ })
      )
      .catch((e: any) => e);
    expect(genError.code).toBe(Aerospike.status.ERR_RECORD_GENERATION);
    expect(onlySpan().attributes['error.type']).toBe('ERR_RECORD_GENERATION');
    expect(onlySpan().attributes['db.response.status_code']).toBe('3');

    telemetry.resetSpans();
    const existsError = await client
      .put(
        k,
        { v: 3 },
        {},
        new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE })
      )
      .catch((e: any) => e);
    expect(existsError.code).toBe(Aerospike.status.ERR_RECORD_EXISTS);
    expect(onlySpan().attributes['error.type']).toBe('ERR_RECORD_EXISTS');
  });

  it('traces remove', async () => {
    const k = key('remove');
    await client.put(k, { v: 1 });
    telemetry.resetSpans();
    await client.remove(k);
    expectCommonAttributes(onlySpan(), 'REMOVE');
  });
});

describe('client-side failures (embedded server faults)', () => {
  function statusName(code: number): string | undefined {
    return Object.entries(Aerospike.status as Record<string, number>).find(
      ([name, value]) => value === code && !name.startsWith('AEROSPIKE_')
    )?.[0];
  }

  it.skipIf(!onEmbedded)(
    'records a client timeout as ERR_TIMEOUT',
    async () => {
      const k = key('slow');
      await client.put(k, { v: 1 });
      telemetry.resetSpans();
      backend.embedded!.faults.add({
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
      const error = await client.get(k, policy).catch((e: any) => e);
      expect(error.code).toBe(Aerospike.status.ERR_TIMEOUT);
      const span = onlySpan();
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('ERR_TIMEOUT');
      expect(span.attributes['db.response.status_code']).toBe('9');
    }
  );

  it.skipIf(!onEmbedded)(
    'records a dropped connection with the code the client reports',
    async () => {
      const k = key('dropped');
      await client.put(k, { v: 1 });
      telemetry.resetSpans();
      backend.embedded!.faults.add({
        kind: 'read',
        set,
        action: { type: 'drop' },
        times: 3,
      });
      const [error] = (await callbackForm(
        'get',
        k,
        new Aerospike.ReadPolicy({ maxRetries: 0 })
      )) as [any];
      expect(error).toBeInstanceOf(Aerospike.AerospikeError);
      backend.embedded!.faults.clear();
      const span = onlySpan();
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['db.response.status_code']).toBe(
        String(error.code)
      );
      expect(span.attributes['error.type']).toBe(statusName(error.code));
    }
  );
});

describe('operate and its shorthands', () => {
  it('traces operate with the record metadata', async () => {
    const k = key('operate');
    await client.put(k, { i: 1, s: 'a' });
    telemetry.resetSpans();
    const { operations: ops } = Aerospike;
    const record = await client.operate(k, [ops.incr('i', 2), ops.read('i')]);
    expect(record.bins.i).toBe(3);
    const span = onlySpan();
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
      await client.put(k, { i: 1, s: 'a' });
      telemetry.resetSpans();
      await client[method](k, bins);
      expectCommonAttributes(onlySpan(), operation);

      telemetry.resetSpans();
      const [err] = await callbackForm(method, k, bins);
      expect(err).toBeNull();
      expectCommonAttributes(onlySpan(), operation);
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
    await client.put(k, { v: 1 });
    expect(onlySpan().attributes['db.aerospike.key']).toEqual(expected);
  });

  it('records a digest-only key as the digest in hex', async () => {
    telemetry.instrumentation.setConfig({ captureKey: true });
    const k = key('digest-source');
    await client.put(k, { v: 1 });
    const digest = k.digest as Buffer;
    telemetry.resetSpans();
    const digestKey = new Aerospike.Key('test', set, null, digest);
    await client.get(digestKey);
    expect(onlySpan().attributes['db.aerospike.key']).toBe(
      digest.toString('hex')
    );
  });

  it('records no key by default', async () => {
    await client.put(key('private'), { v: 1 });
    const span = onlySpan();
    expect(span.attributes['db.aerospike.key']).toBeUndefined();
    expect(JSON.stringify(span.attributes)).not.toContain('private');
  });
});
