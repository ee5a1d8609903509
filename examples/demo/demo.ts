/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// `npm run demo`: the instrumentation's job in one command.
//
// Starts the embedded Aerospike-compatible server (or uses AEROSPIKE_HOSTS),
// a small HTTP service instrumented with @opentelemetry/instrumentation-http,
// @opentelemetry/instrumentation-pino and this package, sends a few requests
// through it, prints each request's trace as a waterfall with the log lines
// it wrote (carrying its trace_id and span_id), then one table of the
// metrics per operation. With OTEL_EXPORTER_OTLP_ENDPOINT set, traces and
// metrics are also exported over OTLP/HTTP (JSON).
//
//   npm run demo -- --raw-metrics   also prints the raw Prometheus text
//
// Environment:
//   AEROSPIKE_HOSTS              use this server instead of the embedded one
//   AEROSPIKE_MODULE             the `aerospike` copy to load (version matrix)
//   DEMO_METRICS_PORT            Prometheus endpoint port (default: ephemeral)
//   OTEL_EXPORTER_OTLP_ENDPOINT  also export OTLP (e.g. http://127.0.0.1:4318)
//
// It runs with Node's type stripping: the instrumentation comes straight
// from src/ (see ts-resolve.ts), no build needed.

import './ts-resolve.ts';
import { createRequire } from 'node:module';
import type {
  IncomingMessage,
  RequestListener,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { metricsTable, summarize } from './metrics-table.ts';
import { waterfall } from './waterfall.ts';

const require = createRequire(import.meta.url);
const SET = 'users';
const NS = 'test';
const rawMetrics = process.argv.slice(2).includes('--raw-metrics');

// --- OpenTelemetry --------------------------------------------------------

const resource = resourceFromAttributes({ 'service.name': 'aerospike-demo' });
const otlpEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const spans = new InMemorySpanExporter();
const spanProcessors: SpanProcessor[] = [
  new SimpleSpanProcessor({ exporter: spans }),
];
const metricReaders: IMetricReader[] = [];
// The exporter's own server is not started: its handler is mounted on a
// server of ours below, on an ephemeral port unless DEMO_METRICS_PORT is set.
const prometheus = new PrometheusExporter({ preventServerStart: true });
metricReaders.push(prometheus);

if (otlpEndpoint) {
  const { OTLPTraceExporter } =
    await import('@opentelemetry/exporter-trace-otlp-http');
  const { OTLPMetricExporter } =
    await import('@opentelemetry/exporter-metrics-otlp-http');
  const { PeriodicExportingMetricReader } =
    await import('@opentelemetry/sdk-metrics');
  spanProcessors.push(
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })
  );
  metricReaders.push(
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: 60_000,
    })
  );
}

const tracerProvider = new TracerProvider({ resource, spanProcessors });
const meterProvider = new MeterProvider({ resource, readers: metricReaders });

// Loaded only now: the ts-resolve hook is registered by the time this runs.
const { AerospikeInstrumentation } = await import('../../src/index.ts');

registerInstrumentations({
  tracerProvider,
  meterProvider,
  instrumentations: [
    new HttpInstrumentation({
      // The metrics endpoint is not part of the story.
      ignoreIncomingRequestHook: req =>
        req.url?.startsWith('/metrics') ?? false,
    }),
    // Adds trace_id and span_id to log lines; sending logs is not shown.
    new PinoInstrumentation({ disableLogSending: true }),
    // The waterfall shows returned rows: Opt-In on spans.
    new AerospikeInstrumentation({ captureReturnedRows: true }),
  ],
});

// Required (not imported) after registration, so they all get patched.
const http = require('node:http') as typeof import('node:http');
const pino = require('pino') as typeof import('pino').default;
const Aerospike = require(process.env.AEROSPIKE_MODULE || 'aerospike');

// Log lines are kept and printed under the trace of their request.
const logLines: string[] = [];
const logger = pino(
  { base: undefined, timestamp: false },
  { write: (line: string) => void logLines.push(line.trimEnd()) }
);

// --- Aerospike backend ------------------------------------------------------

interface Backend {
  hosts: string;
  description: string;
  /** Adds a one-shot delay to the next read (embedded server only). */
  delayNextRead?: (ms: number) => () => void;
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const hosts = process.env.AEROSPIKE_HOSTS;
  if (hosts) {
    return {
      hosts,
      description: `Aerospike server at ${hosts} (AEROSPIKE_HOSTS)`,
      close: async () => {},
    };
  }
  const { startServer } = await import('../../test/server/index.ts');
  const server = await startServer();
  return {
    hosts: server.hosts,
    description: `embedded Aerospike-compatible server on ${server.hosts}`,
    delayNextRead: ms => {
      const id = server.faults.add({
        kind: 'read',
        namespace: NS,
        set: SET,
        times: 1,
        action: { type: 'delay', ms },
      });
      return () => void server.faults.remove(id);
    },
    close: () => server.close(),
  };
}

