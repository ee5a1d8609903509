/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  firstHostPort,
  parseMochaSummary,
  parseTestSummary,
  tally,
} from '../../contrib/lib/check.ts';

// How contrib:check reads test runs and sums its final `N passed, M failed`
// line (the checks themselves need a contrib checkout: docs/contrib-pr.md).

describe('contrib:check summary', () => {
  it('reads the per-file runner summary, and nothing from other output', () => {
    expect(
      parseTestSummary(
        '  3 passing (5ms)\n\nrun-each-file: 11 files, 134 passing, 2 pending, 1 failing\n'
      )
    ).toEqual({ files: 11, passing: 134, pending: 2, failing: 1 });
    expect(parseTestSummary('  3 passing (5ms)\n')).toBeUndefined();
  });

  it("reads mocha's own summary", () => {
    expect(parseMochaSummary('  12 passing (2s)\n  1 pending\n')).toEqual({
      passing: 12,
      pending: 1,
      failing: 0,
    });
  });

  it('counts each check once and each test once', () => {
    expect(
      tally([
        { passed: true },
        { passed: false },
        { passed: false, counts: { passing: 130, pending: 0, failing: 4 } },
      ])
    ).toEqual({ passed: 131, failed: 5 });
  });

  it('counts a run that passed nothing, or failed without a failing test, as a failure', () => {
    expect(
      tally([
        { passed: false, counts: { passing: 0, pending: 134, failing: 0 } },
      ])
    ).toEqual({ passed: 0, failed: 1 });
    expect(
      tally([
        { passed: false, counts: { passing: 120, pending: 0, failing: 0 } },
      ])
    ).toEqual({ passed: 120, failed: 1 });
  });

  it('takes the first host of AEROSPIKE_HOSTS for the test service variables', () => {
    expect(firstHostPort('127.0.0.1:3800')).toEqual({
      host: '127.0.0.1',
      port: '3800',
    });
    expect(firstHostPort('db1:3000,db2:3000')).toEqual({
      host: 'db1',
      port: '3000',
    });
    expect(firstHostPort('db:tls-name:4333')).toEqual({
      host: 'db',
      port: '4333',
    });
    expect(firstHostPort('[::1]:3100')).toEqual({ host: '::1', port: '3100' });
    expect(firstHostPort('db')).toEqual({ host: 'db', port: '3000' });
  });
});
