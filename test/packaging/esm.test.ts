/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// ES module applications that import the CommonJS `aerospike`, set up by
// hand (test/fixtures/apps/otel-setup.mjs: the loader hook, a provider, the
// instrumentation from the ESM build), in child processes.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import type { Backend } from '../helpers/backend.ts';
import {
  APPS,
  childEnv,
  ensureBuild,
  jsonSpans,
  PACKAGE_NAME,
  ROOT,
  runNode,
} from './helpers.ts';

let backend: Backend;

beforeAll(async () => {
  await ensureBuild();
  backend = await startBackend();
}, 120_000);

afterAll(async () => {
  await backend?.close();
});

function runApp(app: string, extraEnv: Record<string, string> = {}) {
  const set = uniqueName('esm');
  return runNode(['--import', join(APPS, 'otel-setup.mjs'), join(APPS, app)], {
    cwd: ROOT,
    env: childEnv({
      AEROSPIKE_HOSTS: backend.hosts,
      APP_SET: set,
      ...extraEnv,
    }),
  }).then(result => ({ ...result, set, spans: jsonSpans(result.stdout) }));
}

describe('ESM application', () => {
  it('`import Aerospike from "aerospike"` is traced, under the app span', async () => {
    const r = await runApp('app-default.mjs');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app done');
    const ours = r.spans.filter(s => s.scope === PACKAGE_NAME);
    expect(ours.map(s => s.name)).toEqual([
      `PUT test.${r.set}`,
      `GET test.${r.set}`,
      `QUERY test.${r.set}`,
    ]);
    const parent = r.spans.find(s => s.name === 'app-work');
    expect(parent).toBeDefined();
    for (const span of ours) {
      expect(span.kind).toBe(2); // CLIENT
      expect(span.traceId).toBe(parent!.traceId);
      expect(span.parentSpanId).toBe(parent!.spanId);
      expect(span.attributes).toMatchObject({
        'db.system.name': 'aerospike',
        'db.namespace': 'test',
        'db.collection.name': r.set,
      });
    }
  });

  it('`import { Client, Key } from "aerospike"` is traced', async () => {
    const r = await runApp('app-named.mjs');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app done');
    expect(
      r.spans.filter(s => s.scope === PACKAGE_NAME).map(s => s.name)
    ).toEqual([
      `PUT test.${r.set}`,
      `EXISTS test.${r.set}`,
      `REMOVE test.${r.set}`,
    ]);
  });

  it('needs no loader hook, and a loader hook changes nothing', async () => {
    // Node 24 loads an imported CommonJS package without
    // Module.prototype.require, so require-in-the-middle sees its main module
    // only half-loaded (through a circular require); it does see the files
    // the package requires internally, which is where the instrumentation
    // patches (lib/client.js and friends). The
    // runs above had no loader hook; with the import-in-the-middle one (as
    // other instrumentations need) every operation is still traced once.
    const r = await runApp('app-default.mjs', { FIXTURE_LOADER_HOOK: '1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.spans.filter(s => s.scope === PACKAGE_NAME).map(s => s.name)
    ).toEqual([
      `PUT test.${r.set}`,
      `GET test.${r.set}`,
      `QUERY test.${r.set}`,
    ]);
  });
});