// --- The HTTP service ---------------------------------------------------------

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Names the route: instrumentation-http puts it in the span name. */
function route(path: string) {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = path;
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function userKey(id: string) {
  return new Aerospike.Key(NS, SET, id);
}

/** Maps client errors to HTTP: not found 404, timeout 504, others 500. */
function httpStatusOf(err: any): number {
  if (err instanceof HttpError) return err.status;
  if (err?.code === Aerospike.status.ERR_RECORD_NOT_FOUND) return 404;
  if (err?.code === Aerospike.status.ERR_TIMEOUT) return 504;
  return 500;
}

function createService(client: any): RequestListener {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'users') throw new HttpError(404, 'no such route');

    // POST /users  [{id, name, age}, ...]: one PUT per user.
    if (req.method === 'POST' && parts.length === 1) {
      route('/users');
      const users = (await readJson(req)) as {
        id: string;
        name: string;
        age: number;
      }[];
      for (const { id, name, age } of users) {
        await client.put(userKey(id), { name, age });
      }
      return send(res, 201, { created: users.length });
    }

    // GET /users?ids=a,b,c: one batch of GETs (BATCH GET).
    if (
      req.method === 'GET' &&
      parts.length === 1 &&
      url.searchParams.has('ids')
    ) {
      route('/users');
      const ids = url.searchParams.get('ids')!.split(',');
      const results = await client.batchRead(
        ids.map(id => ({ key: userKey(id), readAllBins: true }))
      );
      return send(
        res,
        200,
        results.map((r: any, i: number) => ({
          id: ids[i],
          found: r.status === Aerospike.status.OK,
          ...(r.record?.bins ?? {}),
        }))
      );
    }

    // GET /users?minAge=N: a secondary-index QUERY.
    if (req.method === 'GET' && parts.length === 1) {
      route('/users');
      const minAge = Number(url.searchParams.get('minAge') ?? 0);
      const query = client.query(NS, SET);
      query.where(Aerospike.filter.range('age', minAge, 200));
      const users = await new Promise<any[]>((resolve, reject) => {
        const found: any[] = [];
        const stream = query.foreach();
        stream.on('data', (record: any) => {
          // Runs in the request's context: the line has its trace.
          logger.info({ row: found.length + 1 }, 'query stream data');
          found.push(record.bins);
        });
        stream.on('error', reject);
        stream.on('end', () => resolve(found));
      });
      users.sort((a: any, b: any) => String(a.name).localeCompare(b.name));
      return send(res, 200, users);
    }

    // POST /users/:id/birthday: the `users.birthday` record UDF.
    if (
      req.method === 'POST' &&
      parts.length === 3 &&
      parts[2] === 'birthday'
    ) {
      route('/users/:id/birthday');
      const age = await client.apply(userKey(parts[1]), {
        module: 'users',
        funcname: 'birthday',
        args: [],
      });
      if (age === null || age === undefined)
        throw new HttpError(404, 'no such user');
      return send(res, 200, { id: parts[1], age });
    }

    // GET /users/:id[?timeoutMs=N]: one GET.
    if (req.method === 'GET' && parts.length === 2) {
      route('/users/:id');
      const timeoutMs = url.searchParams.get('timeoutMs');
      const policy = timeoutMs
        ? {
            totalTimeout: Number(timeoutMs),
            socketTimeout: Number(timeoutMs),
            maxRetries: 0,
          }
        : undefined;
      const record = await new Promise<any>((resolve, reject) => {
        client.get(userKey(parts[1]), policy, (err: any, found: any) => {
          // Runs in the request's context: the line has its trace.
          logger.info({ found: !err }, 'get callback');
          if (err) reject(err);
          else resolve(found);
        });
      });
      return send(res, 200, { id: parts[1], ...record.bins });
    }
    throw new HttpError(404, 'no such route');
  };

  return (req, res) => {
    handle(req, res).catch((err: any) => {
      send(res, httpStatusOf(err), { error: String(err?.message ?? err) });
    });
  };
}

// --- Driving it ------------------------------------------------------------------

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve((server.address() as AddressInfo).port)
    );
  });
}

async function flushedTrace(): Promise<ReadableSpan[]> {
  // The server span ends when the response has been written: wait for it.
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const finished = spans.getFinishedSpans();
    if (finished.some(s => s.kind === 1 /* SERVER */)) return finished;
    await new Promise(r => setTimeout(r, 5));
  }
  return spans.getFinishedSpans();
}

