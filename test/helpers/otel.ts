/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import { AerospikeInstrumentation } from '../../src';
import type { AerospikeInstrumentationConfig } from '../../src';
import { serverTarget } from '../../src/server-target';
import { startBackend } from './backend.ts';
import type { Backend } from './backend.ts';

const require = createRequire(import.meta.url);

/** A reader collected on demand by the tests. */
class TestMetricReader extends MetricReader {
  constructor() {
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
    });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface Telemetry {
  instrumentation: AerospikeInstrumentation;
  /** The `aerospike` module, loaded after the instrumentation. */
  Aerospike: any;
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Finished spans, oldest first. */
  spans(): ReadableSpan[];
  /** Spans of this instrumentation only (not the tests' own parents). */
  aerospikeSpans(): ReadableSpan[];
  resetSpans(): void;
  /** Collects metrics and returns one by name. */
  metric(name: string): Promise<MetricData | undefined>;
  /** A parent span for a test, with the tracer of the test provider. */
  startParent(name?: string): Span;
}

let contextManagerSet = false;

/**
 * Registers the SDK pieces the tests read from and creates the
 * instrumentation BEFORE `aerospike` is loaded, as an application would.
 */
export function setupTelemetry(
  config: AerospikeInstrumentationConfig = {}
): Telemetry {
  if (!contextManagerSet) {
    context.setGlobalContextManager(
      new AsyncLocalStorageContextManager().enable()
    );
    contextManagerSet = true;
  }
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });

  const instrumentation = new AerospikeInstrumentation(config);
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  // The version matrix points AEROSPIKE_MODULE at another installed copy.
  const Aerospike = require(process.env.AEROSPIKE_MODULE || 'aerospike');
  const testTracer = tracerProvider.getTracer('test');

  return {
    instrumentation,
    Aerospike,
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    aerospikeSpans: () =>
      exporter
        .getFinishedSpans()
        .filter(
          s =>
            s.instrumentationScope.name === instrumentation.instrumentationName
        ),
    resetSpans: () => exporter.reset(),
    async metric(name: string) {
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics) {
        const found = scope.metrics.find(m => m.descriptor.name === name);
        if (found) return found;
      }
      return undefined;
    },
    startParent: (name = 'parent') => testTracer.startSpan(name),
  };
}

export type { DataPoint, InMemoryMetricExporter };

/** Quiet client config for the tests. */
export function clientConfig(hosts: string, extra: object = {}) {
  return {
    hosts,
    log: { level: -1 },
    ...extra,
  };
}

/** Waits until `check` passes, for spans that end after a callback. */
export async function eventually(
  check: () => void,
  timeoutMs = 5000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  }
}

/** The Aerospike client of a suite, connected to its backend. */
export interface ClientFixture {
  backend: Backend;
  client: any;
  /** The first seed's host and port (the server, with one seed). */
  seedHost: string;
  seedPort: number;
  /**
   * `server.address` / `server.port` the instrumentation should report: the
   * seed with one seed, the seed list with several (AEROSPIKE_HOSTS of a
   * cluster), as serverTarget (unit-tested on its own) renders them.
   */
  serverAddress: string;
  serverPort: number | undefined;
}

/**
 * Starts a backend and connects a client before the suite (running `seed`
 * once), resets the instrumentation's config and the finished spans before
 * each test, and closes both after the suite.
 */
export function useClient(
  telemetry: Telemetry,
  seed?: (client: any) => Promise<void>
): ClientFixture {
  const fixture = {} as ClientFixture;
  beforeAll(async () => {
    fixture.backend = await startBackend();
    fixture.client = await telemetry.Aerospike.connect(
      clientConfig(fixture.backend.hosts)
    );
    const first = fixture.backend.hosts.split(',')[0];
    const colon = first.lastIndexOf(':');
    fixture.seedHost = first.slice(0, colon).replace(/^\[|\]$/g, '');
    fixture.seedPort = Number(first.slice(colon + 1));
    const target = serverTarget(fixture.client.config);
    fixture.serverAddress = target.serverAddress!;
    fixture.serverPort = target.serverPort;
    await seed?.(fixture.client);
  });
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.backend?.close();
  });
  beforeEach(() => {
    telemetry.instrumentation.setConfig({});
    telemetry.resetSpans();
  });
  return fixture;
}

/** The only span of the instrumentation since the last reset. */
export function onlySpan(telemetry: Telemetry): ReadableSpan {
  const spans = telemetry.aerospikeSpans();
  expect(spans.map(s => s.name)).toHaveLength(1);
  return spans[0];
}

/** Calls a client method in callback form; resolves with the callback's arguments. */
export function callbackForm(
  client: any,
  method: string,
  ...args: unknown[]
): Promise<any[]> {
  return new Promise(resolve => {
    client[method](...args, (...cbArgs: unknown[]) => resolve(cbArgs));
  });
}
