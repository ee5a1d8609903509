/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWrapped } from '@opentelemetry/instrumentation';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';
import { AerospikeInstrumentation } from '../../src';
import { expectOriginals, sixOperations } from './lifecycle-helpers.ts';

// (5) Two instrumentation instances that both exist before `aerospike` is
// loaded, so both patch it: one span per call whatever the state of each,
// as long as one is enabled; none once both are disabled, and then the
// original functions are back.

// Created before setupTelemetry loads aerospike: both hooks see the load.
const first = new AerospikeInstrumentation();
const telemetry = setupTelemetry();
const second = telemetry.instrumentation;
first.setTracerProvider(telemetry.tracerProvider);
const { Aerospike } = telemetry;
const set = uniqueName('two');

let backend: Awaited<ReturnType<typeof startBackend>>;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await Aerospike.connect(clientConfig(backend.hosts));
  await client.put(new Aerospike.Key('test', set, 'k'), { v: 'a' });
});

afterAll(async () => {
  first.enable();
  second.enable();
  await client?.close();
  await backend?.close();
});

async function spansOfSixCalls(): Promise<number> {
  telemetry.resetSpans();
  await sixOperations(Aerospike, client, set);
  // Both instances have the same name: count them all.
  return telemetry.aerospikeSpans().length;
}

describe('two instances that both patched aerospike', () => {
  it('never double-traces while both are enabled', async () => {
    expect(isWrapped(Aerospike.Client.prototype.get)).toBe(true);
    expect(await spansOfSixCalls()).toBe(6);
  });

  it('keeps tracing with the second one alone after the first is disabled', async () => {
    first.disable();
    try {
      expect(await spansOfSixCalls()).toBe(6);
    } finally {
      first.enable();
    }
  });

  it('keeps tracing with the first one alone after the second is disabled', async () => {
    second.disable();
    try {
      expect(await spansOfSixCalls()).toBe(6);
    } finally {
      second.enable();
    }
  });

  it('stops tracing and restores the originals once both are disabled', async () => {
    first.disable();
    second.disable();
    expect(await spansOfSixCalls()).toBe(0);
    expectOriginals(Aerospike);
    first.enable();
    second.enable();
    expect(await spansOfSixCalls()).toBe(6);
  });
});
