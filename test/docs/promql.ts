/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// PromQL checks shared by the Grafana dashboard test and the README test:
// the metric and label names a query uses, and the names the package really
// exports, read off the /metrics text of the Prometheus exporter after a few
// operations (including a failing one, for error.type).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';

/** Labels Prometheus itself adds at scrape time. */
export const SCRAPE_LABELS = new Set(['job', 'instance']);

/** PromQL words that are not metric names. */
export const PROMQL_WORDS = new Set([
  // aggregations and their modifiers
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  // functions
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'histogram_count',
  'histogram_sum',
  'label_replace',
  'label_join',
  'clamp_min',
  'clamp_max',
  'abs',
  'ceil',
  'floor',
  'round',
  'vector',
  'scalar',
  'time',
  'absent',
  'sum_over_time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'last_over_time',
  'label_values',
  // Grafana
  'inf',
  'nan',
]);

export interface Exported {
  /** Sample names (`..._bucket`, `..._count`, gauges) to their labels. */
  metrics: Map<string, Set<string>>;
  text: string;
}

export function parseExposition(text: string): Exported {
  const metrics = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!m) continue;
    const labels = metrics.get(m[1]) ?? new Set<string>();
    for (const [, name] of (m[3] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) {
      labels.add(name);
    }
    metrics.set(m[1], labels);
  }
  return { metrics, text };
}

/**
 * Runs a few operations against `hosts` with the instrumentation (from the
 * sources) and the Prometheus exporter, and scrapes it over HTTP, as
 * Prometheus would.
 */
export async function scrapeExported(hosts: string): Promise<Exported> {
  const telemetry = setupTelemetry();
  const { Aerospike } = telemetry;
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  telemetry.instrumentation.setMeterProvider(
    new MeterProvider({ readers: [prometheus] })
  );
  const client = await Aerospike.connect(clientConfig(hosts));
  const set = uniqueName('dash');
  const key = (id: string) => new Aerospike.Key('test', set, id);
  try {
    await client.put(key('a'), { n: 1 });
    await client.put(key('b'), { n: 2 });
    await client.get(key('a'));
    await client.get(key('missing')).catch(() => undefined);
    await client.batchRead([{ key: key('a') }, { key: key('b') }]);
    await client.query('test', set).results();

    const server = createServer((req, res) =>
      prometheus.getMetricsRequestHandler(req, res)
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await new Promise(r => server.close(r));
    return parseExposition(text);
  } finally {
    await client.close();
    telemetry.instrumentation.disable();
  }
}

/** Metric names and label names a PromQL expression uses. */
export function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr
    // Grafana variables: $x, ${x}, ${x:opt}, [[x]]
    .replace(/\$\{[^}]*\}|\$\w+|\[\[\w+\]\]/g, 'X');
  // Label matchers: name op "value"
  for (const m of rest.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"/g)) {
    labels.push(m[1]);
  }
  rest = rest.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  // Grouping lists: by (...), without (...), on (...), ignoring (...)
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_all, _word, list: string) => {
      labels.push(
        ...list
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
      );
      return ' ';
    }
  );
  // label_values(metric, label)
  rest = rest.replace(
    /\blabel_values\s*\(([^,]*?),\s*(\w+)\s*\)/g,
    (_all, inner: string, label: string) => {
      labels.push(label);
      return ` ${inner} `;
    }
  );
  rest = rest.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const metrics = [...rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map(m => m[0])
    .filter(w => !PROMQL_WORDS.has(w.toLowerCase()) && w !== 'X');
  return { metrics, labels };
}

/**
 * What is wrong with a query, given what is exported: a metric that is not
 * exported, or a label that none of the query's metrics carry (Prometheus'
 * own scrape labels aside). Empty when the query is fine.
 */
export function checkQuery(expr: string, exported: Exported): string[] {
  const problems: string[] = [];
  const { metrics, labels } = namesIn(expr);
  if (metrics.length === 0) problems.push('names no metric');
  const allowed = new Set(SCRAPE_LABELS);
  for (const metric of metrics) {
    const exportedLabels = exported.metrics.get(metric);
    if (!exportedLabels) {
      problems.push(
        `${metric} is not exported; exported: ${[...exported.metrics.keys()].join(', ')}`
      );
      continue;
    }
    for (const l of exportedLabels) allowed.add(l);
  }
  for (const label of labels) {
    if (!allowed.has(label)) {
      problems.push(`label ${label} is not on ${metrics.join(', ')}`);
    }
  }
  return problems;
}
