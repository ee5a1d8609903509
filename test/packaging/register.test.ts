/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// Zero-code loading: applications started through the register entry
// (`--require` / `--import @opentelemetry/instrumentation-aerospike/register`),
// configured only by OTEL_* variables, in child processes.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import type { Backend } from '../helpers/backend.ts';
import {
  APPS,
  childEnv,
  ensureBuild,
  installPacked,
  PACKAGE_NAME,
  ROOT,
  runNode,
  startNode,
  startOtlpReceiver,
} from './helpers.ts';

const REGISTER = `${PACKAGE_NAME}/register`;

let backend: Backend;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  await ensureBuild();
  backend = await startBackend();
  receiver = await startOtlpReceiver();
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await backend?.close();
});

/** Environment of an app; `exporter` picks console or OTLP (to receiver). */
function appEnv(
  set: string,
  exporter: 'console' | 'otlp',
  extra: Record<string, string> = {}
) {
  return childEnv({
    AEROSPIKE_HOSTS: backend.hosts,
    APP_SET: set,
    OTEL_SERVICE_NAME: 'register-test',
    OTEL_TRACES_EXPORTER: exporter,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    ...extra,
  });
}

/** Spans the receiver got for one app run (apps use their own set). */
function receivedFor(set: string) {
  return receiver.spans.filter(
    s => s.name === 'app-work' || s.attributes['db.collection.name'] === set
  );
}

/** Span names in ConsoleSpanExporter output (util.inspect of each span). */
function consoleSpanNames(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}name: '([^']*)',?$/gm)].map(m => m[1]);
}

