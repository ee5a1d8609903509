/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// What each kind of query of the dashboard and the README must show when
// Prometheus evaluates it against the live workload (live-metrics.ts). The
// expectations come from the workload's own spans: which operations ran,
// which failed with which error.type, how many rows each returned.
//
// Label values that other work may reshape (connection pool names,
// server.address) are never compared: only their presence is.
import { expect } from 'vitest';
import type { LiveMetrics } from './live-metrics.ts';
import type { Sample } from './prometheus-server.ts';

export type Expectation = (expr: string, live: LiveMetrics) => Promise<void>;

const OPERATION = 'db_operation_name';
const ERROR_TYPE = 'error_type';
const STATE = 'db_client_connection_state';
const POOL = 'db_client_connection_pool_name';

/** Relative tolerance of rate ratios: scrapes may cut an iteration in two. */
const RATIO_TOLERANCE = 0.25;

/** The range of the query's first `[...]` selector (`5m`, `15s`). */
function windowOf(expr: string): string {
  const m = /\[(\w+)\]/.exec(expr);
  if (!m) throw new Error(`no range in ${expr}`);
  return m[1];
}

function byLabel(samples: Sample[], label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) out.set(s.metric[label] ?? '', s.value);
  return out;
}

function expectPositive(expr: string, values: Map<string, number>) {
  for (const [name, value] of values) {
    expect(
      Number.isFinite(value) && value > 0,
      `${expr}: ${name || 'value'} = ${value}, expected > 0`
    ).toBe(true);
  }
}

function expectClose(
  what: string,
  actual: number,
  expected: number,
  tolerance = RATIO_TOLERANCE
) {
  expect(
    Math.abs(actual - expected) <= tolerance * Math.abs(expected),
    `${what}: ${actual}, expected about ${expected}`
  ).toBe(true);
}

/** `sum by (labels) (rate(metric[window]))` for the checks' own sums. */
async function rates(
  live: LiveMetrics,
  metric: string,
  window: string,
  by: string
): Promise<Map<string, number>> {
  return byLabel(
    await live.query(`sum by (${by}) (rate(${metric}[${window}]))`),
    by
  );
}

/** Operations per second, by operation: each operation, at its share. */
export const operationsPerSecond: Expectation = async (expr, live) => {
  const { facts } = live;
  const values = byLabel(await live.query(expr), OPERATION);
  expect([...values.keys()].sort(), expr).toEqual([...facts.operations].sort());
  expectPositive(expr, values);
  const [first] = facts.operations;
  for (const op of facts.operations) {
    expectClose(
      `${expr}: ${op} / ${first}`,
      values.get(op)! / values.get(first)!,
      facts.count(op) / facts.count(first)
    );
  }
};

/** Average latency by operation: every operation, a plausible duration. */
export const averageLatency: Expectation = async (expr, live) => {
  const values = byLabel(await live.query(expr), OPERATION);
  expect([...values.keys()].sort(), expr).toEqual(
    [...live.facts.operations].sort()
  );
  expectPositive(expr, values);
  for (const [op, seconds] of values) {
    expect(seconds, `${expr}: ${op}`).toBeLessThan(10);
  }
};

/** Errors per second by error.type: exactly the workload's error types. */
export const errorsPerSecond: Expectation = async (expr, live) => {
  const { facts } = live;
  const values = byLabel(await live.query(expr), ERROR_TYPE);
  const types = [...facts.errorTypes.keys()];
  expect(types.length, 'the workload fails in two ways').toBeGreaterThan(1);
  expect([...values.keys()].sort(), expr).toEqual([...types].sort());
  expectPositive(expr, values);
  const all = await rates(
    live,
    'db_client_operation_duration_count',
    windowOf(expr),
    'db_system_name'
  );
  const total = [...all.values()].reduce((a, b) => a + b, 0);
  for (const type of types) {
    expectClose(
      `${expr}: ${type} / all operations`,
      values.get(type)! / total,
      facts.errors({ errorType: type }) / facts.count()
    );
  }
};

