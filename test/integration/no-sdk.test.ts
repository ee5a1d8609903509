/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { AerospikeInstrumentation } from '../../src';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig } from '../helpers/otel.ts';

// No tracer or meter provider is registered when the instrumentation starts:
// it must pass calls straight through, then trace once an SDK appears.
const instrumentation = new AerospikeInstrumentation();
const require = createRequire(import.meta.url);
const Aerospike = require(process.env.AEROSPIKE_MODULE || 'aerospike');
const set = uniqueName('nosdk');

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(clientConfig(backend.hosts));
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
  instrumentation.disable();
});

describe('without an SDK', () => {
  it('keeps results and callbacks unchanged, then traces once an SDK is registered', async () => {
    const key = new Aerospike.Key('test', set, 'k');
    await client.put(key, { v: 1 });
    const [err, record] = await new Promise<any[]>(resolve =>
      client.get(key, (...args: unknown[]) => resolve(args))
    );
    expect(err).toBeNull();
    expect(record.bins).toEqual({ v: 1 });

    context.setGlobalContextManager(
      new AsyncLocalStorageContextManager().enable()
    );
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new TracerProvider({
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      })
    );
    await client.get(key);
    expect(exporter.getFinishedSpans().map(s => s.name)).toEqual([
      `GET test.${set}`,
    ]);
  });
});
