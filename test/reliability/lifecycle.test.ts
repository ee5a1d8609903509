/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isWrapped } from '@opentelemetry/instrumentation';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';
import { AerospikeInstrumentation } from '../../src';
import {
  expectOriginals,
  instrumentedFunctions,
  sixOperations,
} from './lifecycle-helpers.ts';

// (5) Lifecycle: enable/disable cycles, several clients, a client created
// before the instrumentation was enabled, two instrumentation instances:
// never a double span, never a missing one; disabling restores the original
// functions.

const telemetry = setupTelemetry();
const { instrumentation } = telemetry;
const set = uniqueName('lifecycle');

let backend: Awaited<ReturnType<typeof startBackend>>;
const clients: any[] = [];

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  instrumentation.enable();
  for (const c of clients) await c.close();
  await backend?.close();
});

beforeEach(() => {
  telemetry.resetSpans();
});

async function connect(Aerospike: any): Promise<any> {
  const client = await Aerospike.connect(clientConfig(backend.hosts));
  clients.push(client);
  await client.put(new Aerospike.Key('test', set, 'k'), { v: 'a' });
  return client;
}

describe('enable / disable cycles', () => {
  it('traces each operation once when enabled, never when disabled, and restores the same originals', async () => {
    const { Aerospike } = telemetry;
    const client = await connect(Aerospike);
    instrumentation.disable();
    const originals = expectOriginals(Aerospike);
    const counts: number[] = [];
    for (let cycle = 0; cycle < 4; cycle++) {
      instrumentation.enable();
      instrumentation.enable(); // enabling twice must not wrap twice
      for (const [name, proto, method] of instrumentedFunctions(Aerospike)) {
        expect(isWrapped(proto[method]), name).toBe(true);
        expect(isWrapped(proto[method].__original), name).toBe(false);
      }
      telemetry.resetSpans();
      await sixOperations(Aerospike, client, set);
      counts.push(telemetry.aerospikeSpans().length);

      instrumentation.disable();
      instrumentation.disable();
      const now = expectOriginals(Aerospike);
      for (const [name, fn] of originals) expect(now.get(name), name).toBe(fn);
      telemetry.resetSpans();
      await sixOperations(Aerospike, client, set);
      counts.push(telemetry.aerospikeSpans().length);
    }
    instrumentation.enable();
    console.log(
      `lifecycle: enable/disable x4, spans per round of 6 calls: ${counts.join(' ')}; ` +
        `${originals.size} functions restored each time`
    );
    expect(counts).toEqual([6, 0, 6, 0, 6, 0, 6, 0]);
  });

  it('traces several clients, including one created while disabled', async () => {
    const { Aerospike } = telemetry;
    instrumentation.disable();
    const early = await connect(Aerospike);
    instrumentation.enable();
    const others = [await connect(Aerospike), await connect(Aerospike)];
    telemetry.resetSpans();
    for (const c of [early, ...others]) await sixOperations(Aerospike, c, set);
    expect(telemetry.aerospikeSpans()).toHaveLength(18);
  });
});

describe('two instrumentation instances', () => {
  it('a second instance created after aerospike was loaded neither double-traces nor breaks the first', async () => {
    const { Aerospike } = telemetry;
    const client = await connect(Aerospike);
    const second = new AerospikeInstrumentation();
    second.setTracerProvider(telemetry.tracerProvider);
    try {
      telemetry.resetSpans();
      await sixOperations(Aerospike, client, set);
      expect(telemetry.aerospikeSpans()).toHaveLength(6);
      second.disable();
      telemetry.resetSpans();
      await sixOperations(Aerospike, client, set);
      expect(telemetry.aerospikeSpans()).toHaveLength(6);
    } finally {
      second.disable();
    }
  });
});
