/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/version.ts';
import { ROOT } from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('src/version.ts', () => {
  it('matches package.json', () => {
    expect(PACKAGE_NAME).toBe(pkg.name);
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });

  it('is what `npm run version:update` generates', () => {
    // --check compares without writing; it exits 1 when the file is stale.
    expect(() =>
      execFileSync(
        process.execPath,
        [join(ROOT, '.ci/version-update.mjs'), '--check'],
        { stdio: 'pipe' }
      )
    ).not.toThrow();
  });
});
