/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const APPS = join(ROOT, 'test/fixtures/apps');
export const PACKAGE_NAME = '@opentelemetry/instrumentation-aerospike';

const STAMP = join(ROOT, 'build/.build-stamp');
const LOCK = join(ROOT, '.vitest-build.lock');

/** What the build depends on; a change means the build is stale. */
function buildInputsHash(): string {
  const hash = createHash('sha256');
  const files = [
    'package.json',
    'tsconfig.build.json',
    'tsconfig.build.esm.json',
    '.ci/build.mjs',
    ...readdirSync(join(ROOT, 'src'))
      .filter(f => f.endsWith('.ts'))
      .sort()
      .map(f => `src/${f}`),
  ];
  for (const file of files) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(ROOT, file)));
  }
  return hash.digest('hex');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the cross-process build lock, waiting for another holder. */
async function withBuildLock(fn: () => void): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(
        existsSync(join(LOCK, 'pid'))
          ? readFileSync(join(LOCK, 'pid'), 'utf8')
          : NaN
      );
      if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
        rmSync(LOCK, { recursive: true, force: true }); // left by a crash
      } else {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Runs `npm run compile` (once for all test files, and only when the
 * sources changed since the last build).
 */
export async function ensureBuild(): Promise<void> {
  const wanted = buildInputsHash();
  const current = () =>
    existsSync(STAMP) ? readFileSync(STAMP, 'utf8') : undefined;
  if (current() === wanted) return;
  await withBuildLock(() => {
    if (current() === wanted) return;
    execFileSync(process.execPath, [join(ROOT, '.ci/build.mjs')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    writeFileSync(STAMP, wanted);
  });
}

/**
 * The tarball of the current build, packed once for all test files (kept in
 * build/.pack, which the package's `files` leave out).
 */
export async function packedTarball(): Promise<string> {
  await ensureBuild();
  const dir = join(ROOT, 'build/.pack');
  const stamp = join(dir, 'stamp');
  const wanted = readFileSync(STAMP, 'utf8');
  const find = () =>
    existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted
      ? readdirSync(dir).find(f => f.endsWith('.tgz'))
      : undefined;
  let tarball = find();
  if (!tarball) {
    await withBuildLock(() => {
      tarball = find();
      if (tarball) return;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      tarball = basename(npmPack(dir));
      writeFileSync(stamp, wanted);
    });
  }
  return join(dir, tarball!);
}

/** The environment of a child: no inherited OTEL_*, NODE_OPTIONS or NODE_PATH. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(OTEL_|NODE_OPTIONS$|NODE_PATH$|VITEST|npm_)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Resolves when a stdout line satisfies `match`. */
  waitForLine(match: (line: string) => boolean): Promise<void>;
  done: Promise<RunResult>;
}

/** Starts `node ...args` (the running Node) in `cwd`. */
export function startNode(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv }
): Running {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ match: (l: string) => boolean; resolve(): void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    for (const waiter of [...waiters]) {
      if (lines.some(waiter.match)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr })
    );
  });
  return {
    child,
    done,
    waitForLine: match =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split('\n').some(match)) return resolve();
        waiters.push({ match, resolve });
        void done.then(result =>
          reject(
            new Error(
              `child exited (${result.code ?? result.signal}) before the ` +
                `expected line\n${result.stdout}\n${result.stderr}`
            )
          )
        );
      }),
  };
}

export function runNode(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv }
): Promise<RunResult> {
  return startNode(args, options).done;
}

/** `npm pack` of the project into `destination`; returns the tarball. */
export function npmPack(destination: string): string {
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const [entry] = JSON.parse(out) as Array<{ filename: string }>;
  return join(destination, entry.filename);
}

/**
 * A temporary application folder whose node_modules holds the packed
 * package (extracted, not linked: it resolves its own dependencies from
 * there) and links to the given packages of the project's node_modules.
 * Nothing else is reachable: NODE_PATH is not set for children.
 */
export async function installPacked(linked: string[]): Promise<{
  dir: string;
  cleanup(): void;
}> {
  const tarball = await packedTarball();
  const dir = mkdtempSync(join(tmpdir(), 'otel-aerospike-pack-'));
  const target = join(dir, 'node_modules', PACKAGE_NAME);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const name of linked) {
    const link = join(dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'packed-app', private: true }) + '\n'
  );
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Files under `dir`, relative, with `/` separators. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

function otlpValue(value: any): unknown {
  if (value == null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) {
    return (value.arrayValue.values ?? []).map(otlpValue);
  }
  return value;
}

function otlpAttributes(list: any[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = otlpValue(value);
  return out;
}

/** An OTLP/HTTP JSON receiver on 127.0.0.1 collecting spans. */
export async function startOtlpReceiver(): Promise<{
  endpoint: string;
  spans: OtlpSpan[];
  /** Names of the metrics received, with their service.name. */
  metrics: Array<{ name: string; service: unknown }>;
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const metrics: Array<{ name: string; service: unknown }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/metrics') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rm of body.resourceMetrics ?? []) {
          const service = otlpAttributes(rm.resource?.attributes)[
            'service.name'
          ];
          for (const sm of rm.scopeMetrics ?? []) {
            for (const m of sm.metrics ?? []) {
              metrics.push({ name: m.name, service });
            }
          }
        }
      }
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const resource = otlpAttributes(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                name: s.name,
                kind: s.kind,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                scope: ss.scope?.name,
                attributes: otlpAttributes(s.attributes),
                resource,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/** Spans written by test/fixtures/apps/otel-setup.mjs (`SPAN {...}` lines). */
export function jsonSpans(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter(line => line.startsWith('SPAN '))
    .map(line => JSON.parse(line.slice('SPAN '.length)));
}