/** Error ratio by operation: above zero for the failing operations only. */
export const errorRatioByOperation: Expectation = async (expr, live) => {
  const { facts } = live;
  const values = byLabel(await live.query(expr), OPERATION);
  const failing = [...new Set(facts.errorTypes.values())].sort();
  expect(failing.length).toBeGreaterThan(1);
  expect([...values.keys()].sort(), expr).toEqual(failing);
  for (const op of failing) {
    const ratio = values.get(op)!;
    expect(ratio > 0 && ratio < 1, `${expr}: ${op} = ${ratio}`).toBe(true);
    expectClose(
      `${expr}: ${op}`,
      ratio,
      facts.errors({ operation: op }) / facts.count(op)
    );
  }
};

/** Error ratio by error.type, over all operations. */
export const errorRatioByType: Expectation = async (expr, live) => {
  const { facts } = live;
  const values = byLabel(await live.query(expr), ERROR_TYPE);
  const types = [...facts.errorTypes.keys()].sort();
  expect([...values.keys()].sort(), expr).toEqual(types);
  for (const type of types) {
    const ratio = values.get(type)!;
    expect(ratio > 0 && ratio < 1, `${expr}: ${type} = ${ratio}`).toBe(true);
    expectClose(
      `${expr}: ${type}`,
      ratio,
      facts.errors({ errorType: type }) / facts.count()
    );
  }
};

/** Returned rows per second, by operation: rows per call times calls. */
export const rowsPerSecond: Expectation = async (expr, live) => {
  const { facts } = live;
  const values = byLabel(await live.query(expr), OPERATION);
  expect([...values.keys()].sort(), expr).toEqual(
    [...facts.rows.keys()].sort()
  );
  expectPositive(expr, values);
  const calls = await rates(
    live,
    'db_client_operation_duration_count',
    windowOf(expr),
    OPERATION
  );
  for (const [op, rows] of facts.rows) {
    expectClose(
      `${expr}: ${op} rows per call`,
      values.get(op)! / calls.get(op)!,
      rows,
      0.05
    );
  }
};

interface Bucket {
  le: number;
  cumulative: number;
}

