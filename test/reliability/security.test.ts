/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startBackend } from '../helpers/backend.ts';
import { setupTelemetry } from '../helpers/otel.ts';
import {
  ARG_MARKER,
  BIN_MARKER,
  KEY_MARKER,
  runWorkload,
  workloadClientConfig,
} from './workload.ts';

// (6) Security: over the whole workload of the differential test (keys,
// bins and UDF arguments carry distinctive markers), no key, bin value or
// UDF argument reaches a span name, attribute, event, status or metric
// attribute by default; with captureKey only the key does, and only in
// db.aerospike.key.

const telemetry = setupTelemetry();
const { Aerospike, instrumentation } = telemetry;
const METRICS = [
  'db.client.operation.duration',
  'db.client.response.returned_rows',
  'db.client.connection.count',
];

let backend: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend?.close();
});

beforeEach(() => {
  telemetry.resetSpans();
});

/** Every string telemetry carries, with where it was found. */
async function telemetryStrings(): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  const add = (where: string, value: unknown) => {
    if (value === undefined || value === null) return;
    found.push([where, typeof value === 'string' ? value : String(value)]);
    if (Array.isArray(value)) for (const v of value) add(where, v);
  };
  for (const span of telemetry.aerospikeSpans() as ReadableSpan[]) {
    add('span name', span.name);
    add('status message', span.status.message);
    for (const [k, v] of Object.entries(span.attributes)) {
      add(`span attribute ${k}`, v);
    }
    for (const event of span.events) {
      add('event name', event.name);
      for (const [k, v] of Object.entries(event.attributes ?? {})) {
        add(`event attribute ${k}`, v);
      }
    }
    for (const link of span.links) {
      add('link', JSON.stringify(link.attributes ?? {}));
    }
  }
  for (const name of METRICS) {
    const metric = await telemetry.metric(name);
    for (const point of metric?.dataPoints ?? []) {
      for (const [k, v] of Object.entries(point.attributes)) {
        add(`metric ${name} attribute ${k}`, v);
      }
    }
  }
  return found;
}

async function runInstrumented(): Promise<number> {
  const client = await Aerospike.connect(workloadClientConfig(backend.hosts));
  try {
    const recorder = await runWorkload({
      Aerospike,
      client,
      server: backend.embedded,
    });
    // The markers did travel through the client (results, errors).
    const seen = JSON.stringify(recorder.observations);
    for (const marker of [KEY_MARKER, BIN_MARKER, ARG_MARKER]) {
      expect(seen.includes(marker), marker).toBe(true);
    }
    return recorder.count;
  } finally {
    await client.close();
  }
}

function leaks(
  strings: Array<[string, string]>,
  marker: string
): Array<[string, string]> {
  return strings.filter(([, value]) => value.includes(marker));
}

describe('no user data in telemetry by default', () => {
  let strings: Array<[string, string]>;

  beforeAll(async () => {
    instrumentation.setConfig({});
    telemetry.resetSpans();
    const calls = await runInstrumented();
    strings = await telemetryStrings();
    const spans = telemetry.aerospikeSpans().length;
    console.log(
      `security: default config, ${calls} calls, ${spans} spans, ` +
        `${strings.length} telemetry strings checked for 3 markers`
    );
    expect(spans).toBeGreaterThan(100);
  }, 60_000);

  it('records no key', () => {
    expect(leaks(strings, KEY_MARKER)).toEqual([]);
  });

  it('records no bin value', () => {
    expect(leaks(strings, BIN_MARKER)).toEqual([]);
  });

  it('records no UDF argument, not even one echoed in a UDF error message', () => {
    // The workload's `fail` UDF raises error(arg): the server's message
    // (and so the AerospikeError's) carries the argument.
    expect(leaks(strings, ARG_MARKER)).toEqual([]);
  });
});

describe('captureKey', () => {
  let strings: Array<[string, string]>;

  beforeAll(async () => {
    instrumentation.setConfig({ captureKey: true });
    telemetry.resetSpans();
    try {
      await runInstrumented();
    } finally {
      instrumentation.setConfig({});
    }
    strings = await telemetryStrings();
  }, 60_000);

  it('records the key, and only in db.aerospike.key', () => {
    const keyPlaces = new Set(leaks(strings, KEY_MARKER).map(([w]) => w));
    console.log(
      `security: captureKey, key marker found in ${[...keyPlaces].join(', ')}`
    );
    expect([...keyPlaces]).toEqual(['span attribute db.aerospike.key']);
  });

  it('still records no bin value', () => {
    expect(leaks(strings, BIN_MARKER)).toEqual([]);
  });
});
