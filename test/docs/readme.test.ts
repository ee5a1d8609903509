/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// Every code sample of the README is exercised, for real where it can run:
// - js: written into an application folder where the packed package is
//   installed, and run with Node against the test backend (bootstraps with an
//   application, the framework samples with HTTP requests, then SIGTERM);
// - sh: each command line must work (npm lines name real packages, scripts
//   and environment variables; `node ... /register app` lines are run);
// - promql: every query is evaluated by a real Prometheus that scraped an
//   instrumented application running a workload, and shows what it should
//   (test/examples/live-metrics.ts; skipped, with the reason, when the
//   `prometheus` binary is not installed);
// - ts: the embedded-server sample runs with Node type stripping.
// A fenced block of any other kind, or one no test exercises, fails the file.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import type { Backend } from '../helpers/backend.ts';
import {
  childEnv,
  installPacked,
  jsonSpans,
  PACKAGE_NAME,
  ROOT,
  startNode,
  startOtlpReceiver,
} from '../packaging/helpers.ts';
import type { OtlpSpan, RunResult } from '../packaging/helpers.ts';
import { startLiveMetrics } from '../examples/live-metrics.ts';
import type { LiveMetrics } from '../examples/live-metrics.ts';
import { prometheusMissing } from '../examples/prometheus-server.ts';
import {
  connectionsByState,
  errorRatioByType,
  latencyQuantile,
  operationsPerSecond,
  rowsQuantile,
} from '../examples/promql-expectations.ts';
import type { Expectation } from '../examples/promql-expectations.ts';

const FIXTURES = join(ROOT, 'test/docs/apps');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// ---------------------------------------------------------------------------
// The README's fenced blocks

interface Block {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** The `##` section the block is in. */
  section: string;
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^##\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trimStart().startsWith(fence)) {
      body.push(lines[j]);
      j++;
    }
    blocks.push({
      lang: open[2],
      line: i + 1,
      code: body.join('\n') + '\n',
      section,
    });
    i = j;
  }
  return blocks;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = fencedBlocks(README);
const KNOWN_LANGS = ['js', 'sh', 'promql', 'ts'];
/** Blocks some test below exercises (filled while the tests are declared). */
const exercised = new Set<Block>();
/** Blocks of a known language that no rule understands, and why. */
const unknown: Array<{ block: Block; why: string }> = [];

const where = (b: Block) => `README.md:${b.line} (${b.section})`;

/** Why the promql blocks cannot be evaluated here (no Prometheus). */
const promqlMissing = prometheusMissing();

// ---------------------------------------------------------------------------
// js blocks

/**
 * A bootstrap says how it is loaded on its first line
 * (`// otel.mjs: node --import ./otel.mjs server.mjs`); an application
 * sample names its file (`// server.mjs (Express)`) and is run with the
 * bootstrap that names it; a sample without a file name that only creates
 * the instrumentation (the hooks sample) is run with a tracer provider.
 */
interface Bootstrap {
  block: Block;
  file: string;
  flag: '--import' | '--require';
  app: string;
}

const bootstraps: Bootstrap[] = [];
const appSamples: Array<{ block: Block; file: string }> = [];
const configSamples: Block[] = [];

for (const block of blocks.filter(b => b.lang === 'js')) {
  const first = block.code.split('\n')[0];
  const named = /^\/\/ (\S+\.[mc]?js)\b(.*)$/.exec(first);
  const command = /\bnode (--import|--require) \.\/(\S+) (\S+\.[mc]?js)\b/.exec(
    first
  );
  if (named && command && command[2] === named[1]) {
    bootstraps.push({
      block,
      file: named[1],
      flag: command[1] as Bootstrap['flag'],
      app: command[3],
    });
  } else if (named && !command) {
    appSamples.push({ block, file: named[1] });
  } else if (
    !named &&
    /new AerospikeInstrumentation\(/.test(block.code) &&
    !/registerInstrumentations|NodeSDK|setGlobalTracerProvider/.test(block.code)
  ) {
    configSamples.push(block);
  } else {
    unknown.push({
      block,
      why:
        'a js block must be a bootstrap (`// file.mjs: node --import ' +
        './file.mjs app.mjs`), an application run by one (`// app.mjs`), ' +
        'or a configuration sample that only creates the instrumentation',
    });
  }
}

/** Packages the js samples import or require. */
function importedPackages(code: string): string[] {
  const names = new Set<string>();
  const specifiers = [
    ...code.matchAll(/\bfrom\s+'([^']+)'/g),
    ...code.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g),
    ...code.matchAll(/\bimport\s+'([^']+)'/g),
  ].map(m => m[1]);
  for (const spec of specifiers) {
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names];
}

