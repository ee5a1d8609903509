/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startOtlpJsonReceiver } from './otlp-json.ts';
import type { DecodedSpan } from './otlp-json.ts';

// Runs `npm run demo` (examples/demo/demo.ts) as a child process, as a user
// would, and reads its output.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = fileURLToPath(
  new URL('../../examples/demo/demo.ts', import.meta.url)
);
const onRealServer = Boolean(process.env.AEROSPIKE_HOSTS);

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(
  env: Record<string, string> = {},
  args: string[] = []
): Promise<DemoRun> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [DEMO, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      }
    );
  });
}

interface Block {
  title: string;
  lines: string[];
}

/** Splits the output at its `▶ title` lines. */
function blocks(stdout: string): Block[] {
  const out: Block[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('▶ ')) out.push({ title: line.slice(2), lines: [] });
    else if (out.length > 0) out[out.length - 1].lines.push(line);
  }
  return out;
}

function block(all: Block[], title: string): Block {
  const found = all.find(b => b.title.startsWith(title));
  expect(found, `no block "${title}"`).toBeDefined();
  return found!;
}

/** The waterfall rows: depth (0 = root) and span name. */
function rows(b: Block): { depth: number; name: string; line: string }[] {
  const out = [];
  for (const line of b.lines) {
    if (!line.startsWith('  ') || line.startsWith('  trace ')) continue;
    const body = line.slice(2);
    const m = /^((?: {3})*└─ )?(.+?)\s{2,}\d+\.\d+ ms {2}\|/.exec(body);
    if (!m) continue;
    const depth = m[1] ? (m[1].length - 3) / 3 + 1 : 0;
    out.push({ depth, name: m[2], line });
  }
  return out;
}

/** Asserts: one HTTP server root named `root`, with these children. */
function expectNested(b: Block, root: string, children: string[]) {
  const r = rows(b);
  expect(r[0], `${b.title}: no waterfall`).toBeDefined();
  expect(r[0]).toMatchObject({ depth: 0, name: root });
  expect(r[0].line).toContain('SERVER');
  expect(r.slice(1).map(x => x.name)).toEqual(children);
  for (const child of r.slice(1)) {
    expect(child.depth).toBe(1);
    expect(child.line).toContain('CLIENT');
    expect(child.line).toContain('db.system.name=aerospike');
  }
  return r;
}