/** The groups (labels but `le`) of a bucket query, buckets sorted. */
function bucketGroups(samples: Sample[]): Map<string, Bucket[]> {
  const groups = new Map<string, Bucket[]>();
  for (const { metric, value } of samples) {
    const { le, ...rest } = metric;
    const key = JSON.stringify(Object.entries(rest).sort());
    const list = groups.get(key) ?? [];
    // Prometheus writes the last bound `+Inf`, which Number() does not read.
    list.push({ le: le === '+Inf' ? Infinity : Number(le), cumulative: value });
    groups.set(key, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a.le - b.le);
  return groups;
}

function groupKey(metric: Record<string, string>): string {
  return JSON.stringify(Object.entries(metric).sort());
}

/**
 * The bounds a q-quantile estimate must lie in: those of the bucket where
 * the cumulative count reaches q times the total (the +Inf bucket answers
 * the highest finite bound).
 */
function quantileBounds(buckets: Bucket[], q: number): [number, number] {
  const total = buckets[buckets.length - 1].cumulative;
  const i = buckets.findIndex(b => b.cumulative >= q * total);
  const lower = i === 0 ? 0 : buckets[i - 1].le;
  const upper = Number.isFinite(buckets[i].le) ? buckets[i].le : lower;
  return [lower, upper];
}

function parseQuantile(expr: string): { q: number; inner: string } {
  const m = /^\s*histogram_quantile\(\s*([\d.]+)\s*,\s*([\s\S]*)\)\s*$/.exec(
    expr
  );
  if (!m) throw new Error(`not a histogram_quantile query: ${expr}`);
  return { q: Number(m[1]), inner: m[2] };
}

/**
 * A histogram_quantile query: one value per group (all operations, or one
 * per operation), finite, inside the bucket the cumulative counts point at,
 * and p50 <= p95 <= p99 for the same groups. For returned rows, whose every
 * call of an operation returns the same count, the estimate lies in the
 * bucket of that count.
 */
function quantileExpectation(options: {
  histogram: 'duration' | 'rows';
}): Expectation {
  return async (expr, live) => {
    const { facts } = live;
    const { q, inner } = parseQuantile(expr);
    const samples = await live.query(expr);
    const buckets = bucketGroups(await live.query(inner));
    const perOperation = samples.some(s => OPERATION in s.metric);
    const expected =
      options.histogram === 'rows' ? [...facts.rows.keys()] : facts.operations;
    if (perOperation) {
      expect(samples.map(s => s.metric[OPERATION]).sort(), expr).toEqual(
        [...expected].sort()
      );
    } else {
      expect(samples, expr).toHaveLength(1);
    }
    for (const { metric, value } of samples) {
      const where = `${expr} ${JSON.stringify(metric)}`;
      expect(Number.isFinite(value), `${where} = ${value}`).toBe(true);
      const group = buckets.get(groupKey(metric));
      expect(group, `${where}: its buckets`).toBeDefined();
      const [lower, upper] = quantileBounds(group!, q);
      expect(
        value >= lower && value <= upper,
        `${where} = ${value}, outside its bucket [${lower}, ${upper}]`
      ).toBe(true);
      const rows = facts.rows.get(metric[OPERATION]);
      if (options.histogram === 'rows' && rows !== undefined) {
        const i = group!.findIndex(b => b.le >= rows);
        const floor = i === 0 ? 0 : group![i - 1].le;
        expect(
          value >= floor && value <= group![i].le,
          `${where} = ${value}, but every call returned ${rows} rows`
        ).toBe(true);
      }
    }
    // p50 <= p95 <= p99, group by group.
    const ladder = await Promise.all(
      [0.5, 0.95, 0.99].map(async p =>
        byKey(await live.query(`histogram_quantile(${p}, ${inner})`))
      )
    );
    for (const [key, p50] of ladder[0]) {
      const p95 = ladder[1].get(key)!;
      const p99 = ladder[2].get(key)!;
      expect(
        p50 <= p95 && p95 <= p99,
        `${inner} ${key}: p50 ${p50}, p95 ${p95}, p99 ${p99}`
      ).toBe(true);
    }
  };
}

function byKey(samples: Sample[]): Map<string, number> {
  return new Map(samples.map(s => [groupKey(s.metric), s.value]));
}

export const latencyQuantile = quantileExpectation({ histogram: 'duration' });
export const rowsQuantile = quantileExpectation({ histogram: 'rows' });

/**
 * The latency heatmap: one series per bucket bound, cumulative, the +Inf
 * one equal to the rate of all operations.
 */
export const latencyHeatmap: Expectation = async (expr, live) => {
  const samples = await live.query(expr);
  const groups = bucketGroups(samples);
  expect(groups.size, expr).toBe(1);
  const [buckets] = groups.values();
  expect(buckets.length, `${expr}: bucket bounds`).toBeGreaterThan(2);
  expect(buckets[buckets.length - 1].le).toBe(Infinity);
  for (let i = 1; i < buckets.length; i++) {
    expect(
      buckets[i].cumulative >= buckets[i - 1].cumulative,
      `${expr}: le=${buckets[i].le} below le=${buckets[i - 1].le}`
    ).toBe(true);
  }
  const all = await rates(
    live,
    'db_client_operation_duration_count',
    windowOf(expr),
    'db_system_name'
  );
  expect([...all.values()]).toHaveLength(1);
  expectClose(
    `${expr}: +Inf against all operations`,
    buckets[buckets.length - 1].cumulative,
    [...all.values()][0],
    1e-9
  );
};

/** Connections by state: idle and used, some connections in all. */
export const connectionsByState: Expectation = async (expr, live) => {
  const values = byLabel(await live.query(expr), STATE);
  expect([...values.keys()].sort(), expr).toEqual(['idle', 'used']);
  for (const [state, n] of values) {
    expect(Number.isInteger(n) && n >= 0, `${expr}: ${state} = ${n}`).toBe(
      true
    );
  }
  expect(values.get('idle')! + values.get('used')!, expr).toBeGreaterThan(0);
};

/** Connections by pool and state: named pools adding up to the states. */
export const connectionsByPoolAndState: Expectation = async (expr, live) => {
  const samples = await live.query(expr);
  expect(samples.length, expr).toBeGreaterThan(0);
  const perState = new Map<string, number>();
  for (const { metric, value } of samples) {
    expect(metric[POOL], `${expr}: a pool name`).toBeTruthy();
    expect(['idle', 'used']).toContain(metric[STATE]);
    perState.set(metric[STATE], (perState.get(metric[STATE]) ?? 0) + value);
  }
  const byState = byLabel(
    await live.query(`sum by (${STATE}) (db_client_connection_count)`),
    STATE
  );
  expect(perState).toEqual(byState);
};