// ---------------------------------------------------------------------------
// sh blocks

interface ShCommand {
  block: Block;
  text: string;
  env: Record<string, string>;
  argv: string[];
}

function shCommands(block: Block): ShCommand[] {
  const out: ShCommand[] = [];
  const joined = block.code.replace(/\\\n\s*/g, ' ');
  for (const raw of joined.split('\n')) {
    const text = raw
      .replace(/(^|\s)#.*$/, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (!text) continue;
    if (/["'`$|;&<>()]/.test(text)) {
      unknown.push({
        block,
        why: `shell syntax this test does not run: ${text}`,
      });
      continue;
    }
    const words = text.split(/\s+/);
    const env: Record<string, string> = {};
    while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
      const word = words.shift()!;
      const eq = word.indexOf('=');
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
    out.push({ block, text, env, argv: words });
  }
  return out;
}

const npmCommands: ShCommand[] = [];
const nodeCommands: ShCommand[] = [];
for (const block of blocks.filter(b => b.lang === 'sh')) {
  for (const command of shCommands(block)) {
    const [tool] = command.argv;
    if (tool === 'npm') npmCommands.push(command);
    else if (tool === 'node') nodeCommands.push(command);
    else unknown.push({ block, why: `unknown command: ${command.text}` });
  }
}

/** The package a `npm install` argument names (`name@range` or `name`). */
function packageOf(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at === -1 ? spec : spec.slice(0, at);
}

/**
 * `npm run X` scripts that run `node <file>`: the file (of the last command,
 * after the Node.js version check).
 */
function scriptFile(script: string): string | undefined {
  const last = (pkg.scripts[script] ?? '').split('&&').pop()!.trim();
  return /^node(?:\s+--\S+)*\s+(\S+)/.exec(last)?.[1];
}

// ---------------------------------------------------------------------------
// Shared fixtures: one packed install, one backend, one OTLP receiver.

let app: Awaited<ReturnType<typeof installPacked>>;
let backend: Backend;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
/** The record the framework samples read: test.users.<usersId>. */
const usersId = uniqueName('readme_user');
const usersBins = { name: 'Ada', visits: 3 };
let liveStarting: Promise<LiveMetrics> | undefined;

beforeAll(async () => {
  const linked = new Set([
    '@opentelemetry/api',
    '@opentelemetry/context-async-hooks',
    '@opentelemetry/instrumentation',
    '@opentelemetry/sdk-node',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/semantic-conventions',
    'aerospike',
  ]);
  for (const block of blocks.filter(b => b.lang === 'js')) {
    for (const name of importedPackages(block.code)) {
      if (name === PACKAGE_NAME) continue;
      if (!existsSync(join(ROOT, 'node_modules', name))) {
        throw new Error(`${where(block)} imports ${name}, not installed`);
      }
      linked.add(name);
    }
  }
  // Started first, so that its instrumentation is in place before this
  // file loads `aerospike` below; awaited by the promql tests.
  liveStarting = promqlMissing ? undefined : startLiveMetrics();
  liveStarting?.catch(() => undefined);
  app = await installPacked([...linked]);
  backend = await startBackend();
  receiver = await startOtlpReceiver();
  // The record the framework samples serve (their set is `users`).
  const Aerospike = createRequire(import.meta.url)('aerospike');
  const client = await Aerospike.connect({
    hosts: backend.hosts,
    log: { level: -1 },
  });
  await client.put(new Aerospike.Key('test', 'users', usersId), usersBins);
  await client.close();
}, 120_000);

afterAll(async () => {
  await (await liveStarting?.catch(() => undefined))?.close();
  await receiver?.close();
  await backend?.close();
  app?.cleanup();
});

/** A fresh folder of the packed install for one sample run. */
function folder(name: string): string {
  const dir = join(app.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies the generic application as `file` (ES module or CommonJS). */
function writeGenericApp(dir: string, file: string): void {
  const source = file.endsWith('.mjs') ? 'app.mjs' : 'app.cjs';
  copyFileSync(join(FIXTURES, source), join(dir, file));
}

/**
 * The environment of a run: the backend, OTLP/JSON to the receiver, and a
 * resource attribute telling this run's spans apart.
 */
function runEnv(extra: Record<string, string> = {}) {
  const run = uniqueName('run');
  const set = uniqueName('readme');
  const env = childEnv({
    AEROSPIKE_HOSTS: backend.hosts,
    APP_SET: set,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_RESOURCE_ATTRIBUTES: `readme.run=${run}`,
    ...extra,
  });
  return { env, set, spans: () => spansOf(run) };
}

function spansOf(run: string): OtlpSpan[] {
  return receiver.spans.filter(s => s.resource['readme.run'] === run);
}

/** Span names in ConsoleSpanExporter output (util.inspect of each span). */
function consoleSpanNames(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}name: '([^']*)',?$/gm)].map(m => m[1]);
}

/** The operations of the generic application. */
const genericNames = (set: string) => [
  `PUT test.${set}`,
  `GET test.${set}`,
  `GET test.${set}`,
];

function explain(r: RunResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** OTLP span kinds. */
const SERVER = 2;
const CLIENT = 3;

// ---------------------------------------------------------------------------

describe('README code blocks', () => {
  it('has only blocks of a kind this test checks', () => {
    expect(blocks.length).toBeGreaterThan(5);
    expect(
      blocks
        .filter(b => !KNOWN_LANGS.includes(b.lang))
        .map(b => `${where(b)}: \`\`\`${b.lang || '(no language)'}`)
    ).toEqual([]);
    expect(unknown.map(u => `${where(u.block)}: ${u.why}`)).toEqual([]);
  });

  it('Framework integration shows Express and Fastify with a graceful shutdown', () => {
    const section = blocks.filter(b => b.section === 'Framework integration');
    const bootstrap = bootstraps.find(b => section.includes(b.block));
    expect(bootstrap, 'an otel.mjs bootstrap').toBeDefined();
    const code = bootstrap!.block.code;
    expect(code).toMatch(/new NodeSDK\(/);
    expect(code).toMatch(/new HttpInstrumentation\(\)/);
    expect(code).toMatch(/new AerospikeInstrumentation\(/);
    expect(code).toMatch(/process\.once\('SIGTERM'/);
    expect(code).toMatch(/sdk\.shutdown\(\)/);
    const apps = appSamples.filter(a => a.file === bootstrap!.app);
    for (const framework of ['express', 'fastify']) {
      const sample = apps.find(a =>
        importedPackages(a.block.code).includes(framework)
      );
      expect(sample, `a ${framework} ${bootstrap!.app}`).toBeDefined();
      expect(sample!.block.code).toMatch(/process\.env\.AEROSPIKE_HOSTS/);
      expect(sample!.block.code).toMatch(/'\/users\/:id'/);
      expect(sample!.block.code).toMatch(/SIGTERM/);
    }
  });

  describe('js', () => {
    for (const bootstrap of bootstraps) {
      const apps = appSamples.filter(a => a.file === bootstrap.app);
      for (const sample of apps) exercised.add(sample.block);
      exercised.add(bootstrap.block);
      const usesConsole = /ConsoleSpanExporter/.test(bootstrap.block.code);
      const serviceName = /serviceName: '([^']+)'/.exec(
        bootstrap.block.code
      )?.[1];

      if (apps.length === 0) {
        it.concurrent(
          `${where(bootstrap.block)}: ${bootstrap.file} runs ${bootstrap.app}, ` +
            'exports its spans, exits on SIGTERM',
          async ({ expect }) => {
            const dir = folder(`js-${bootstrap.block.line}`);
            writeFileSync(join(dir, bootstrap.file), bootstrap.block.code);
            writeGenericApp(dir, bootstrap.app);
            const run = runEnv({ APP_MODE: 'serve' });
            const child = startNode(
              [bootstrap.flag, `./${bootstrap.file}`, bootstrap.app],
              { cwd: dir, env: run.env }
            );
            await child.waitForLine(l => l.startsWith('ready'));
            child.child.kill('SIGTERM');
            const r = await child.done;
            expect(r.code, explain(r)).toBe(0);
            expect(r.stderr).toBe('');
            expect(r.stdout).toContain('ready n=1 missing=2');
            if (usesConsole) {
              expect(consoleSpanNames(r.stdout)).toEqual(genericNames(run.set));
              expect(r.stdout).toContain(`'db.system.name': 'aerospike'`);
            } else {
              const spans = run
                .spans()
                .filter(s => s.attributes['db.collection.name'] === run.set);
              expect(spans.map(s => s.name)).toEqual(genericNames(run.set));
              for (const span of spans) {
                expect(span.kind).toBe(CLIENT);
                expect(span.scope).toBe(PACKAGE_NAME);
                if (serviceName) {
                  expect(span.resource['service.name']).toBe(serviceName);
                }
              }
            }
          },
          60_000
        );
      }

      for (const sample of apps) {
        const label = /^\/\/ \S+ \(([^)]+)\)/.exec(sample.block.code)?.[1];
        it.concurrent(
          `${where(sample.block)}: ${label ?? sample.file} with ` +
            `${bootstrap.file} serves /users/:id, traced, exits on SIGTERM`,
          async ({ expect }) => {
            const dir = folder(`js-${sample.block.line}`);
            writeFileSync(join(dir, bootstrap.file), bootstrap.block.code);
            writeFileSync(join(dir, sample.file), sample.block.code);
            const run = runEnv({ PORT: '0' });
            const child = startNode(
              [bootstrap.flag, `./${bootstrap.file}`, sample.file],
              { cwd: dir, env: run.env }
            );
            const [, base] = await waitForMatch(
              child,
              /listening on (http:\/\/\S+)/
            );
            const found = await fetch(`${base}/users/${usersId}`);
            expect(found.status).toBe(200);
            expect(await found.json()).toEqual(usersBins);
            const missing = await fetch(`${base}/users/nobody-${usersId}`);
            expect(missing.status).toBe(404);
            await missing.arrayBuffer();
            child.child.kill('SIGTERM');
            const r = await child.done;
            expect(r.code, explain(r)).toBe(0);
            expect(r.signal).toBeNull();
            expect(r.stderr).toBe('');

            const spans = run.spans();
            const servers = spans.filter(
              s =>
                s.kind === SERVER &&
                s.scope === '@opentelemetry/instrumentation-http'
            );
            const gets = spans.filter(s => s.scope === PACKAGE_NAME);
            expect(gets.map(s => s.name)).toEqual([
              'GET test.users',
              'GET test.users',
            ]);
            expect(servers).toHaveLength(2);
            // The request span is the parent, or an ancestor when a
            // framework instrumentation adds its own spans in between.
            const requestOf = (span: OtlpSpan) => {
              for (let s: OtlpSpan | undefined = span; s;) {
                s = spans.find(p => p.spanId === s!.parentSpanId);
                if (s && servers.includes(s)) return s;
              }
              return undefined;
            };
            for (const get of gets) {
              expect(get.kind).toBe(CLIENT);
              const request = requestOf(get);
              expect(request, 'inside the request span').toBeDefined();
              expect(request!.traceId).toBe(get.traceId);
            }
            expect(gets.map(s => s.attributes['error.type'])).toEqual([
              undefined,
              '2',
            ]);
            if (importedPackages(sample.block.code).includes('pino')) {
              // Logged inside the Aerospike callback: each line carries
              // the trace of its request and the span that made the call.
              const logs = r.stdout
                .split('\n')
                .filter(line => line.startsWith('{'))
                .map(line => JSON.parse(line));
              expect(logs).toHaveLength(2);
              logs.forEach((log, i) => {
                expect(log).toMatchObject({
                  trace_id: gets[i].traceId,
                  span_id: gets[i].parentSpanId,
                });
              });
            }
          },
          60_000
        );
      }
    }

    for (const block of configSamples) {
      exercised.add(block);
      it.concurrent(
        `${where(block)}: the configuration sample's hooks set their attributes`,
        async ({ expect }) => {
          const dir = folder(`js-${block.line}`);
          writeFileSync(join(dir, 'sample.cjs'), block.code);
          copyFileSync(
            join(ROOT, 'test/fixtures/apps/span-lines-tracer.cjs'),
            join(dir, 'tracer.cjs')
          );
          writeGenericApp(dir, 'app.cjs');
          const run = runEnv();
          const r = await startNode(
            [
              '--require',
              './tracer.cjs',
              '--require',
              './sample.cjs',
              'app.cjs',
            ],
            { cwd: dir, env: run.env }
          ).done;
          expect(r.code, explain(r)).toBe(0);
          expect(r.stderr).toBe('');
          expect(r.stdout).toContain('app done n=1 missing=2');
          const spans = jsonSpans(r.stdout);
          expect(spans.map(s => s.name)).toEqual(genericNames(run.set));
          const attributes = [
            ...block.code.matchAll(/setAttribute\(\s*'([^']+)'/g),
          ].map(m => m[1]);
          expect(attributes.length).toBeGreaterThan(0);
          for (const attribute of attributes) {
            expect(
              spans.some(s => attribute in s.attributes),
              `${attribute} on some span`
            ).toBe(true);
          }
          // The sample's hooks, on the generic application's operations.
          const [put, get, missing] = spans;
          for (const span of spans) {
            expect(span.attributes['app.tenant']).toBe('qa');
          }
          expect(get.attributes['app.bin_count']).toBe(2);
          expect(put.attributes['app.bin_count']).toBeUndefined();
          expect(missing.attributes['app.in_doubt']).toBe(false);
          expect(missing.attributes['error.type']).toBe('2');
        },
        60_000
      );
    }
  });
});

describe('README code blocks: sh', () => {
  const backendSource = readFileSync(
    join(ROOT, 'test/helpers/backend.ts'),
    'utf8'
  );
  const known = new Set<string>([
    pkg.name,
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);

  for (const command of npmCommands) {
    exercised.add(command.block);
    it(`${where(command.block)}: ${command.text}`, () => {
      // The variables of npm lines are the ones the test backend reads.
      for (const name of Object.keys(command.env)) {
        expect(
          backendSource,
          `${name} is read by test/helpers/backend.ts`
        ).toContain(`process.env.${name}`);
      }
      const [, sub, ...args] = command.argv;
      switch (sub) {
        case 'install':
        case 'i': {
          const flags = args.filter(a => a.startsWith('-'));
          expect(flags.filter(f => !['--save', '-S'].includes(f))).toEqual([]);
          for (const spec of args.filter(a => !a.startsWith('-'))) {
            expect(
              known.has(packageOf(spec)),
              `${spec}: this package, a dependency or a peer dependency`
            ).toBe(true);
          }
          break;
        }
        case 'ci':
          expect(args).toEqual([]);
          expect(existsSync(join(ROOT, 'package-lock.json'))).toBe(true);
          break;
        case 'test':
          expect(args).toEqual([]);
          expect(pkg.scripts.test).toBeTruthy();
          break;
        case 'run': {
          const [script, separator, ...rest] = args;
          expect(pkg.scripts[script], `script ${script}`).toBeTruthy();
          if (separator === undefined) break;
          expect(separator).toBe('--');
          // Options passed to a `node <file>` script: the file reads them.
          const file = scriptFile(script);
          expect(file, `${script} runs node <file>`).toBeDefined();
          const source = readFileSync(join(ROOT, file!), 'utf8');
          for (const option of rest.filter(a => a.startsWith('-'))) {
            expect(source).toContain(`'${option.split('=')[0]}'`);
          }
          break;
        }
        default:
          throw new Error(
            `npm command this test does not know: ${command.text}`
          );
      }
    });
  }

  nodeCommands.forEach((command, index) => {
    exercised.add(command.block);
    it.concurrent(
      `${where(command.block)}: ${command.text}`,
      async ({ expect }) => {
        const args = command.argv.slice(1);
        expect(args, 'node --import|--require <register> <app>').toHaveLength(
          3
        );
        const [flag, entry, file] = args;
        expect(['--import', '--require']).toContain(flag);
        expect(entry).toBe(`${PACKAGE_NAME}/register`);
        expect(file).toMatch(/^[\w-]+\.[mc]?js$/);
        const dir = folder(`sh-${command.block.line}-${index}`);
        writeGenericApp(dir, file);
        const run = runEnv(command.env);
        const r = await startNode(args, { cwd: dir, env: run.env }).done;
        expect(r.code, explain(r)).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain('app done n=1 missing=2');
        const service = command.env.OTEL_SERVICE_NAME;
        const traces = command.env.OTEL_TRACES_EXPORTER ?? 'otlp';
        if (traces === 'console') {
          expect(consoleSpanNames(r.stdout)).toEqual(genericNames(run.set));
          if (service) {
            expect(r.stdout).toContain(`'service.name': '${service}'`);
          }
        } else {
          expect(traces).toBe('otlp');
          const spans = run.spans().filter(s => s.scope === PACKAGE_NAME);
          expect(spans.map(s => s.name)).toEqual(genericNames(run.set));
          if (service) {
            for (const span of spans) {
              expect(span.resource['service.name']).toBe(service);
            }
          }
        }
      },
      60_000
    );
  });
});

/**
 * What each README query must show, by the comment above it. The
 * quantile query is also evaluated at 0.5 and 0.95 (p50 <= p95 <= p99).
 */
const README_QUERIES: Record<string, Expectation> = {
  'Operations per second, by operation': operationsPerSecond,
  'p50 / p95 / p99 latency, by operation (0.5, 0.95, 0.99)': latencyQuantile,
  'Error rate by error.type': errorRatioByType,
  'Records returned per query, scan or batch read (p95)': rowsQuantile,
  'Connections by state': connectionsByState,
};

/** The queries of a promql block: lines below a `# comment`, up to a blank. */
function promqlQueries(block: Block): Array<{ title: string; expr: string }> {
  const queries: Array<{ title: string; expr: string }> = [];
  let title = '';
  let current: string[] = [];
  const flush = () => {
    if (current.length) queries.push({ title, expr: current.join('\n') });
    current = [];
  };
  for (const line of block.code.split('\n')) {
    if (line.trim().startsWith('#')) {
      flush();
      title = line.trim().replace(/^#\s*/, '');
    } else if (!line.trim()) flush();
    else current.push(line);
  }
  flush();
  return queries;
}

const promqlBlocks = blocks.filter(b => b.lang === 'promql');

describe('README code blocks: promql', () => {
  it('has an expectation for every query, and a query for each', () => {
    const titles = promqlBlocks.flatMap(b =>
      promqlQueries(b).map(q => q.title)
    );
    expect([...titles].sort()).toEqual(Object.keys(README_QUERIES).sort());
  });
});

describe.skipIf(promqlMissing)(
  `README code blocks: promql on a real Prometheus${promqlMissing ? ` (skipped: ${promqlMissing})` : ''}`,
  () => {
    let live: LiveMetrics;
    beforeAll(async () => {
      live = await liveStarting!;
    }, 120_000);

    for (const block of promqlBlocks) {
      exercised.add(block);
      for (const { title, expr } of promqlQueries(block)) {
        it(`${where(block)}: "${title}" shows what the workload did`, async () => {
          const expectation = README_QUERIES[title];
          expect(expectation, `an expectation for "${title}"`).toBeDefined();
          await expectation(expr, live);
        });
      }
    }
  }
);

/** The placeholder of the embedded-server sample, and what replaces it. */
const DRIVE_PLACEHOLDER =
  /^\/\/ \.\.\. drive a client at server\.hosts \.\.\.$/m;
const DRIVE_CLIENT = [
  "const { default: Aerospike } = await import('aerospike');",
  'const client = await Aerospike.connect({',
  '  hosts: server.hosts,',
  '  log: { level: -1 },',
  '});',
  "await client.put(new Aerospike.Key('test', 'readme', 'k'), { n: 1 });",
  'await client.close();',
].join('\n');

describe('README code blocks: ts', () => {
  for (const block of blocks.filter(b => b.lang === 'ts')) {
    exercised.add(block);
    it.concurrent(
      `${where(block)}: runs with Node type stripping`,
      async ({ expect }) => {
        // Relative imports are relative to the repository root.
        let code = block.code.replace(
          /(\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g,
          (_all, before: string, path: string) =>
            `${before}'${pathToFileURL(join(ROOT, path)).href}'`
        );
        const driven = DRIVE_PLACEHOLDER.test(code);
        code = code.replace(DRIVE_PLACEHOLDER, DRIVE_CLIENT);
        const dir = folder(`ts-${block.line}`);
        writeFileSync(
          join(dir, 'package.json'),
          JSON.stringify({ type: 'module' }) + '\n'
        );
        writeFileSync(join(dir, 'sample.ts'), code);
        const r = await startNode([join(dir, 'sample.ts')], {
          cwd: ROOT,
          env: childEnv({}),
        }).done;
        expect(r.code, explain(r)).toBe(0);
        expect(r.stderr).not.toMatch(/Error|Warning/);
        if (/\.counters\(\)/.test(block.code)) {
          for (const counter of ['read', 'write', 'batch', 'total']) {
            expect(r.stdout).toMatch(new RegExp(`\\b${counter}: \\d+`));
          }
          if (driven) expect(r.stdout).toMatch(/\bwrite: 1\b/);
        }
      },
      60_000
    );
  }
});

describe('README code blocks: coverage', () => {
  it('exercises every block', () => {
    expect(blocks.filter(b => !exercised.has(b)).map(where)).toEqual([]);
  });
});

/** Waits for a stdout line matching `re`; returns the match. */
async function waitForMatch(
  child: ReturnType<typeof startNode>,
  re: RegExp
): Promise<RegExpExecArray> {
  let match: RegExpExecArray | null = null;
  await child.waitForLine(line => (match ??= re.exec(line)) !== null);
  return match!;
}