/** The trace ids a block prints (`  trace <id>`). */
function traceIds(b: Block): string[] {
  return b.lines
    .map(line => /^ {2}trace ([0-9a-f]{32})$/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

interface LogLine {
  /** The span name the demo says the line's span_id points at. */
  span: string;
  record: Record<string, any>;
}

/** The `log in "<span>": {json}` lines of a block. */
function logs(b: Block): LogLine[] {
  return b.lines.flatMap(line => {
    const m = /^ {2}log in (?:"(.+?)"|no span): (\{.*\})$/.exec(line);
    return m ? [{ span: m[1] ?? '', record: JSON.parse(m[2]) }] : [];
  });
}

/** Operation of an Aerospike span name: `BATCH GET test.users` → `BATCH GET`. */
function operationOf(spanName: string): string {
  return spanName.replace(/ test(\.\w+)?$/, '');
}

interface TableRow {
  operation: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  rows?: number;
  errors: Record<string, number>;
}

function seconds(text: string): number {
  const m = /^(\d+\.\d+) (ms|s)$/.exec(text);
  expect(m, `a duration: ${text}`).not.toBeNull();
  return Number(m![1]) / (m![2] === 'ms' ? 1000 : 1);
}

/** The metrics table: header, rows, up to the first empty line. */
function table(b: Block): TableRow[] {
  const lines = b.lines.map(l => l.trimEnd());
  const header = lines.findIndex(l => /^ {2}operation\s+count\s/.test(l));
  expect(header, 'a table header').toBeGreaterThanOrEqual(0);
  const out: TableRow[] = [];
  for (const line of lines.slice(header + 1)) {
    if (!line) break;
    const [operation, count, p50, p95, p99, rows, errors] = line
      .trim()
      .split(/\s{2,}/);
    out.push({
      operation,
      count: Number(count),
      p50: seconds(p50),
      p95: seconds(p95),
      p99: seconds(p99),
      rows: rows === '-' ? undefined : Number(rows),
      errors:
        errors === '-'
          ? {}
          : Object.fromEntries(
              errors.split(', ').map(e => {
                const [type, n] = e.split(' ');
                return [type, Number(n)];
              })
            ),
    });
  }
  return out;
}

/** What the waterfalls show per operation: calls, errors, rows. */
function fromWaterfalls(all: Block[]) {
  const ops = new Map<
    string,
    { count: number; errors: Record<string, number>; rows?: number }
  >();
  for (const b of all) {
    for (const r of rows(b)) {
      if (!r.line.includes('db.system.name=aerospike')) continue;
      const op = operationOf(r.name);
      const entry = ops.get(op) ?? { count: 0, errors: {} };
      entry.count++;
      const type = /error\.type=(\S+)/.exec(r.line)?.[1];
      if (type) entry.errors[type] = (entry.errors[type] ?? 0) + 1;
      const returned = /db\.response\.returned_rows=(\d+)/.exec(r.line)?.[1];
      if (returned) entry.rows = (entry.rows ?? 0) + Number(returned);
      ops.set(op, entry);
    }
  }
  return ops;
}

describe('npm run demo', () => {
  it('prints a waterfall per request with its log lines, then a metrics table', async () => {
    const run = await runDemo();
    expect(run.stderr).not.toMatch(/demo failed/);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().endsWith('demo done')).toBe(true);
    const all = blocks(run.stdout);

    const setup = rows(block(all, 'setup:')).map(r => r.name);
    expect(setup).toEqual(['UDF REGISTER', 'CREATE INDEX test.users']);

    expectNested(block(all, 'POST /users → 201'), 'POST /users', [
      'PUT test.users',
      'PUT test.users',
      'PUT test.users',
    ]);
    const found = block(all, 'GET /users/alice → 200');
    expectNested(found, 'GET /users/:id', ['GET test.users']);
    const missingBlock = block(all, 'GET /users/nobody → 404');
    const missing = expectNested(missingBlock, 'GET /users/:id', [
      'GET test.users',
    ]);
    expect(missing[1].line).toContain('ERROR');
    expect(missing[1].line).toContain('error.type=2');
    expect(missing[1].line).toContain('db.response.status_code=2');

    const batch = expectNested(
      block(all, 'GET /users?ids=alice,bob,nobody → 200'),
      'GET /users',
      ['BATCH GET test.users']
    );
    expect(batch[1].line).toContain('db.operation.batch.size=3');
    expect(batch[1].line).toContain('db.response.returned_rows=2');

    const queryBlock = block(all, 'GET /users?minAge=30 → 200');
    const query = expectNested(queryBlock, 'GET /users', ['QUERY test.users']);
    expect(query[1].line).toContain('db.response.returned_rows=2');

    const udf = expectNested(
      block(all, 'POST /users/alice/birthday → 200'),
      'POST /users/:id/birthday',
      ['APPLY test.users']
    );
    expect(udf[1].line).toContain('db.stored_procedure.name=users.birthday');

    if (onRealServer) {
      expect(run.stdout).toMatch(/GET \/users\/bob\?timeoutMs=100: skipped/);
    } else {
      const timeout = expectNested(
        block(all, 'GET /users/bob?timeoutMs=100 → 504'),
        'GET /users/:id',
        ['GET test.users']
      );
      expect(timeout[1].line).toContain('error.type=9');
    }

    // Log lines written in a get callback and in a query stream's data
    // handler carry their request's trace and the request span.
    for (const [b, messages] of [
      [found, [{ msg: 'get callback', found: true }]],
      [missingBlock, [{ msg: 'get callback', found: false }]],
      [
        queryBlock,
        [
          { msg: 'query stream data', row: 1 },
          { msg: 'query stream data', row: 2 },
        ],
      ],
    ] as const) {
      const [traceId] = traceIds(b);
      const lines = logs(b);
      expect(lines.map(l => l.record)).toMatchObject(messages);
      for (const { span, record } of lines) {
        expect(record.trace_id, b.title).toBe(traceId);
        expect(record.span_id).toMatch(/^[0-9a-f]{16}$/);
        expect(span).toBe(rows(b)[0].name);
      }
    }

    // The table agrees with the waterfalls, operation by operation.
    const metrics = block(all, 'Metrics per operation');
    const tableRows = table(metrics);
    const traced = fromWaterfalls(all);
    expect(tableRows.map(r => r.operation).sort()).toEqual(
      [...traced.keys()].sort()
    );
    for (const row of tableRows) {
      const seen = traced.get(row.operation)!;
      expect(row.count, row.operation).toBe(seen.count);
      expect(row.errors, row.operation).toEqual(seen.errors);
      expect(row.rows, row.operation).toBe(seen.rows);
      expect(row.p50).toBeGreaterThan(0);
      expect(row.p50).toBeLessThanOrEqual(row.p95);
      expect(row.p95).toBeLessThanOrEqual(row.p99);
    }
    const text = metrics.lines.join('\n');
    expect(text).toContain('estimates from the histogram buckets');
    expect(text).toMatch(
      /Raw Prometheus text: http:\/\/127\.0\.0\.1:\d+\/metrics/
    );
    // No raw exposition without --raw-metrics.
    expect(run.stdout).not.toMatch(/^ {2}# TYPE /m);
  });

  it('--raw-metrics and OTEL_EXPORTER_OTLP_ENDPOINT: raw text, and OTLP that decodes to the same run', async () => {
    const receiver = await startOtlpJsonReceiver();
    let run: DemoRun;
    try {
      run = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, [
        '--raw-metrics',
      ]);
    } finally {
      await receiver.close();
    }
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`exporting to ${receiver.endpoint}`);

    // Every request decoded as OTLP/JSON.
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request.error, request.path).toBeUndefined();
      expect(request.contentType).toMatch(/^application\/json/);
    }
    expect(new Set(receiver.requests.map(r => r.path))).toEqual(
      new Set(['/v1/traces', '/v1/metrics'])
    );

    const { spans, points } = receiver;
    for (const span of spans) {
      expect(span.resource['service.name']).toBe('aerospike-demo');
    }
    const aerospike = spans.filter(
      s => s.scope === '@opentelemetry/instrumentation-aerospike'
    );
    const servers = spans.filter(
      s => s.kind === 2 && s.scope === '@opentelemetry/instrumentation-http'
    );
    expect(servers).toHaveLength(onRealServer ? 6 : 7);

    // Each HTTP server span has its Aerospike client spans as children:
    // the same trace, with their attributes and status.
    const childrenOf = (server: DecodedSpan) =>
      spans.filter(s => s.parentSpanId === server.spanId);
    const shape = servers.map(server => {
      const children = childrenOf(server);
      for (const child of children) {
        expect(child.kind).toBe(3);
        expect(child.scope).toBe('@opentelemetry/instrumentation-aerospike');
        expect(child.traceId).toBe(server.traceId);
        expect(child.endNs >= child.startNs).toBe(true);
        expect(child.attributes).toMatchObject({
          'db.system.name': 'aerospike',
          'db.namespace': 'test',
          'db.collection.name': 'users',
          'db.operation.name': operationOf(child.name),
        });
        expect(child.attributes['server.address']).toBeTruthy();
        const errorType = child.attributes['error.type'];
        expect(child.status.code, child.name).toBe(errorType ? 2 : 0);
        if (errorType) {
          expect(child.status.message).toBeTruthy();
          expect(child.events).toContain('exception');
        }
      }
      return [
        `${server.name} ${String(server.attributes['http.response.status_code'])}`,
        ...children.map(c =>
          [c.name, c.attributes['error.type']].filter(Boolean).join(' ')
        ),
      ].join(' | ');
    });
    expect(shape.sort()).toEqual(
      [
        'POST /users 201 | PUT test.users | PUT test.users | PUT test.users',
        'GET /users/:id 200 | GET test.users',
        'GET /users/:id 404 | GET test.users 2',
        'GET /users 200 | BATCH GET test.users',
        'GET /users 200 | QUERY test.users',
        'POST /users/:id/birthday 200 | APPLY test.users',
        ...(onRealServer ? [] : ['GET /users/:id 504 | GET test.users 9']),
      ].sort()
    );

    // Metric points agree with the spans, with their attributes.
    const duration = points.filter(
      p => p.metric === 'db.client.operation.duration'
    );
    expect(duration.length).toBeGreaterThan(0);
    const perOperation = new Map<string, number>();
    for (const point of duration) {
      expect(point.kind).toBe('histogram');
      expect(point.unit).toBe('s');
      expect(point.attributes['db.system.name']).toBe('aerospike');
      const op = String(point.attributes['db.operation.name']);
      perOperation.set(op, (perOperation.get(op) ?? 0) + point.count!);
      expect(
        point.bucketCounts!.reduce((a, b) => a + b, 0),
        `${op} buckets`
      ).toBe(point.count);
    }
    const spanCounts = new Map<string, number>();
    for (const s of aerospike) {
      const op = String(s.attributes['db.operation.name']);
      spanCounts.set(op, (spanCounts.get(op) ?? 0) + 1);
    }
    expect(perOperation).toEqual(spanCounts);
    for (const s of aerospike.filter(s => s.attributes['error.type'])) {
      const point = duration.find(
        p =>
          p.attributes['error.type'] === s.attributes['error.type'] &&
          p.attributes['db.operation.name'] ===
            s.attributes['db.operation.name']
      );
      expect(
        point,
        `a point for ${s.name} ${s.attributes['error.type']}`
      ).toBeDefined();
      expect(point!.attributes['db.response.status_code']).toBe(
        s.attributes['db.response.status_code']
      );
    }
    const returned = points.filter(
      p => p.metric === 'db.client.response.returned_rows'
    );
    expect(
      returned.map(p => [p.attributes['db.operation.name'], p.sum]).sort()
    ).toEqual(
      aerospike
        .filter(s => s.attributes['db.response.returned_rows'] !== undefined)
        .map(s => [
          s.attributes['db.operation.name'],
          s.attributes['db.response.returned_rows'],
        ])
        .sort()
    );
    const connections = points.filter(
      p => p.metric === 'db.client.connection.count'
    );
    expect(connections.length).toBeGreaterThan(0);
    for (const point of connections) {
      expect(point).toMatchObject({ kind: 'sum', monotonic: false });
      expect(['idle', 'used']).toContain(
        point.attributes['db.client.connection.state']
      );
      expect(point.attributes['db.client.connection.pool.name']).toBeTruthy();
    }

    // The log lines point at the request span of their trace.
    const all = blocks(run!.stdout);
    const lines = all.flatMap(logs);
    expect(lines.length).toBe(onRealServer ? 4 : 5);
    for (const { record } of lines) {
      const server = servers.find(s => s.traceId === record.trace_id);
      expect(server, `the trace of ${JSON.stringify(record)}`).toBeDefined();
      expect(record.span_id).toBe(server!.spanId);
    }

    // --raw-metrics: the exposition text, with the same counts.
    const raw = block(all, 'Raw metrics').lines.join('\n');
    expect(raw).toMatch(/^ {2}# TYPE db_client_operation_duration histogram$/m);
    for (const [op, count] of perOperation) {
      let total = 0;
      for (const m of raw.matchAll(
        /^ {2}db_client_operation_duration_count\{([^}]*)\} (\d+)$/gm
      )) {
        if (m[1].includes(`db_operation_name="${op}"`)) total += Number(m[2]);
      }
      expect(total, op).toBe(count);
    }
  });
});
