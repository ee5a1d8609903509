/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  BINS,
  BUILD_DIR,
  clientConfig,
  KEYS,
  KV_SET,
  median,
  NAMESPACE,
  QUERY_RECORDS,
  QUERY_SET,
  require,
  startServerChild,
} from './common.ts';
import type { ClientResult, Operation, Scenario } from './client.ts';

// `npm run bench`: the instrumentation's CPU cost per operation.
//   BENCH_QUICK=1    a one-minute smoke run (1 round, short windows)
//   BENCH_ROUNDS=N   rounds (default 5)
// The embedded server runs in a child process; each scenario runs in its own
// client process; scenario and operation order rotate every round. Prints
// the table and writes it to bench/RESULTS.md.

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
const WARMUP_MS = QUICK ? 150 : 400;
const MEASURE_MS = QUICK ? 350 : 1300;
const CONCURRENCY = 64;
const MEMORY_OPS = QUICK ? 20_000 : 200_000;
const NOIO_ITERATIONS = QUICK ? 20_000 : 100_000;

const SCENARIOS: Scenario[] = ['a', 'b', 'c', 'd', 'e'];
const SCENARIO_NAMES: Record<Scenario, string> = {
  a: '(a) uninstrumented',
  b: '(b) installed, disabled',
  c: '(c) enabled, no SDK',
  d: '(d) enabled, SDK recording',
  e: '(e) floor: hand-written, SDK',
};
const OPERATIONS: Operation[] = [
  'get-promise',
  'get-callback',
  'put-promise',
  'put-callback',
  'batchRead-10',
  'batchRead-1000',
  'query-1000',
];
const SINGLE: Operation[] = OPERATIONS.slice(0, 4);

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

function compile(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      here('../tsconfig.build.json'),
      '--outDir',
      BUILD_DIR,
      '--module',
      'commonjs',
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { stdio: 'inherit' }
  );
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(`${BUILD_DIR}package.json`, '{ "type": "commonjs" }\n');
}

