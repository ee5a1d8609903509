/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backend.ts';
import {
  namesIn,
  SCRAPE_LABELS,
  scrapeExported,
  type Exported,
} from '../docs/promql.ts';

// Every query of the Grafana dashboard must name metrics and labels that the
// package really exports. They are not written down here: the test runs a
// few operations (including a failing one, for error.type) with the
// Prometheus exporter and reads the names off its /metrics text
// (test/docs/promql.ts, shared with the README test).

const dashboard = JSON.parse(
  readFileSync(
    new URL('../../examples/grafana/aerospike-dashboard.json', import.meta.url),
    'utf8'
  )
);

let exported: Exported;

beforeAll(async () => {
  const backend = await startBackend();
  try {
    exported = await scrapeExported(backend.hosts);
  } finally {
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
