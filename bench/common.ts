/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { metrics, trace } from '@opentelemetry/api';

// Shared pieces of `npm run bench` (see bench/run.ts).

export const require = createRequire(import.meta.url);

/** Where bench/run.ts compiles src/ (CommonJS; `build/` is git-ignored). */
export const BUILD_DIR = fileURLToPath(
  new URL('./build/cjs/', import.meta.url)
);

export const NAMESPACE = 'test';
/** Set of the single-record and batch keys. */
export const KV_SET = 'bench';
/** Set the query streams (exactly QUERY_RECORDS records). */
export const QUERY_SET = 'benchq';
export const KEYS = 1000;
export const QUERY_RECORDS = 1000;
/** Set the end-to-end scan streams (exactly SCAN_RECORDS records). */
export const SCAN_SET = 'benchs';
export const SCAN_RECORDS = 20_000;
/** What bench/scan.ts runs around each scan (see there). */
export type ScanVariant =
  'sdk' | 'instrumented' | 'floor' | 'with' | 'resource';
export const SCAN_VARIANTS: ScanVariant[] = [
  'sdk',
  'instrumented',
  'floor',
  'with',
  'resource',
];
export const BINS = { i: 1, s: 'some string value', d: 1.5 };

/** The compiled instrumentation module (bench/build/cjs/index.js). */
export function loadInstrumentation(): {
  AerospikeInstrumentation: new (config?: object) => any;
} {
  return require(`${BUILD_DIR}index.js`);
}

/** The compiled operations table. */
export function loadOperations(): {
  CLIENT_OPERATIONS: Record<string, any>;
  streamOperations(prefix: 'QUERY' | 'SCAN'): Record<string, any>;
} {
  return require(`${BUILD_DIR}operations.js`);
}

/** Drops every span it is given. */
const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

/** Drops every metric export it is given. */
const dropMetrics: PushMetricExporter = {
  export: (_metrics, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

export interface Sdk {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  shutdown(): Promise<void>;
}

/**
 * The recording SDK of scenarios (d) and (e): a trace SDK with a
 * BatchSpanProcessor and an exporter that drops spans, a metrics SDK with a
 * periodic reader (dropping exporter), and the AsyncLocalStorage context
 * manager, all registered globally (before the instrumentation is created,
 * as an application's telemetry set-up does).
 */
export function setupSdk(): Sdk {
  context.setGlobalContextManager(
    new AsyncLocalStorageContextManager().enable()
  );
  const tracerProvider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: dropSpans })],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: dropMetrics,
        exportIntervalMillis: 5000,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    tracerProvider,
    meterProvider,
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The embedded server as a child process, so its CPU is not ours. */
export async function startServerChild(): Promise<{
  hosts: string;
  child: ChildProcess;
  stop(): void;
}> {
  const cli = fileURLToPath(new URL('../test/server/cli.ts', import.meta.url));
  const child = spawn(process.execPath, [cli, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hosts = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', code => reject(new Error(`server exited (${code})`)));
  });
  return { hosts, child, stop: () => child.kill('SIGTERM') };
}

export function clientConfig(hosts: string, concurrency: number) {
  return {
    hosts,
    log: { level: -1 },
    maxConnsPerNode: Math.max(300, concurrency * 3),
  };
}

/** `--name value` from argv. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** CPU microseconds (user + system) of this process since `start`. */
export function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}