/** Prints the spans by trace, then the log lines written meanwhile. */
function printTrace(title: string, finished: ReadableSpan[]) {
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of finished) {
    const id = span.spanContext().traceId;
    traces.set(id, [...(traces.get(id) ?? []), span]);
  }
  console.log(`\n▶ ${title}`);
  for (const [traceId, list] of traces) {
    console.log(`  trace ${traceId}`);
    for (const line of waterfall(list)) console.log(`  ${line}`);
  }
  // Each line as pino wrote it, after the name of the span it points at.
  for (const line of logLines.splice(0)) {
    const spanId = (JSON.parse(line) as { span_id?: string }).span_id;
    const span = finished.find(s => s.spanContext().spanId === spanId);
    console.log(`  log in ${span ? `"${span.name}"` : 'no span'}: ${line}`);
  }
}

async function main() {
  const backend = await startBackend();
  const aerospikeVersion = require(
    (process.env.AEROSPIKE_MODULE || 'aerospike') + '/package.json'
  ).version;
  console.log('Aerospike OpenTelemetry demo');
  console.log(`  backend:   ${backend.description}`);
  console.log(
    `  client:    aerospike@${aerospikeVersion}, node ${process.version}`
  );
  console.log(
    `  otlp:      ${otlpEndpoint ? `exporting to ${otlpEndpoint} (http/json)` : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT to export)'}`
  );
  console.log(
    '  logs:      pino, with trace_id and span_id from @opentelemetry/instrumentation-pino'
  );

  const client = await Aerospike.connect({
    hosts: backend.hosts,
    log: { level: -1 },
    modlua: { userPath: fileURLToPath(new URL('.', import.meta.url)) },
  });

  const service = http.createServer(createService(client));
  const metricsServer = http.createServer((req, res) =>
    prometheus.getMetricsRequestHandler(req, res)
  );
  const port = await listen(service);
  const metricsPort = await listen(
    metricsServer,
    Number(process.env.DEMO_METRICS_PORT ?? 0)
  );
  console.log(`  service:   http://127.0.0.1:${port}`);
  console.log(`  metrics:   http://127.0.0.1:${metricsPort}/metrics`);

  // Setup, outside any HTTP request: its spans are roots of their own.
  let exitCode = 0;
  try {
    const udf = await client.udfRegister(
      fileURLToPath(new URL('users.lua', import.meta.url))
    );
    await udf.wait(10);
    try {
      const index = await client.createIntegerIndex({
        ns: NS,
        set: SET,
        bin: 'age',
        index: 'demo_users_age',
      });
      await index.wait(10);
    } catch (err: any) {
      // A real server keeps the index of an earlier run.
      if (err?.code !== Aerospike.status.ERR_INDEX_FOUND) throw err;
    }
    printTrace(
      'setup: register users.lua, create index on age',
      spans.getFinishedSpans()
    );

    const base = `http://127.0.0.1:${port}`;
    const request = async (
      method: string,
      path: string,
      body?: unknown
    ): Promise<void> => {
      spans.reset();
      logLines.length = 0;
      const res = await fetch(base + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      printTrace(
        `${method} ${path} → ${res.status}  ${text.slice(0, 100)}`,
        await flushedTrace()
      );
    };

    await request('POST', '/users', [
      { id: 'alice', name: 'Alice', age: 34 },
      { id: 'bob', name: 'Bob', age: 27 },
      { id: 'carol', name: 'Carol', age: 45 },
    ]);
    await request('GET', '/users/alice');
    await request('GET', '/users/nobody');
    await request('GET', '/users?ids=alice,bob,nobody');
    await request('GET', '/users?minAge=30');
    await request('POST', '/users/alice/birthday');
    if (backend.delayNextRead) {
      const undo = backend.delayNextRead(1000);
      await request('GET', '/users/bob?timeoutMs=100');
      undo();
    } else {
      console.log(
        "\n▶ GET /users/bob?timeoutMs=100: skipped (a timeout needs the embedded server's fault rules; AEROSPIKE_HOSTS is set)"
      );
    }

    // The metrics, from the collection the Prometheus exporter serves.
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const { resourceMetrics } = await prometheus.collect();
    console.log(
      '\n▶ Metrics per operation (db.client.operation.duration, ' +
        'db.client.response.returned_rows)'
    );
    for (const line of metricsTable(summarize(resourceMetrics))) {
      console.log(`  ${line}`.trimEnd());
    }
    console.log(
      `  Raw Prometheus text: ${metricsUrl} while the demo runs; ` +
        '`npm run demo -- --raw-metrics` prints it.'
    );
    if (rawMetrics) {
      const text = await (await fetch(metricsUrl)).text();
      console.log(`\n▶ Raw metrics (GET ${metricsUrl})`);
      for (const line of text.trimEnd().split('\n')) console.log(`  ${line}`);
    }
  } catch (err) {
    console.error('demo failed:', err);
    exitCode = 1;
  } finally {
    service.closeAllConnections();
    metricsServer.closeAllConnections();
    await new Promise(r => service.close(r));
    await new Promise(r => metricsServer.close(r));
    await client.close();
    await backend.close();
    // Flushes OTLP when it is on.
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  }
  console.log('\ndemo done');
  process.exit(exitCode);
}

await main();