describe('register entry, CommonJS application (--require)', () => {
  it('traces with the console exporter', async () => {
    const set = uniqueName('reg_cjs');
    const r = await runNode(['--require', REGISTER, join(APPS, 'app.cjs')], {
      cwd: ROOT,
      env: appEnv(set, 'console'),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app done n=1');
    expect(consoleSpanNames(r.stdout)).toEqual([
      `PUT test.${set}`,
      `GET test.${set}`,
    ]);
    expect(r.stdout).toContain(`'db.system.name': 'aerospike'`);
    expect(r.stdout).toContain(`'service.name': 'register-test'`);
    expect(r.stdout).toContain(`name: '${PACKAGE_NAME}'`);
  });

  it('OTEL_SDK_DISABLED=true: no spans, the app runs', async () => {
    const set = uniqueName('reg_off');
    for (const exporter of ['console', 'otlp'] as const) {
      const r = await runNode(['--require', REGISTER, join(APPS, 'app.cjs')], {
        cwd: ROOT,
        env: appEnv(set, exporter, { OTEL_SDK_DISABLED: 'true' }),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('app done n=1');
    }
    expect(receivedFor(set)).toEqual([]);
  });

  it('SIGTERM: flushes, then dies of the signal as without it', async () => {
    const set = uniqueName('reg_term');
    const app = startNode(['--require', REGISTER, join(APPS, 'serve.cjs')], {
      cwd: ROOT,
      env: appEnv(set, 'otlp'),
    });
    await app.waitForLine(line => line === 'ready');
    // Batched: nothing is exported before the shutdown.
    app.child.kill('SIGTERM');
    const r = await app.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(receivedFor(set).map(s => s.name)).toEqual([
      `PUT test.${set}`,
      `GET test.${set}`,
    ]);
  });

  it('SIGTERM with an application handler: flushes, the app decides', async () => {
    const set = uniqueName('reg_term_app');
    const app = startNode(['--require', REGISTER, join(APPS, 'serve.cjs')], {
      cwd: ROOT,
      env: appEnv(set, 'otlp', { APP_OWN_SIGTERM: '1' }),
    });
    await app.waitForLine(line => line === 'ready');
    app.child.kill('SIGTERM');
    const r = await app.done;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('app cleaned up');
    expect(r.code).toBe(7);
    expect(receivedFor(set).map(s => s.name)).toEqual([
      `PUT test.${set}`,
      `GET test.${set}`,
    ]);
  });
});

describe('register entry, ES module application (--import)', () => {
  it('exports spans and metrics over OTLP, flushed at exit', async () => {
    const set = uniqueName('reg_esm');
    const r = await runNode(
      ['--import', REGISTER, join(APPS, 'app-default.mjs')],
      {
        cwd: ROOT,
        env: appEnv(set, 'otlp', { OTEL_METRICS_EXPORTER: 'otlp' }),
      }
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('app done');
    const spans = receivedFor(set).filter(s => s.scope === PACKAGE_NAME);
    expect(spans.map(s => s.name)).toEqual([
      `PUT test.${set}`,
      `GET test.${set}`,
      `QUERY test.${set}`,
    ]);
    const parent = receiver.spans.find(
      s => s.name === 'app-work' && s.traceId === spans[0].traceId
    );
    expect(parent).toBeDefined();
    for (const span of spans) {
      expect(span.parentSpanId).toBe(parent!.spanId);
      expect(span.resource['service.name']).toBe('register-test');
      expect(span.attributes).toMatchObject({
        'db.system.name': 'aerospike',
        'db.namespace': 'test',
      });
    }
    expect(
      receiver.metrics.filter(
        m =>
          m.name === 'db.client.operation.duration' &&
          m.service === 'register-test'
      ).length
    ).toBeGreaterThan(0);
  });

  it('traces named imports with the console exporter', async () => {
    const set = uniqueName('reg_named');
    const r = await runNode(
      ['--import', REGISTER, join(APPS, 'app-named.mjs')],
      { cwd: ROOT, env: appEnv(set, 'console') }
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(consoleSpanNames(r.stdout)).toEqual([
      `PUT test.${set}`,
      `EXISTS test.${set}`,
      `REMOVE test.${set}`,
    ]);
  });

  it('OTEL_SDK_DISABLED=true: no spans', async () => {
    const set = uniqueName('reg_esm_off');
    const r = await runNode(
      ['--import', REGISTER, join(APPS, 'app-default.mjs')],
      { cwd: ROOT, env: appEnv(set, 'console', { OTEL_SDK_DISABLED: 'TRUE' }) }
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('app done');
  });
});

describe('register entry without @opentelemetry/sdk-node installed', () => {
  // A real install of the packed package whose node_modules has what the
  // application needs, the package's dependencies and the API, but no SDK.
  let app: Awaited<ReturnType<typeof installPacked>>;

  beforeAll(async () => {
    app = await installPacked([
      '@opentelemetry/api',
      '@opentelemetry/instrumentation',
      '@opentelemetry/semantic-conventions',
      'aerospike',
    ]);
    copyFileSync(join(APPS, 'app.cjs'), join(app.dir, 'app.cjs'));
    copyFileSync(join(APPS, 'app-default.mjs'), join(app.dir, 'app.mjs'));
  }, 60_000);

  afterAll(() => app?.cleanup());

  it.each([
    ['--require', 'app.cjs', 'app done n=1'],
    ['--import', 'app.mjs', 'app done'],
  ])(
    '%s: prints one line naming the package; the app runs',
    async (flag, file, done) => {
      const set = uniqueName('reg_nosdk');
      const r = await runNode([flag, REGISTER, file], {
        cwd: app.dir,
        env: appEnv(set, 'console'),
      });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(done);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${PACKAGE_NAME}/register`);
      expect(lines[0]).toContain('npm install @opentelemetry/sdk-node');
    }
  );
});

describe('register entry with @opentelemetry/auto-instrumentations-node', () => {
  // A real install of the packed package with the SDK and the
  // auto-instrumentations-node release from the registry (a devDependency),
  // linked from the project's node_modules as an application would have it.
  const AUTO = '@opentelemetry/auto-instrumentations-node';
  let app: Awaited<ReturnType<typeof installPacked>>;

  beforeAll(async () => {
    app = await installPacked([
      '@opentelemetry/api',
      '@opentelemetry/instrumentation',
      '@opentelemetry/sdk-node',
      '@opentelemetry/semantic-conventions',
      AUTO,
      'aerospike',
    ]);
    copyFileSync(join(APPS, 'app-http.mjs'), join(app.dir, 'app-http.mjs'));
  }, 60_000);

  afterAll(() => app?.cleanup());

  it('is the registry release, without an Aerospike instrumentation of its own', async () => {
    const pkg = JSON.parse(
      readFileSync(join(app.dir, 'node_modules', AUTO, 'package.json'), 'utf8')
    );
    expect(pkg.name).toBe(AUTO);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(pkg.dependencies)).toContain(
      '@opentelemetry/instrumentation-http'
    );
    // Were a release to carry one, the register entry keeps a single
    // instance (src/register.ts); the span counts below check the outcome.
    expect(Object.keys(pkg.dependencies)).not.toContain(PACKAGE_NAME);
  });

  it.each([
    // One ES module application for both flags: the entry registers the
    // loader hook the auto set needs either way.
    ['--import', 'app-http.mjs'],
    ['--require', 'app-http.mjs'],
  ])(
    '%s: traces http, fetch and aerospike, one Aerospike span per operation',
    async (flag, file) => {
      const set = uniqueName('reg_auto');
      const r = await runNode([flag, REGISTER, file], {
        cwd: app.dir,
        env: appEnv(set, 'otlp'),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('app done ok ok');
      // One PUT per request, from this package only: a second Aerospike
      // instrumentation would double them.
      const puts = receiver.spans.filter(
        s => s.attributes['db.collection.name'] === set
      );
      expect(puts.map(s => [s.name, s.scope])).toEqual([
        [`PUT test.${set}`, PACKAGE_NAME],
        [`PUT test.${set}`, PACKAGE_NAME],
      ]);
      const byId = (id?: string) => receiver.spans.find(s => s.spanId === id);
      const callers = puts.map(put => {
        const server = byId(put.parentSpanId);
        expect(server?.scope).toBe('@opentelemetry/instrumentation-http');
        expect(server?.kind).toBe(2 /* SERVER */);
        const client = byId(server?.parentSpanId);
        expect(client?.kind).toBe(3 /* CLIENT */);
        expect(client?.traceId).toBe(put.traceId);
        return client?.scope;
      });
      // http.get by the HTTP instrumentation, fetch by the undici one: both
      // come with auto-instrumentations-node, not with this package.
      expect(callers.sort()).toEqual([
        '@opentelemetry/instrumentation-http',
        '@opentelemetry/instrumentation-undici',
      ]);
    }
  );
});
