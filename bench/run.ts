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
  SCAN_RECORDS,
  SCAN_SET,
  SCAN_VARIANTS,
  startServerChild,
} from './common.ts';
import type { ScanVariant } from './common.ts';
import type { ClientResult, Operation, Scenario } from './client.ts';
import type { ScanResult } from './scan.ts';

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
/** End-to-end scan: client processes, and rounds in each. */
const SCAN_PROCESSES = QUICK ? 1 : 3;
const SCAN_ROUNDS = QUICK ? 2 : 8;

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
      ...Array.from({ length: SCAN_RECORDS }, (_, i) => [SCAN_SET, i] as const),
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
    const scanned = await client.scan(NAMESPACE, SCAN_SET).results();
    if (scanned.length !== SCAN_RECORDS) {
      throw new Error(`seeded scan returns ${scanned.length} records`);
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

    // End to end, scans of SCAN_RECORDS records: every variant in each
    // round, back to back in one client process with the same SDK.
    const scanCpu = Object.fromEntries(
      SCAN_VARIANTS.map(v => [v, [] as number[]])
    ) as ScanResult['cpuUsPerRecord'];
    for (let p = 0; p < SCAN_PROCESSES; p++) {
      log(
        `bench: scans of ${SCAN_RECORDS.toLocaleString('en-US')}, process ${p + 1}/${SCAN_PROCESSES}`
      );
      const res = await runChild<ScanResult>([
        here('./scan.ts'),
        '--hosts',
        server.hosts,
        '--rounds',
        String(SCAN_ROUNDS),
      ]);
      for (const v of SCAN_VARIANTS) scanCpu[v].push(...res.cpuUsPerRecord[v]);
    }

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
      const withPerRecord = st.with.median / 1000;
      targets.push([
        'no I/O, (d) stream added ≤ 0.05 µs/record, or ≤ 1.2 × context.with per record',
        `${f(perRecord, 3)} µs/record; context.with ${f(withPerRecord, 3)} (${f(perRecord / withPerRecord)}×)`,
        verdict(perRecord <= 0.05 || perRecord <= 1.2 * withPerRecord),
      ]);
      const cs = noIoNone.ops['stream-1000'].added.instrumented;
      targets.push([
        'no I/O, (c) stream added ≤ 0.05 µs/record',
        `${f(cs.median / 1000, 3)} µs/record`,
        verdict(cs.median / 1000 <= 0.05),
      ]);
    }
    // End-to-end scan: added CPU per record over the same SDK without it.
    const scanAdded = (v: ScanVariant) =>
      stat(scanCpu[v].map((x, i) => x - scanCpu.sdk[i]));
    const scanBare = median(scanCpu.sdk);
    {
      const d = scanAdded('instrumented').median;
      targets.push([
        `end to end, scan of ${SCAN_RECORDS.toLocaleString('en-US')}: (d) added ≤ 3% of the bare µs/record`,
        `${f(d, 3)} of ${f(scanBare, 3)} µs = ${f((100 * d) / scanBare, 1)}% (AsyncResource switch alone: ${f((100 * scanAdded('resource').median) / scanBare, 1)}%)`,
        verdict(d <= 0.03 * scanBare),
      ]);
      const gp = nio['get-promise'].added;
      targets.push([
        'no I/O, get-promise (d)/(e) ≤ 0.8',
        `${f(gp.instrumented.median / gp.floor.median)}; record only: ${f(gp.recordOnly.median / gp.floor.median)}`,
        verdict(gp.instrumented.median / gp.floor.median <= 0.8),
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

    // Streams: what each record costs, without I/O and end to end.
    const noIoStream = nio['stream-1000'];
    const perRec = (x: Stat) => `+${range(x, 3)}`;
    const perRec1000 = (x: Stat) =>
      perRec({
        median: x.median / 1000,
        min: x.min / 1000,
        max: x.max / 1000,
      });
    const streamRow = (name: string, v: ScanVariant) => [
      name,
      perRec1000(noIoStream.added[v]),
      perRec(scanAdded(v)),
    ];
    const streamRows: string[][] = [
      [
        'per record',
        'no I/O: stub scan of 1,000, µs/record [min, max]',
        `end to end: scan of ${SCAN_RECORDS.toLocaleString('en-US')}, µs/record [min, max]`,
      ],
      [
        'bare stream (same SDK registered, no wrapper)',
        f(noIoStream.bare / 1000, 3),
        range(stat(scanCpu.sdk), 3),
      ],
      streamRow('context.with per record, nothing else', 'with'),
      streamRow('AsyncResource switch per record, nothing else', 'resource'),
      streamRow('(d) instrumentation', 'instrumented'),
      streamRow('(e) floor (context.with per record)', 'floor'),
    ];

    // Promise get without I/O, against what cannot be removed.
    const gp = nio['get-promise'];
    const gpRow = (name: string, x: Stat) => [
      name,
      range(x),
      f(x.median / gp.added.floor.median),
    ];
    const promiseRows: string[][] = [
      ['get-promise, no I/O', 'added µs/op [min, max]', '/ (e)'],
      gpRow(
        'derived promise only (`.then` chain, no telemetry)',
        gp.added.chain
      ),
      gpRow(
        'record only: same span and point, nothing else (hand-written)',
        gp.added.recordOnly
      ),
      gpRow('(d) instrumentation', gp.added.instrumented),
      gpRow('(e) floor', gp.added.floor),
    ];

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
      `Streams, added CPU per record over the bare stream (no I/O: ${NOIO_ITERATIONS / 200} streams per round in one process; end to end: ${SCAN_PROCESSES} client process(es) × ${SCAN_ROUNDS} rounds, each round one scan per variant back to back, the same SDK registered, the instrumentation enabled only for its own scan):`,
      '',
      renderTable(streamRows),
      '',
      'Promise get without I/O, against the parts any wrapper recording the same span and point pays:',
      '',
      renderTable(promiseRows),
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
      '(`--no-sdk`, `--variant floor|recordOnly|chain`, `--op',
      'batchRead-1000|stream-1000|...`; stream-1000 also has `--variant',
      'with|resource`).',
      '',
      '```',
      text,
      '```',
      '',
      '## Streams: one context switch per record',
      '',
      'The native client calls back once per record, each call in its own',
      'callback scope in the empty async context (a `process.nextTick` runs',
      'between any two records of a scan), so `data` handlers see the',
      "caller's context only if it is entered once per record, whatever the",
      "hook point (the stream's `emit` or the command's callback). Through",
      'the OpenTelemetry API that is `context.with`, which builds two',
      'AsyncLocalStorage frames per record. The instrumentation builds the',
      'frame once per stream and enters it with an `AsyncResource`',
      '(`runInAsyncScope`), the cheapest switch Node.js offers, when that',
      "frame does make the caller's context active (the AsyncLocalStorage",
      'context manager; any other context manager gets `context.with`). The',
      '"AsyncResource switch" row is that switch alone, hand-written around',
      'the same stream: the limit of any approach. It costs',
      `${f(noIoStream.added.resource.median / 1000, 3)} µs/record without I/O but ${f(scanAdded('resource').median, 3)} µs end to end: inside the`,
      "native callback scope, Node.js's async id stack bookkeeping takes a",
      'slow path (the native scope trims the JavaScript resource stack the',
      'switch grew). End to end the instrumentation adds',
      `${f(scanAdded('instrumented').median, 3)} µs/record, ${f((100 * scanAdded('instrumented').median) / scanBare, 1)}% of the bare ${f(scanBare, 2)} µs, and the switch alone`,
      `${f((100 * scanAdded('resource').median) / scanBare, 1)}%${scanAdded('resource').median > 0.03 * scanBare ? ': 3% is below the cost of one switch per record on Node.js 24' : ''}.`,
      'End-to-end stream figures are differences of about 0.1 µs on 3 µs',
      'per record: from scan to scan they move by as much on a shared',
      'machine (see [min, max]); compare the rows of one run.',
      '',
      '## Promise get: what cannot be removed',
      '',
      'The promise form has one part of its own, the derived promise it',
      `returns (${f(gp.added.chain.median)} µs without I/O). It stays: observing the client's promise`,
      'without returning the chained one would mark a rejection nobody',
      'handles as handled (or, rethrown, add a second, unhandled one). The',
      'rest is the span and the histogram point the floor records too. The',
      '"record only" row is the floor minus making the span active around',
      'the call (a promise keeps the caller context anyway): the lowest ratio',
      `to the floor any wrapper recording the same span and point reaches, ${f(gp.added.recordOnly.median / gp.added.floor.median)}`,
      `here. The instrumentation is ${f(gp.added.instrumented.median - gp.added.recordOnly.median)} µs above it (the generation and TTL`,
      'attributes, reading the target, building the attributes). Without',
      'I/O, 0.8× the floor is out of reach for any such wrapper, in the',
      'promise form as in the callback form. End to end (first table) the',
      `promise forms' (d)/(e) are ${f(addedMedian('d', 'get-promise') / addedMedian('e', 'get-promise'))} (get) and ${f(addedMedian('d', 'put-promise') / addedMedian('e', 'put-promise'))} (put), the callback forms'`,
      `${f(addedMedian('d', 'get-callback') / addedMedian('e', 'get-callback'))} and ${f(addedMedian('d', 'put-callback') / addedMedian('e', 'put-callback'))} in this run.`,
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
