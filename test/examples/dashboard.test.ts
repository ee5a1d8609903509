/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { startBackend, uniqueName } from '../helpers/backend.ts';
import { clientConfig, setupTelemetry } from '../helpers/otel.ts';

// Every query of the Grafana dashboard must name metrics and labels that the
// package really exports. They are not written down here: the test runs a
// few operations (including a failing one, for error.type) with the
// Prometheus exporter and reads the names off its /metrics text.

const dashboard = JSON.parse(
  readFileSync(
    new URL('../../examples/grafana/aerospike-dashboard.json', import.meta.url),
    'utf8'
  )
);

/** Labels Prometheus itself adds at scrape time. */
const SCRAPE_LABELS = new Set(['job', 'instance']);

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
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

interface Exported {
  /** Sample names (`..._bucket`, `..._count`, gauges) to their labels. */
  metrics: Map<string, Set<string>>;
  text: string;
}

let exported: Exported;

function parseExposition(text: string): Exported {
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

beforeAll(async () => {
  const telemetry = setupTelemetry();
  const { Aerospike } = telemetry;
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  telemetry.instrumentation.setMeterProvider(
    new MeterProvider({ readers: [prometheus] })
  );
  const backend = await startBackend();
  const client = await Aerospike.connect(clientConfig(backend.hosts));
  const set = uniqueName('dash');
  const key = (id: string) => new Aerospike.Key('test', set, id);
  try {
    await client.put(key('a'), { n: 1 });
    await client.put(key('b'), { n: 2 });
    await client.get(key('a'));
    await client.get(key('missing')).catch(() => undefined);
    await client.batchRead([{ key: key('a') }, { key: key('b') }]);
    await client.query('test', set).results();

    // Scraped over HTTP, as Prometheus would.
    const server = createServer((req, res) =>
      prometheus.getMetricsRequestHandler(req, res)
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await new Promise(r => server.close(r));
    exported = parseExposition(text);
  } finally {
    await client.close();
    await backend.close();
  }
});

afterAll(() => {});

interface Query {
  where: string;
  expr: string;
}

function allQueries(): Query[] {
  const out: Query[] = [];
  const visitPanels = (panels: any[]) => {
    for (const panel of panels ?? []) {
      for (const t of panel.targets ?? []) {
        out.push({ where: `panel "${panel.title}" ${t.refId}`, expr: t.expr });
      }
      visitPanels(panel.panels);
    }
  };
  visitPanels(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    out.push({ where: `variable $${v.name}`, expr: q });
  }
  return out;
}

/** Metric names and label names a PromQL expression uses. */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
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

describe('Grafana dashboard', () => {
  it('exports what the dashboard is built on', () => {
    // Sanity of the derivation itself.
    const names = [...exported.metrics.keys()];
    expect(names.some(n => n.startsWith('db_client_operation_duration'))).toBe(
      true
    );
    expect(names.some(n => n.startsWith('db_client_connection_count'))).toBe(
      true
    );
  });

  it('is an importable dashboard with a Prometheus datasource variable', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(dashboard.id ?? null).toBeNull();
    const ds = dashboard.templating.list.find(
      (v: any) => v.type === 'datasource'
    );
    expect(ds).toMatchObject({ query: 'prometheus' });
    const dsRef = `\${${ds.name}}`;
    const ids = new Set<number>();
    const visit = (panels: any[]) => {
      for (const panel of panels ?? []) {
        expect(ids.has(panel.id), `duplicate panel id ${panel.id}`).toBe(false);
        ids.add(panel.id);
        if (panel.type !== 'row') {
          expect(panel.datasource).toEqual({ type: 'prometheus', uid: dsRef });
          expect(panel.targets?.length).toBeGreaterThan(0);
          for (const t of panel.targets) {
            expect(t.datasource).toEqual({ type: 'prometheus', uid: dsRef });
            expect(t.expr).toBeTruthy();
          }
        }
        visit(panel.panels);
      }
    };
    visit(dashboard.panels);
    for (const v of dashboard.templating.list) {
      if (v.type === 'query') {
        expect(v.datasource).toEqual({ type: 'prometheus', uid: dsRef });
      }
    }
  });

  it('has the panels the issue asks for', () => {
    const exprs = allQueries().map(q => q.expr);
    const titles: string[] = dashboard.panels.map((p: any) => p.title);
    const has = (re: RegExp) => exprs.some(e => re.test(e));
    // operations per second by operation
    expect(has(/sum by \(db_operation_name\) \(rate\(\w+_count\{/)).toBe(true);
    // latency percentiles
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(has(new RegExp(`histogram_quantile\\(${q}, .*_bucket`))).toBe(
        true
      );
    }
    // error rate by error.type
    expect(has(/sum by \(error_type\)/)).toBe(true);
    // returned rows
    expect(has(/returned_rows/)).toBe(true);
    // connections by state
    expect(has(/by \(db_client_connection_state\)/)).toBe(true);
    expect(titles.join('\n')).toMatch(/Operations per second/);
    expect(titles.join('\n')).toMatch(/p50 \/ p95 \/ p99/);
    expect(titles.join('\n')).toMatch(/error\.type/);
    expect(titles.join('\n')).toMatch(/Returned rows/);
    expect(titles.join('\n')).toMatch(/Connections by state/);
  });

  it('names only metrics and labels that the package exports', () => {
    const queries = allQueries();
    expect(queries.length).toBeGreaterThan(5);
    for (const { where, expr } of queries) {
      const { metrics, labels } = namesIn(expr);
      expect(metrics.length, `${where}: names no metric`).toBeGreaterThan(0);
      const allowed = new Set(SCRAPE_LABELS);
      for (const metric of metrics) {
        const exportedLabels = exported.metrics.get(metric);
        expect(
          exportedLabels,
          `${where}: ${metric} is not exported; exported: ${[...exported.metrics.keys()].join(', ')}`
        ).toBeDefined();
        for (const l of exportedLabels!) allowed.add(l);
      }
      for (const label of labels) {
        expect(
          allowed.has(label),
          `${where}: label ${label} is not on ${metrics.join(', ')}`
        ).toBe(true);
      }
    }
  });

  it('uses only exported labels in legends', () => {
    const visit = (panels: any[]) => {
      for (const panel of panels ?? []) {
        for (const t of panel.targets ?? []) {
          const { metrics } = namesIn(t.expr);
          const allowed = new Set<string>();
          for (const m of metrics) {
            for (const l of exported.metrics.get(m) ?? []) allowed.add(l);
          }
          for (const [, label] of (t.legendFormat ?? '').matchAll(
            /\{\{\s*(\w+)\s*\}\}/g
          )) {
            expect(allowed.has(label), `${panel.title}: {{${label}}}`).toBe(
              true
            );
          }
        }
        visit(panel.panels);
      }
    };
    visit(dashboard.panels);
  });
});
