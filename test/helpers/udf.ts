/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from './backend.ts';

const FIXTURE = fileURLToPath(
  new URL('../fixtures/udf/udf_test.lua', import.meta.url)
);

/**
 * The test UDF module (test/fixtures/udf/udf_test.lua) copied into a fresh
 * folder under a unique module name: suites sharing a real server must not
 * remove each other's module. `dir` also serves as the client's
 * `modlua.userPath` for query aggregation.
 */
export function testUdfModule(prefix: string): {
  dir: string;
  module: string;
  file: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'otel-aerospike-udf-'));
  const module = uniqueName(prefix).replace(/\W/g, '_');
  const file = join(dir, `${module}.lua`);
  copyFileSync(FIXTURE, file);
  return { dir, module, file };
}
