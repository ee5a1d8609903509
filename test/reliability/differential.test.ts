/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWrapped } from '@opentelemetry/instrumentation';
import { onEmbedded, startBackend } from '../helpers/backend.ts';
import { setupTelemetry } from '../helpers/otel.ts';
import { CLIENT_OPERATIONS, STREAM_OPERATIONS } from '../../src/operations';
import { orderInsensitive } from './observe.ts';
import type { Observation } from './observe.ts';
import { runWorkload, workloadClientConfig } from './workload.ts';

// (1) Differential behaviour: the scripted workload runs once with the
// instrumentation disabled (the original prototype methods, checked against
// the client's own source) and once enabled, against the same freshly reset
// server; every observation must be identical. On the embedded server the
// workload includes injected faults. A real node streams the records of a
// scan or query from parallel partition threads, in an order of its own:
// there, records are compared as sets, and those of an aborted stream or of
// a page (which records make a page depends on the threads too) by number
// only.

const telemetry = setupTelemetry({ traceInfo: true });
const { Aerospike, instrumentation } = telemetry;
const require = createRequire(import.meta.url);
// The package's main file is lib/aerospike.js.
const libDir = dirname(
  require.resolve(process.env.AEROSPIKE_MODULE || 'aerospike')
);

let backend: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  instrumentation.enable();
  await backend?.close();
});

/** [prototype, method names, source file] of everything instrumented. */
function patchedMethods(): Array<[any, string[], string]> {
  return [
    [
      Aerospike.Client.prototype,
      [...Object.keys(CLIENT_OPERATIONS), 'connect'],
      'client.js',
    ],
    [Aerospike.Query.prototype, Object.keys(STREAM_OPERATIONS), 'query.js'],
    [Aerospike.Scan.prototype, Object.keys(STREAM_OPERATIONS), 'scan.js'],
  ];
}

function assertBare(): number {
  let checked = 0;
  for (const [proto, methods, file] of patchedMethods()) {
    const source = readFileSync(join(libDir, file), 'utf8');
    for (const method of methods) {
      const fn = proto[method];
      if (typeof fn !== 'function') continue;
      expect(isWrapped(fn), `${file} ${method}`).toBe(false);
      expect(fn.__original, `${file} ${method}`).toBeUndefined();
      // The very function the client's source defines.
      expect(source.includes(Function.prototype.toString.call(fn))).toBe(true);
      checked++;
    }
  }
  return checked;
}

function assertWrapped(): number {
  let checked = 0;
  for (const [proto, methods] of patchedMethods()) {
    for (const method of methods) {
      if (typeof proto[method] !== 'function') continue;
      expect(isWrapped(proto[method]), method).toBe(true);
      checked++;
    }
  }
  return checked;
}

async function runOnce(): Promise<Observation[]> {
  const client = await Aerospike.connect(workloadClientConfig(backend.hosts));
  try {
    const recorder = await runWorkload({
      Aerospike,
      client,
      server: backend.embedded,
    });
    const observations = recorder.observations;
    return onEmbedded ? observations : observations.map(orderInsensitive);
  } finally {
    await client.close();
  }
}

describe('differential: bare vs instrumented', () => {
  let bare: Observation[];
  let instrumented: Observation[];

  beforeAll(async () => {
    instrumentation.disable();
    const bareMethods = assertBare();
    telemetry.resetSpans();
    bare = await runOnce();
    expect(telemetry.aerospikeSpans()).toHaveLength(0);

    instrumentation.enable();
    const wrappedMethods = assertWrapped();
    expect(wrappedMethods).toBe(bareMethods);
    telemetry.resetSpans();
    instrumented = await runOnce();
    console.log(
      `differential: ${bareMethods} methods bare then wrapped; ` +
        `${telemetry.aerospikeSpans().length} spans in the instrumented run`
    );
  }, 120_000);

  it('observes every call identically', () => {
    if (process.env.RELIABILITY_DUMP) {
      writeFileSync(
        `${process.env.RELIABILITY_DUMP}.bare.json`,
        JSON.stringify(bare, null, 1)
      );
      writeFileSync(
        `${process.env.RELIABILITY_DUMP}.instr.json`,
        JSON.stringify(instrumented, null, 1)
      );
    }
    expect(instrumented.map(o => o.name)).toEqual(bare.map(o => o.name));
    let events = 0;
    for (let i = 0; i < bare.length; i++) {
      expect(instrumented[i], bare[i].name).toEqual(bare[i]);
      events += bare[i].events.length;
    }
    console.log(
      `differential: compared ${bare.length} calls (${events} callback ` +
        `invocations, promise settlements and stream events)`
    );
  });

  it('covers every instrumented method, errors, and all stream endings', () => {
    const text = JSON.stringify(bare);
    for (const method of Object.keys(CLIENT_OPERATIONS)) {
      if (typeof Aerospike.Client.prototype[method] !== 'function') continue;
      if (/^create(Exp)?(Geo2DSphere|Blob|String)?Index$/.test(method)) {
        continue; // covered by the index steps below, by name
      }
      expect(
        bare.some(o => o.name.split(' ')[0] === method),
        `workload calls ${method}`
      ).toBe(true);
    }
    // Rejections and error-first callbacks with many distinct codes.
    const codes = new Set<number>();
    for (const o of bare) {
      for (const e of o.events as any[]) {
        const err = e.rejected ?? e.error ?? e.args?.[0];
        if (err && typeof err.code === 'number') codes.add(err.code);
      }
    }
    console.log(
      `differential: error codes seen: ${[...codes].sort((a, b) => a - b).join(', ')}`
    );
    // The embedded server adds injected ones (timeouts, forced codes).
    expect(codes.size).toBeGreaterThanOrEqual(onEmbedded ? 8 : 6);
    const endings = bare
      .filter(o => o.form === 'stream')
      .map(o => Object.keys((o.events.at(-2) as object) ?? { none: 1 })[0]);
    expect(endings).toContain('end');
    expect(endings).toContain('error');
    expect(text.includes('"aborted":true')).toBe(true);
  });

  it('returns the very stream object without enumerable own additions', async () => {
    // An application that copies or inspects the stream must not see the
    // instrumentation's own `emit`.
    const client = await Aerospike.connect(workloadClientConfig(backend.hosts));
    try {
      instrumentation.disable();
      const bareStream = client.scan('test', 'nothing').foreach();
      const bareKeys = Object.keys(bareStream).sort();
      instrumentation.enable();
      const stream = client.scan('test', 'nothing').foreach();
      const keys = Object.keys(stream).sort();
      await Promise.all(
        [bareStream, stream].map(
          s => new Promise(resolve => s.on('end', resolve).on('error', resolve))
        )
      );
      expect(keys).toEqual(bareKeys);
    } finally {
      instrumentation.enable();
      await client.close();
    }
  });
});
