/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childEnv,
  ensureBuild,
  installPacked,
  listFiles,
  PACKAGE_NAME,
  ROOT,
  runNode,
} from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const SOURCES = ['index', 'instrumentation', 'register', 'version'];

beforeAll(ensureBuild, 120_000);

describe('npm pack --dry-run', () => {
  let files: string[];

  beforeAll(() => {
    const out = execFileSync(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
    );
    files = (JSON.parse(out)[0].files as Array<{ path: string }>)
      .map(f => f.path)
      .sort();
  });

  it('holds only the build, README, LICENSE and package.json', () => {
    const allowed =
      /^(package\.json|README\.md|LICENSE|build\/(cjs|esm)\/([\w-]+\.(js|d\.ts)|package\.json))$/;
    expect(files.filter(f => !allowed.test(f))).toEqual([]);
    for (const f of ['package.json', 'README.md', 'LICENSE']) {
      expect(files).toContain(f);
    }
  });

  it('holds both module systems with declarations', () => {
    for (const base of SOURCES) {
      expect(files).toContain(`build/cjs/${base}.js`);
      expect(files).toContain(`build/cjs/${base}.d.ts`);
      if (base !== 'register') {
        expect(files).toContain(`build/esm/${base}.js`);
        expect(files).toContain(`build/esm/${base}.d.ts`);
      }
    }
    expect(files).toContain('build/cjs/package.json');
    expect(files).toContain('build/esm/package.json');
  });

  it('points every export, main, module and types at a packed file', () => {
    const targets = new Set<string>([pkg.main, pkg.module, pkg.types]);
    const collect = (value: unknown) => {
      if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
      else if (value && typeof value === 'object') {
        Object.values(value).forEach(collect);
      }
    };
    collect(pkg.exports);
    for (const target of targets) expect(files).toContain(target);
  });
});

describe('the packed package, installed', () => {
  let app: Awaited<ReturnType<typeof installPacked>>;

  beforeAll(async () => {
    // Only what a consumer's npm would install besides the package itself.
    app = await installPacked([
      '@opentelemetry/api',
      '@opentelemetry/instrumentation',
      '@opentelemetry/semantic-conventions',
    ]);
  }, 60_000);

  afterAll(() => app?.cleanup());

  it('extracts only the packed files', () => {
    const installed = listFiles(join(app.dir, 'node_modules', PACKAGE_NAME));
    expect(
      installed.filter(
        f => !/^(build\/|package\.json$|README\.md$|LICENSE$)/.test(f)
      )
    ).toEqual([]);
  });

  it('loads with require (CommonJS build)', async () => {
    const script = `
      const m = require('${PACKAGE_NAME}');
      const i = new m.AerospikeInstrumentation({ enabled: false });
      console.log(JSON.stringify({
        type: typeof m.AerospikeInstrumentation,
        file: require.resolve('${PACKAGE_NAME}'),
        name: i.instrumentationName,
        version: i.instrumentationVersion,
        register: require.resolve('${PACKAGE_NAME}/register'),
      }));`;
    const r = await runNode(['-e', script], {
      cwd: app.dir,
      env: childEnv({}),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      type: 'function',
      name: PACKAGE_NAME,
      version: pkg.version,
    });
    expect(out.file).toMatch(
      /node_modules\/@opentelemetry\/instrumentation-aerospike\/build\/cjs\/index\.js$/
    );
    expect(out.register).toMatch(/\/build\/cjs\/register\.js$/);
  });

  it('loads with import (ES module build)', async () => {
    const script = `
      import { AerospikeInstrumentation } from '${PACKAGE_NAME}';
      import * as ns from '${PACKAGE_NAME}';
      const i = new AerospikeInstrumentation({ enabled: false });
      console.log(JSON.stringify({
        type: typeof AerospikeInstrumentation,
        file: import.meta.resolve('${PACKAGE_NAME}'),
        keys: Object.keys(ns),
        name: i.instrumentationName,
        version: i.instrumentationVersion,
        register: import.meta.resolve('${PACKAGE_NAME}/register'),
      }));`;
    const r = await runNode(['--input-type=module', '-e', script], {
      cwd: app.dir,
      env: childEnv({}),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      type: 'function',
      keys: ['AerospikeInstrumentation'],
      name: PACKAGE_NAME,
      version: pkg.version,
    });
    expect(out.file).toMatch(/\/build\/esm\/index\.js$/);
    expect(out.register).toMatch(/\/build\/cjs\/register\.js$/);
  });

  it('has declarations a TypeScript consumer resolves in both modes', () => {
    // node16 resolution picks the `import` or `require` types by file kind.
    const consumer = (kind: string) =>
      [
        `import { AerospikeInstrumentation } from '${PACKAGE_NAME}';`,
        `import type { AerospikeInstrumentationConfig } from '${PACKAGE_NAME}';`,
        `const config: AerospikeInstrumentationConfig = { captureKey: true };`,
        `export const ${kind} = new AerospikeInstrumentation(config);`,
        '',
      ].join('\n');
    writeFileSync(join(app.dir, 'consumer.mts'), consumer('esm'));
    writeFileSync(join(app.dir, 'consumer.cts'), consumer('cjs'));
    writeFileSync(
      join(app.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: [],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['consumer.mts', 'consumer.cts'],
      })
    );
    const out = execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        app.dir,
        '--traceResolution',
      ],
      { cwd: app.dir, encoding: 'utf8' }
    );
    expect(out).toMatch(/instrumentation-aerospike\/build\/esm\/index\.d\.ts/);
    expect(out).toMatch(/instrumentation-aerospike\/build\/cjs\/index\.d\.ts/);
  });
});
