/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

// One compact table of the metrics per operation, from the same collection
// the Prometheus exporter serves:
//
//   operation      count  p50 (est.)  p95 (est.)  p99 (est.)  rows  errors
//   GET                3     0.50 ms     0.95 ms    99.80 ms     -  2 1, 9 1

const DURATION = 'db.client.operation.duration';
const RETURNED_ROWS = 'db.client.response.returned_rows';

export interface OperationSummary {
  operation: string;
  count: number;
  /** Failed calls by error.type. */
  errors: Map<string, number>;
  /** Finite bucket bounds (seconds) and the count of each bucket (+Inf last). */
  boundaries: number[];
  counts: number[];
  /** Rows returned in all, for operations that return rows. */
  rows?: number;
}

interface HistogramPoint {
  attributes: Record<string, unknown>;
  value: {
    count: number;
    sum?: number;
    buckets: { boundaries: number[]; counts: number[] };
  };
}

function histogramPoints(
  collected: ResourceMetrics,
  name: string
): HistogramPoint[] {
  return collected.scopeMetrics.flatMap(scope =>
    scope.metrics
      .filter(m => m.descriptor.name === name)
      .flatMap(m => m.dataPoints as unknown as HistogramPoint[])
  );
}

/** Sums the duration and returned-rows points per `db.operation.name`. */
export function summarize(collected: ResourceMetrics): OperationSummary[] {
  const byOperation = new Map<string, OperationSummary>();
  for (const point of histogramPoints(collected, DURATION)) {
    const operation = String(point.attributes['db.operation.name']);
    const { boundaries, counts } = point.value.buckets;
    const summary = byOperation.get(operation) ?? {
      operation,
      count: 0,
      errors: new Map<string, number>(),
      boundaries,
      counts: counts.map(() => 0),
    };
    summary.count += point.value.count;
    counts.forEach((n, i) => (summary.counts[i] += n));
    const errorType = point.attributes['error.type'];
    if (errorType !== undefined) {
      const type = String(errorType);
      summary.errors.set(
        type,
        (summary.errors.get(type) ?? 0) + point.value.count
      );
    }
    byOperation.set(operation, summary);
  }
  for (const point of histogramPoints(collected, RETURNED_ROWS)) {
    const summary = byOperation.get(
      String(point.attributes['db.operation.name'])
    );
    if (summary) summary.rows = (summary.rows ?? 0) + (point.value.sum ?? 0);
  }
  return [...byOperation.values()];
}

/**
 * The q-quantile estimated from bucket counts as Prometheus'
 * histogram_quantile does: linear within the bucket holding the rank, the
 * first bucket starting at 0, the +Inf bucket answering the last bound.
 */
export function estimateQuantile(
  boundaries: number[],
  counts: number[],
  q: number
): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i === boundaries.length) return boundaries[boundaries.length - 1];
      const lower = i === 0 ? 0 : boundaries[i - 1];
      return lower + (boundaries[i] - lower) * ((rank - below) / counts[i]);
    }
    below += counts[i];
  }
  return boundaries[boundaries.length - 1];
}

function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return seconds >= 1
    ? `${seconds.toFixed(2)} s`
    : `${(seconds * 1000).toFixed(2)} ms`;
}

function formatBound(seconds: number): string {
  return seconds >= 1 ? `${seconds} s` : `${seconds * 1000} ms`;
}

/** The table's lines, then a line saying how the percentiles are made. */
export function metricsTable(summaries: OperationSummary[]): string[] {
  const header = [
    'operation',
    'count',
    'p50 (est.)',
    'p95 (est.)',
    'p99 (est.)',
    'rows',
    'errors',
  ];
  const rows = summaries.map(s => [
    s.operation,
    String(s.count),
    ...[0.5, 0.95, 0.99].map(q =>
      formatSeconds(estimateQuantile(s.boundaries, s.counts, q))
    ),
    s.rows === undefined ? '-' : String(s.rows),
    s.errors.size === 0
      ? '-'
      : [...s.errors].map(([type, n]) => `${type} ${n}`).join(', '),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map(r => r[i].length))
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1
          ? cell.padEnd(widths[i])
          : cell.padStart(widths[i])
      )
      .join('  ')
      .trimEnd();
  const bounds = summaries[0]?.boundaries ?? [];
  return [
    line(header),
    ...rows.map(line),
    '',
    'p50/p95/p99 are estimates from the histogram buckets (bounds ' +
      `${bounds.map(formatBound).join(', ')}),`,
    "linear within a bucket as Prometheus' histogram_quantile() does.",
  ];
}