/** Runs a bench process and returns its `RESULT` JSON. */
function runChild<T>(args: string[], nodeFlags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', code => {
      const line = out.split('\n').find(l => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${args.join(' ')} exited ${code}: ${out}`));
      } else resolve(JSON.parse(line.slice('RESULT '.length)) as T);
    });
  });
}

async function seed(hosts: string): Promise<void> {
  const Aerospike = require('aerospike');
  const client = await Aerospike.connect(clientConfig(hosts, CONCURRENCY));
  try {
    const all = [
      ...Array.from({ length: KEYS }, (_, i) => [KV_SET, i] as const),
      ...Array.from(
        { length: QUERY_RECORDS },
        (_, i) => [QUERY_SET, i] as const
      ),
    ];
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const [set, i] = all[next++];
        await client.put(new Aerospike.Key(NAMESPACE, set, i), BINS);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const streamed = await client.query(NAMESPACE, QUERY_SET).results();
    if (streamed.length !== QUERY_RECORDS) {
      throw new Error(`seeded query returns ${streamed.length} records`);
    }
  } finally {
    await client.close();
  }
}

interface Stat {
  median: number;
  min: number;
  max: number;
}
const stat = (values: number[]): Stat => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

interface NoIoResult {
  withSdk: boolean;
  ops: Record<string, { bare: number; added: Record<string, Stat> }>;
  floorLoop?: Stat;
}

interface MemoryResult {
  ops: number;
  before: number;
  after: number;
  seconds: number;
}

const f = (n: number, digits = 2) =>
  Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
const range = (s: Stat, digits = 2) =>
  `${f(s.median, digits)} [${f(s.min, digits)}, ${f(s.max, digits)}]`;

function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const began = Date.now();
  log(`bench: compiling src into ${BUILD_DIR}`);
  compile();
  const server = await startServerChild();
  try {
    await seed(server.hosts);
    log(`bench: server ${server.hosts}, ${ROUNDS} round(s)`);

    // results[scenario][op] = one value per round
    const cpu: Record<string, Record<string, number[]>> = {};
    const rate: Record<string, Record<string, number[]>> = {};
    const wrapped: Record<string, number> = {};
    let errors = 0;
    for (const s of SCENARIOS) {
      cpu[s] = {};
      rate[s] = {};
      for (const op of OPERATIONS) {
        cpu[s][op] = [];
        rate[s][op] = [];
      }
    }
    for (let r = 0; r < ROUNDS; r++) {
      const order = SCENARIOS.map((_, i) => SCENARIOS[(i + r) % 5]);
      const ops = OPERATIONS.map((_, i) => OPERATIONS[(i + r) % 7]);
      for (const s of order) {
        log(`bench: round ${r + 1}/${ROUNDS} scenario ${SCENARIO_NAMES[s]}`);
        const res = await runChild<ClientResult>([
          here('./client.ts'),
          '--scenario',
          s,
          '--hosts',
          server.hosts,
          '--ops',
          ops.join(','),
          '--warmup',
          String(WARMUP_MS),
          '--measure',
          String(MEASURE_MS),
          '--concurrency',
          String(CONCURRENCY),
        ]);
        wrapped[s] = res.wrappedMethods;
        for (const op of OPERATIONS) {
          const x = res.results[op]!;
          cpu[s][op].push(x.cpuUsPerOp);
          rate[s][op].push(x.opsPerSec);
          errors += x.errors;
        }
      }
    }

    log('bench: without I/O');
    const noIoSdk = await runChild<NoIoResult>([
      here('./noio.ts'),
      '--sdk',
      '--iterations',
      String(NOIO_ITERATIONS),
      '--rounds',
      String(QUICK ? 3 : 7),
    ]);
    const noIoNone = await runChild<NoIoResult>([
      here('./noio.ts'),
      '--iterations',
      String(NOIO_ITERATIONS),
      '--rounds',
      String(QUICK ? 3 : 7),
    ]);

    log(`bench: memory over ${MEMORY_OPS} recorded operations`);
    const memory = await runChild<MemoryResult>(
      [
        here('./memory.ts'),
        '--hosts',
        server.hosts,
        '--ops',
        String(MEMORY_OPS),
      ],
      ['--expose-gc']
    );

    // ---------------------------------------------------------- the table
    const added = (s: Scenario, op: Operation) =>
      cpu[s][op].map((x, i) => x - cpu.a[op][i]);
    const addedMedian = (s: Scenario, op: Operation) => median(added(s, op));
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const targets: string[][] = [['target', 'measured', 'result']];

    const header = [
      'scenario',
      'operation',
      'CPU µs/op median [min, max]',
      'added µs/op over (a) [min, max]',
      '(d) added / (e) added',
      'ops/s',
      'target',
      'result',
    ];
    const rows: string[][] = [header];
    for (const s of SCENARIOS) {
      for (const op of OPERATIONS) {
        const row = [
          SCENARIO_NAMES[s],
          op,
          range(stat(cpu[s][op])),
          s === 'a' ? '—' : range(stat(added(s, op))),
          '',
          Math.round(median(rate[s][op])).toString(),
          '',
          '',
        ];
        const a = addedMedian(s, op);
        if (s === 'b') {
          // Unwrapped methods run the very same code as (a): the difference
          // is noise when within (a)'s own round-to-round range.
          const d = stat(added('b', op));
          const noise = stat(cpu.a[op]);
          const ok =
            wrapped.b === 0 &&
            (d.median <= 0.1 || Math.abs(d.median) <= noise.max - noise.min);
          row[6] = `≤ 0.1 or within (a)'s range; ${wrapped.b} wrapped`;
          row[7] = verdict(ok);
        } else if (s === 'c') {
          row[6] = '≤ 0.5';
          row[7] = verdict(a <= 0.5);
        } else if (s === 'd') {
          const ratio = a / addedMedian('e', op);
          row[4] = f(ratio);
          if (SINGLE.includes(op)) {
            row[6] = '(d)/(e) ≤ 1.15';
            row[7] = verdict(ratio <= 1.15);
          } else if (op === 'batchRead-1000') {
            const limit = 2 * addedMedian('d', 'batchRead-10');
            row[6] = `≤ 2 × batch-10 = ${f(limit)}`;
            row[7] = verdict(a <= limit);
          } else if (op === 'query-1000') {
            row[6] = `≤ 0.05 µs/record: ${f(a / QUERY_RECORDS, 3)}`;
            row[7] = verdict(a / QUERY_RECORDS <= 0.05);
          }
        }
        rows.push(row);
      }
    }

    // Targets from the no-I/O measurements (same process, no I/O noise).
    const nio = noIoSdk.ops;
    for (const op of [
      'get-promise',
      'get-callback',
      'put-promise',
      'put-callback',
    ]) {
      const d = nio[op].added.instrumented;
      const e = nio[op].added.floor;
      targets.push([
        `no I/O, (d)/(e) ≤ 1.15: ${op}`,
        `${f(d.median)} / ${f(e.median)} µs = ${f(d.median / e.median)}`,
        verdict(d.median / e.median <= 1.15),
      ]);
    }
    for (const op of [
      'get-promise',
      'get-callback',
      'put-promise',
      'put-callback',
    ]) {
      const c = noIoNone.ops[op].added.instrumented;
      targets.push([
        `no I/O, (c) added ≤ 0.5 µs: ${op}`,
        `${range(c)} µs`,
        verdict(c.median <= 0.5),
      ]);
    }
    {
      const b10 = nio['batchRead-10'].added.instrumented;
      const b1000 = nio['batchRead-1000'].added.instrumented;
      targets.push([
        'no I/O, (d) batch 1000 added ≤ 2 × batch 10 added',
        `${f(b1000.median)} vs ${f(b10.median)} µs = ${f(b1000.median / b10.median)}×`,
        verdict(b1000.median <= 2 * b10.median),
      ]);
      const c10 = noIoNone.ops['batchRead-10'].added.instrumented;
      const c1000 = noIoNone.ops['batchRead-1000'].added.instrumented;
      targets.push([
        'no I/O, (c) batch 1000 added ≤ 0.5 µs',
        `${f(c1000.median)} µs (batch 10: ${f(c10.median)})`,
        verdict(c1000.median <= 0.5),
      ]);
      const st = nio['stream-1000'].added;
      const perRecord = st.instrumented.median / 1000;
      targets.push([
        'no I/O, (d) stream added ≤ 0.05 µs/record',
        `${f(perRecord, 3)} µs/record (floor ${f(st.floor.median / 1000, 3)})`,
        verdict(perRecord <= 0.05),
      ]);
      const cs = noIoNone.ops['stream-1000'].added.instrumented;
      targets.push([
        'no I/O, (c) stream added ≤ 0.05 µs/record',
        `${f(cs.median / 1000, 3)} µs/record`,
        verdict(cs.median / 1000 <= 0.05),
      ]);
    }
    const growthMb = (memory.after - memory.before) / 1024 / 1024;
    targets.push([
      `heap growth over ${memory.ops} recorded ops (after GC) < 5 MB`,
      `${f(growthMb)} MB (${f(memory.before / 1048576, 1)} → ${f(memory.after / 1048576, 1)} MB)`,
      verdict(growthMb < 5),
    ]);

    const noIoRows: string[][] = [
      [
        'operation (stub, no I/O)',
        'bare µs/op',
        '(d) instr. added [min, max]',
        '(e) floor added [min, max]',
        '(d)/(e)',
        '(c) instr. added, no SDK [min, max]',
      ],
    ];
    for (const op of Object.keys(nio)) {
      const d = nio[op].added.instrumented;
      const e = nio[op].added.floor;
      noIoRows.push([
        op,
        f(nio[op].bare),
        range(d),
        range(e),
        f(d.median / e.median),
        range(noIoNone.ops[op].added.instrumented),
      ]);
    }

    const minutes = (Date.now() - began) / 60000;
    const machine = `${cpus().length} CPUs (nproc), ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
    const text = [
      `Date: ${new Date().toISOString()}`,
      `Machine: ${machine}`,
      `Run: ${QUICK ? 'BENCH_QUICK smoke run' : 'full'}, ${ROUNDS} round(s), ${MEASURE_MS} ms per operation after ${WARMUP_MS} ms warm-up, concurrency ${CONCURRENCY} (batchRead-1000 and query-1000: 8), ${errors} errors, ${f(minutes, 1)} min`,
      '',
      'End to end (real client, embedded server in a child process; CPU of the client process only):',
      '',
      renderTable(rows),
      '',
      `Floor without I/O (span + context + histogram, tight loop): ${range(noIoSdk.floorLoop!)} µs/op`,
      '',
      'Without I/O (stub client methods; instrumentation wrapper vs hand-written floor, same process, interleaved):',
      '',
      renderTable(noIoRows),
      '',
      'Targets:',
      '',
      renderTable(targets),
      '',
    ].join('\n');
    process.stdout.write(`\n${text}`);
    const md = [
      '# `npm run bench` results',
      '',
      'Latest run of `npm run bench` (bench/run.ts). Medians over rounds with',
      '[min, max]; "added" is the per-round difference to (a), measured in',
      'separate client processes in the same round. (b) passes when its',
      "methods are unwrapped and the difference is ≤ 0.1 µs/op or within (a)'s",
      'own round-to-round range (indistinguishable). The no-I/O tables measure',
      'the same wrappers around stub methods in one process, free of I/O and',
      'cross-process noise: the end-to-end added costs of batchRead-1000 and',
      'query-1000 are below the noise of a 2.5-5 ms operation on a shared',
      'machine, so their targets are judged on the no-I/O rows.',
      '',
      'Profile one stub operation: `node bench/profile.ts --op get-promise`',
      '(`--no-sdk`, `--variant floor`, `--op batchRead-1000|stream-1000|...`).',
      '',
      '```',
      text,
      '```',
      '',
    ].join('\n');
    // A smoke run does not replace the full run's results.
    const resultsFile = QUICK
      ? `${BUILD_DIR}../RESULTS-quick.md`
      : here('./RESULTS.md');
    writeFileSync(resultsFile, md);
    log(`bench: wrote ${resultsFile} (${f(minutes, 1)} min)`);
  } finally {
    server.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
