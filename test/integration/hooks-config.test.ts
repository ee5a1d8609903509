/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { isIP } from 'node:net';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import { diag, DiagLogLevel, SpanStatusCode } from '@opentelemetry/api';
import { isWrapped } from '@opentelemetry/instrumentation';
import { uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry, useClient } from '../helpers/otel.ts';
import { AerospikeInstrumentation } from '../../src';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('hooks');

const diagErrors: unknown[][] = [];

beforeAll(() => {
  diag.setLogger(
    {
      error: (...args: unknown[]) => diagErrors.push(args),
      warn: () => {},
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN
  );
});

const db = useClient(telemetry, async client => {
  await client.put(new Aerospike.Key('test', set, 'present'), { v: 1 });
});

afterAll(() => {
  diag.disable();
});

beforeEach(() => {
  diagErrors.length = 0;
});

afterEach(() => {
  telemetry.instrumentation.enable();
});

const key = (id: string) => new Aerospike.Key('test', set, id);

describe('hooks', () => {
  it('gives the request hook the operation, target, key and arguments as passed', async () => {
    const requestHook = vi.fn((span, info) => {
      span.setAttribute('test.from_hook', info.operation);
    });
    telemetry.instrumentation.setConfig({ requestHook });
    const k = key('present');
    const policy = new Aerospike.ReadPolicy({ totalTimeout: 5000 });
    await db.client.get(k, policy);
    expect(requestHook).toHaveBeenCalledTimes(1);
    const info = requestHook.mock.calls[0][1];
    expect(info).toMatchObject({
      operation: 'GET',
      namespace: 'test',
      set,
    });
    expect(info.key).toBe(k);
    expect(info.keys).toBeUndefined();
    expect(info.args[0]).toBe(k);
    expect(info.args[1]).toBe(policy);
    const [span] = telemetry.aerospikeSpans();
    expect(span.attributes['test.from_hook']).toBe('GET');
  });

  it('gives the request hook the keys of a batch', async () => {
    const requestHook = vi.fn();
    const responseHook = vi.fn();
    telemetry.instrumentation.setConfig({ requestHook, responseHook });
    const keys = [key('present'), key('other')];
    await db.client.batchRead([
      { key: keys[0], readAllBins: true },
      { key: keys[1], bins: ['name'] },
    ]);
    const info = requestHook.mock.calls[0][1];
    expect(info.operation).toBe('BATCH READ');
    expect(info.keys).toHaveLength(2);
    expect(info.keys[0]).toBe(keys[0]);
    expect(info.key).toBeUndefined();
    // The operation name a batch resolves is the one every hook sees.
    requestHook.mockClear();
    await db.client.batchGet(keys);
    expect(requestHook.mock.calls[0][1].operation).toBe('BATCH GET');
    expect(responseHook.mock.calls.at(-1)![1].operation).toBe('BATCH GET');
  });

  it('gives the response hook the very result the caller gets', async () => {
    const responseHook = vi.fn();
    telemetry.instrumentation.setConfig({ responseHook });
    const record = await db.client.get(key('present'));
    expect(responseHook).toHaveBeenCalledTimes(1);
    expect(responseHook.mock.calls[0][1].operation).toBe('GET');
    expect(responseHook.mock.calls[0][1].result).toBe(record);
  });

  it('gives the error hook the very error the caller gets', async () => {
    const errorHook = vi.fn();
    const responseHook = vi.fn();
    telemetry.instrumentation.setConfig({ errorHook, responseHook });
    const error = await db.client.get(key('absent')).catch((e: unknown) => e);
    expect(errorHook).toHaveBeenCalledTimes(1);
    expect(errorHook.mock.calls[0][1]).toEqual({ operation: 'GET', error });
    expect(errorHook.mock.calls[0][1].error).toBe(error);
    expect(responseHook).not.toHaveBeenCalled();
  });

  it('survives hooks that throw: same results, spans end, diag logs', async () => {
    const boom = () => {
      throw new Error('hook failure');
    };
    telemetry.instrumentation.setConfig({
      requestHook: boom,
      responseHook: boom,
      errorHook: boom,
    });
    const record = await db.client.get(key('present'));
    expect(record.bins).toEqual({ v: 1 });
    const error = await db.client.get(key('absent')).catch((e: any) => e);
    expect(error.code).toBe(2);
    const [cbError, cbRecord] = await new Promise<any[]>(resolve =>
      db.client.get(key('present'), (...args: any[]) => resolve(args))
    );
    expect(cbError).toBeNull();
    expect(cbRecord.bins).toEqual({ v: 1 });

    const spans = telemetry.aerospikeSpans();
    expect(spans).toHaveLength(3);
    expect(spans[1].status.code).toBe(SpanStatusCode.ERROR);
    // request + response, request + error, request + response
    expect(diagErrors.length).toBe(6);
    expect(diagErrors[0].join(' ')).toContain('requestHook');
  });
});

describe('configuration', () => {
  it('applies setConfig to later operations', async () => {
    await db.client.put(key('cfg'), { v: 1 });
    expect(
      telemetry.aerospikeSpans()[0].attributes['db.aerospike.key']
    ).toBeUndefined();
    telemetry.instrumentation.setConfig({ captureKey: true });
    await db.client.put(key('cfg'), { v: 2 });
    expect(telemetry.aerospikeSpans()[1].attributes['db.aerospike.key']).toBe(
      'cfg'
    );
  });

  it('traces info calls only with traceInfo', async () => {
    await db.client.infoAny('build');
    expect(telemetry.aerospikeSpans()).toHaveLength(0);
    telemetry.instrumentation.setConfig({ traceInfo: true });
    const build = await db.client.infoAny('build');
    expect(build).toMatch(/^build\t/);
    const [span] = telemetry.aerospikeSpans();
    expect(span.name).toBe('INFO');
    expect(span.attributes['db.operation.name']).toBe('INFO');
    expect(span.attributes['db.namespace']).toBeUndefined();
    // infoAny picks a node out of sight: no network.peer.*.
    expect(span.attributes['network.peer.address']).toBeUndefined();
  });

  it("names info's host as network.peer.*, on the span and the metric point", async ctx => {
    // A host name would be resolved by the client, out of sight.
    if (isIP(db.seedHost) === 0) ctx.skip('the server is named by a host name');
    telemetry.instrumentation.setConfig({ traceInfo: true });
    const host = { addr: db.seedHost, port: db.seedPort };
    expect(await db.client.info('build', host)).toMatch(/^build\t/);
    const [span] = telemetry.aerospikeSpans();
    expect(span.attributes).toMatchObject({
      'network.peer.address': host.addr,
      'network.peer.port': host.port,
    });
    const metric = await telemetry.metric('db.client.operation.duration');
    expect(
      metric!.dataPoints.some(
        p =>
          p.attributes['db.operation.name'] === 'INFO' &&
          p.attributes['network.peer.address'] === host.addr
      )
    ).toBe(true);
  });
});

describe('disable and enable', () => {
  it('restores the original methods when disabled and patches them again', async () => {
    const proto = Aerospike.Client.prototype;
    expect(isWrapped(proto.get)).toBe(true);
    expect(isWrapped(Aerospike.Query.prototype.foreach)).toBe(true);
    telemetry.instrumentation.disable();
    expect(isWrapped(proto.get)).toBe(false);
    expect(isWrapped(proto.batchRead)).toBe(false);
    expect(isWrapped(Aerospike.Query.prototype.foreach)).toBe(false);
    expect(isWrapped(Aerospike.Scan.prototype.foreach)).toBe(false);
    await db.client.get(key('present'));
    expect(telemetry.aerospikeSpans()).toHaveLength(0);

    telemetry.instrumentation.enable();
    expect(isWrapped(proto.get)).toBe(true);
    await db.client.get(key('present'));
    expect(telemetry.aerospikeSpans()).toHaveLength(1);
  });

  it('instruments a client created while the instrumentation was disabled', async () => {
    telemetry.instrumentation.disable();
    const early = await Aerospike.connect(clientConfig(db.backend.hosts));
    try {
      telemetry.instrumentation.enable();
      await early.get(key('present'));
      expect(telemetry.aerospikeSpans()).toHaveLength(1);
    } finally {
      await early.close();
    }
  });

  it('produces one span when a second instrumentation instance is enabled', async () => {
    const second = new AerospikeInstrumentation();
    second.setTracerProvider(telemetry.tracerProvider);
    try {
      await db.client.get(key('present'));
      expect(telemetry.aerospikeSpans()).toHaveLength(1);
    } finally {
      second.disable();
    }
  });
});

describe('synchronous throws and bad arguments', () => {
  it('records a synchronous TypeError from bad arguments and rethrows the same object', () => {
    let thrown: unknown;
    try {
      db.client.createIndex(null);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const [span] = telemetry.aerospikeSpans();
    expect(span.name).toBe('CREATE INDEX');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.attributes['db.response.status_code']).toBeUndefined();
    expect(span.status.message).toBe((thrown as Error).message);
  });

  it('records a TypeError the client rejects with for a bad key', async () => {
    const error = await db.client.get(5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    const [span] = telemetry.aerospikeSpans();
    expect(span.name).toBe('GET');
    expect(span.attributes['error.type']).toBe('TypeError');
  });

  it('rethrows the same synchronous error and records it', async () => {
    const closed = new Aerospike.Client(clientConfig(db.backend.hosts));
    let thrown: unknown;
    try {
      closed.query('test', set);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Aerospike.AerospikeError);
    // query() only builds an object: no span, and the throw is untouched.
    expect(telemetry.aerospikeSpans()).toHaveLength(0);

    const query = db.client.query('test', set);
    query.udf = { module: 'm', funcname: 'f' };
    query.paginate = true;
    let foreachError: unknown;
    try {
      query.foreach();
    } catch (err) {
      foreachError = err;
    }
    expect(foreachError).toBeInstanceOf(Error);
    expect(String(foreachError)).toContain('Stream UDF cannot be applied');
    const [span] = telemetry.aerospikeSpans();
    expect(span.name).toBe(`QUERY test.${set}`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.events[0].attributes?.['exception.message']).toBe(
      (foreachError as Error).message
    );
  });
});
