/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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

function runDemo(env: Record<string, string> = {}): Promise<DemoRun> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [DEMO],
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

describe('npm run demo', () => {
  it('prints a waterfall per request and the duration histogram', async () => {
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
    expectNested(block(all, 'GET /users/alice → 200'), 'GET /users/:id', [
      'GET test.users',
    ]);
    const missing = expectNested(
      block(all, 'GET /users/nobody → 404'),
      'GET /users/:id',
      ['GET test.users']
    );
    expect(missing[1].line).toContain('ERROR');
    expect(missing[1].line).toContain('error.type=ERR_RECORD_NOT_FOUND');
    expect(missing[1].line).toContain('db.response.status_code=2');

    const batch = expectNested(
      block(all, 'GET /users?ids=alice,bob,nobody → 200'),
      'GET /users',
      ['BATCH READ test.users']
    );
    expect(batch[1].line).toContain('db.operation.batch.size=3');
    expect(batch[1].line).toContain('db.response.returned_rows=2');

    const query = expectNested(
      block(all, 'GET /users?minAge=30 → 200'),
      'GET /users',
      ['QUERY test.users']
    );
    expect(query[1].line).toMatch(/db\.response\.returned_rows=\d+/);

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
      expect(timeout[1].line).toContain('error.type=ERR_TIMEOUT');
    }

    const prom = block(all, 'Prometheus:');
    const text = prom.lines.join('\n');
    expect(text).toMatch(
      /^ {2}# TYPE db_client_operation_duration(_seconds)? histogram$/m
    );
    expect(text).toMatch(
      /^ {2}db_client_operation_duration(_seconds)?_count\{[^}]*db_operation_name="GET"[^}]*\} [1-9]\d*$/m
    );
    expect(text).toMatch(
      /^ {2}db_client_operation_duration(_seconds)?_bucket\{[^}]*error_type="ERR_RECORD_NOT_FOUND"[^}]*le="\+Inf"\} 1$/m
    );
    // Only that histogram is printed.
    for (const line of prom.lines.filter(l => l.startsWith('  '))) {
      expect(line).toMatch(/db_client_operation_duration/);
    }
  });

  it('also exports OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const received: { path: string; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>(r => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as AddressInfo;
    try {
      const run = await runDemo({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`exporting to http://127.0.0.1:${port}`);
    } finally {
      await new Promise(r => collector.close(r));
    }
    const traces = received.filter(r => r.path === '/v1/traces');
    const metrics = received.filter(r => r.path === '/v1/metrics');
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    const traceBytes = Buffer.concat(traces.map(t => t.body)).toString();
    expect(traceBytes).toContain('GET test.users');
    expect(traceBytes).toContain('aerospike-demo');
    const metricBytes = Buffer.concat(metrics.map(m => m.body)).toString();
    expect(metricBytes).toContain('db.client.operation.duration');
  });
});
