/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// An instrumented application serving its metrics with
// @opentelemetry/exporter-prometheus, a workload driven through it (queries,
// scans, batch reads, and failures of two error.types), and a real
// Prometheus scraping it every second: what the dashboard and README query
// tests evaluate their PromQL against.
//
// What the workload does is described by its own spans (operation names,
// error.type, returned rows), not written down here: a renamed operation or
// error type changes the expectations with it.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import type { Backend } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';
import type { Telemetry } from '../helpers/otel.ts';
import { PATIENT_POLICIES } from '../helpers/policies.ts';
import { startPrometheus } from './prometheus-server.ts';
import type { PrometheusServer, Sample } from './prometheus-server.ts';

/** What one workload step produced, read off its span. */
export interface Step {
  operation: string;
  errorType?: string;
  rows?: number;
}

/** What one iteration of the workload does, per operation. */
export interface WorkloadFacts {
  namespace: string;
  set: string;
  steps: Step[];
  /** Every `db.operation.name` of an iteration. */
  operations: string[];
  /** Operations that fail in an iteration, by error type. */
  errorTypes: Map<string, string>;
  /** Operations that return rows, and how many each returns. */
  rows: Map<string, number>;
  count(operation?: string): number;
  errors(filter: { operation?: string; errorType?: string }): number;
}

export interface LiveMetrics {
  prometheus: PrometheusServer;
  facts: WorkloadFacts;
  /** A time after the workload ended and was scraped: queries run at it. */
  time: number;
  /** How long the workload ran, in seconds. */
  workloadSeconds: number;
  query(expr: string): Promise<Sample[]>;
  close(): Promise<void>;
}

const NAMESPACE = 'test';
/** Workload iterations before it stops (see startLiveMetrics). */
const MIN_ITERATIONS = 30;

function factsOf(namespace: string, set: string, steps: Step[]): WorkloadFacts {
  const errorTypes = new Map<string, string>();
  const rows = new Map<string, number>();
  for (const step of steps) {
    if (step.errorType) errorTypes.set(step.errorType, step.operation);
    if (step.rows !== undefined) rows.set(step.operation, step.rows);
  }
  return {
    namespace,
    set,
    steps,
    operations: [...new Set(steps.map(s => s.operation))],
    errorTypes,
    rows,
    count: operation =>
      steps.filter(s => operation === undefined || s.operation === operation)
        .length,
    errors: ({ operation, errorType }) =>
      steps.filter(
        s =>
          s.errorType !== undefined &&
          (operation === undefined || s.operation === operation) &&
          (errorType === undefined || s.errorType === errorType)
      ).length,
  };
}

/** The calls of one iteration (their failures are the point). */
function iteration(Aerospike: any, client: any, set: string) {
  const key = (id: string) => new Aerospike.Key(NAMESPACE, set, id);
  const calls: Array<() => Promise<unknown>> = [
    () => client.put(key('a'), { n: 1 }),
    () => client.put(key('b'), { n: 2 }),
    () => client.put(key('c'), { n: 3 }),
    // ERR_RECORD_EXISTS: create-only on a record that exists.
    () =>
      client.put(key('a'), { n: 1 }, undefined, {
        exists: Aerospike.policy.exists.CREATE,
      }),
    () => client.get(key('a')),
    // ERR_RECORD_NOT_FOUND
    () => client.get(key('missing')),
    () =>
      client.batchRead([
        { key: key('a'), readAllBins: true },
        { key: key('b'), readAllBins: true },
        { key: key('missing'), readAllBins: true },
      ]),
    () => client.query(NAMESPACE, set).results(),
    () => client.scan(NAMESPACE, set).results(),
  ];
  return calls;
}

/** Runs one iteration step by step and reads what each step recorded. */
async function probe(
  telemetry: Telemetry,
  client: any,
  set: string
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const call of iteration(telemetry.Aerospike, client, set)) {
    telemetry.resetSpans();
    await call().catch(() => undefined);
    // Only this workload's set: the process may do other work meanwhile.
    const spans = telemetry
      .aerospikeSpans()
      .filter(s => s.attributes['db.collection.name'] === set);
    if (spans.length !== 1) {
      throw new Error(`a workload step made ${spans.length} spans`);
    }
    const a = spans[0].attributes;
    steps.push({
      operation: String(a['db.operation.name']),
      errorType:
        a['error.type'] === undefined ? undefined : String(a['error.type']),
      rows:
        a['db.response.returned_rows'] === undefined
          ? undefined
          : Number(a['db.response.returned_rows']),
    });
  }
  telemetry.resetSpans();
  return steps;
}

/**
 * Starts everything, runs the workload for `scrapes` healthy scrapes, stops
 * it, waits for one more scrape, and returns the evaluation time.
 */
export async function startLiveMetrics(scrapes = 6): Promise<LiveMetrics> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    // Returned rows are read off the spans, where they are Opt-In.
    const telemetry = setupTelemetry({ captureReturnedRows: true });
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const meterProvider = new MeterProvider({ readers: [exporter] });
    telemetry.instrumentation.setMeterProvider(meterProvider);
    closers.push(async () => {
      telemetry.instrumentation.disable();
      await meterProvider.shutdown();
    });

    const backend: Backend = await startBackend();
    closers.push(() => backend.close());
    const client = await telemetry.Aerospike.connect(
      clientConfig(backend.hosts, { policies: PATIENT_POLICIES })
    );
    closers.push(() => client.close());

    const metricsServer: Server = createServer((req, res) =>
      exporter.getMetricsRequestHandler(req, res)
    );
    await new Promise<void>(r => metricsServer.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise(r => metricsServer.close(r)));
    const { port } = metricsServer.address() as AddressInfo;

    const set = uniqueName('live');
    const facts = factsOf(NAMESPACE, set, await probe(telemetry, client, set));

    const prometheus = await startPrometheus(`127.0.0.1:${port}`);
    closers.push(() => prometheus.stop());

    // The workload runs until stopped; each iteration does the same calls.
    // rate() leaves out what a series counted before its first sample, and
    // a scrape can cut an iteration in two: with enough iterations in the
    // window that is a small part of every rate, however slow the machine.
    let running = true;
    let iterations = 0;
    const started = Date.now();
    const loop = (async () => {
      while (running) {
        for (const call of iteration(telemetry.Aerospike, client, set)) {
          await call().catch(() => undefined);
        }
        iterations++;
        telemetry.resetSpans();
        await new Promise(r => setTimeout(r, 100));
      }
    })();
    try {
      await prometheus.waitForScrapes(scrapes);
      while (iterations < MIN_ITERATIONS) {
        await new Promise(r => setTimeout(r, 100));
      }
    } finally {
      running = false;
      await loop;
    }
    const stopped = Date.now() / 1000;
    const workloadSeconds = stopped - started / 1000;
    // One scrape after the end: everything the workload did is stored.
    while ((await prometheus.lastScrape()) <= stopped) {
      await new Promise(r => setTimeout(r, 200));
    }
    const time = (await prometheus.lastScrape()) + 0.1;
    return {
      prometheus,
      facts,
      time,
      workloadSeconds,
      query: expr => prometheus.query(expr, time),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
