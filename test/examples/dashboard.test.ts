/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveMetrics } from './live-metrics.ts';
import type { LiveMetrics } from './live-metrics.ts';
import { prometheusMissing } from './prometheus-server.ts';
import {
  averageLatency,
  connectionsByPoolAndState,
  connectionsByState,
  errorRatioByOperation,
  errorsPerSecond,
  latencyHeatmap,
  latencyQuantile,
  operationsPerSecond,
  rowsPerSecond,
  rowsQuantile,
} from './promql-expectations.ts';
import type { Expectation } from './promql-expectations.ts';

// Every query of the Grafana dashboard is evaluated by a real Prometheus
// that scraped an instrumented application every second while it ran a
// workload (live-metrics.ts), and each panel's result is checked against
// what the workload did. Grafana's variables are replaced as Grafana would
// for one pick: $namespace and $set by the workload's namespace and set,
// $__rate_interval and $__interval by GRAFANA_WINDOW.

const dashboard = JSON.parse(
  readFileSync(
    new URL('../../examples/grafana/aerospike-dashboard.json', import.meta.url),
    'utf8'
  )
);

/**
 * What $__rate_interval stands for. Grafana makes it at least four scrape
 * intervals (4 s here); 15 s spans the whole workload.
 */
const GRAFANA_WINDOW = '15s';

/** What each panel must show, by title. */
const PANELS: Record<string, Expectation> = {
  'Operations per second by operation': operationsPerSecond,
  'Latency p50 / p95 / p99': latencyQuantile,
  'p99 latency by operation': latencyQuantile,
  'Average latency by operation': averageLatency,
  'Latency heatmap': latencyHeatmap,
  'Errors per second by error.type': errorsPerSecond,
  'Error ratio by operation': errorRatioByOperation,
  'Returned rows per second by operation': rowsPerSecond,
  'Rows per operation p50 / p95': rowsQuantile,
  'Connections by state': connectionsByState,
  'Connections by pool and state': connectionsByPoolAndState,
};

interface Target {
  panel: any;
  refId: string;
  expr: string;
  legendFormat?: string;
  format?: string;
}

function panels(list: any[] = dashboard.panels): any[] {
  return list.flatMap(p => [p, ...panels(p.panels ?? [])]);
}

const targets: Target[] = panels()
  .filter(p => p.type !== 'row')
  .flatMap(panel => (panel.targets ?? []).map((t: any) => ({ panel, ...t })));

interface Variable {
  name: string;
  metric: string;
  label: string;
}

/** The dashboard's `label_values(selector, label)` query variables. */
const variables: Variable[] = dashboard.templating.list
  .filter((v: any) => v.type === 'query')
  .map((v: any) => {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
    if (!m) throw new Error(`variable $${v.name}: ${query}`);
    return { name: v.name, metric: m[1], label: m[2] };
  });

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The query as Grafana sends it for these variable picks. */
function substitute(expr: string, picks: Record<string, string>): string {
  const out = expr
    .replace(/\$__rate_interval\b|\$\{__rate_interval\}/g, GRAFANA_WINDOW)
    .replace(/\$__interval\b|\$\{__interval\}/g, GRAFANA_WINDOW)
    .replace(/\$\{?(\w+)\}?/g, (all, name: string) =>
      name in picks ? escapeRegex(picks[name]) : all
    );
  expect(out, `a variable left in ${out}`).not.toMatch(/\$/);
  return out;
}

describe('Grafana dashboard', () => {
  it('is an importable dashboard with a Prometheus datasource variable', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(dashboard.id ?? null).toBeNull();
    const ds = dashboard.templating.list.find(
      (v: any) => v.type === 'datasource'
    );
    expect(ds).toMatchObject({ query: 'prometheus' });
    const dsRef = { type: 'prometheus', uid: `\${${ds.name}}` };
    const ids = panels().map(p => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
    for (const panel of panels().filter(p => p.type !== 'row')) {
      expect(panel.datasource).toEqual(dsRef);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets) {
        expect(t.datasource).toEqual(dsRef);
        expect(t.expr).toBeTruthy();
      }
    }
    for (const v of dashboard.templating.list.filter(
      (v: any) => v.type === 'query'
    )) {
      expect(v.datasource).toEqual(dsRef);
    }
    const required = dashboard.__requires
      .filter((r: any) => r.type === 'panel')
      .map((r: any) => r.id);
    for (const panel of panels().filter(p => p.type !== 'row')) {
      expect(required).toContain(panel.type);
    }
  });

  it('has an expectation for every panel, and a panel for each', () => {
    const titles = panels()
      .filter(p => p.type !== 'row')
      .map(p => p.title);
    expect([...titles].sort()).toEqual(Object.keys(PANELS).sort());
  });

  it('has a latency heatmap of the histogram buckets as they are', () => {
    const heatmap = panels().find(p => p.type === 'heatmap');
    expect(heatmap?.title).toBe('Latency heatmap');
    expect(heatmap.options.calculate).toBe(false);
    expect(heatmap.options.yAxis.unit).toBe('s');
    expect(heatmap.targets).toHaveLength(1);
    // Grafana turns the cumulative `le` series into per-bucket cells.
    expect(heatmap.targets[0]).toMatchObject({
      format: 'heatmap',
      legendFormat: '{{le}}',
    });
  });

  it('labels its legends with labels of the series the query returns', () => {
    for (const t of targets) {
      for (const [, label] of (t.legendFormat ?? '').matchAll(
        /\{\{\s*(\w+)\s*\}\}/g
      )) {
        expect(
          new RegExp(`\\bby \\([^)]*\\b${label}\\b`).test(t.expr),
          `${t.panel.title} ${t.refId}: {{${label}}} is not kept by the query`
        ).toBe(true);
      }
    }
  });
});

const missing = prometheusMissing();

describe.skipIf(missing)(
  `Grafana dashboard on a real Prometheus${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let live: LiveMetrics;
    let picks: Record<string, string>;
    const started = Date.now();

    beforeAll(async () => {
      live = await startLiveMetrics();
      picks = { namespace: live.facts.namespace, set: live.facts.set };
    }, 120_000);

    afterAll(async () => {
      await live?.close();
      console.log(
        `dashboard on Prometheus: ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(workload ${live?.workloadSeconds.toFixed(1)} s)`
      );
    });

    for (const t of targets) {
      it(`panel "${t.panel.title}" ${t.refId} shows what the workload did`, async () => {
        const expectation = PANELS[t.panel.title];
        expect(
          expectation,
          `an expectation for ${t.panel.title}`
        ).toBeDefined();
        await expectation(substitute(t.expr, picks), live);
      });
    }

    it('every query filtered on another set shows nothing', async () => {
      const other = { ...picks, set: `${live.facts.set}_other` };
      for (const t of targets) {
        const expr = substitute(t.expr, other);
        const filtered = /db_collection_name=~/.test(t.expr);
        const samples = await live.query(expr);
        if (filtered) {
          expect(samples, expr).toEqual([]);
        } else {
          // Connection counts are per client, not per set.
          expect(t.expr).toMatch(/db_client_connection_count/);
        }
      }
    });

    for (const v of variables) {
      it(`variable $${v.name} lists the workload's ${v.label}`, async () => {
        const match = substitute(v.metric, picks);
        const values = await live.prometheus.labelValues(v.label, match);
        if (v.label === 'db_collection_name') {
          expect(values).toEqual([live.facts.set]);
        } else {
          expect(v.label).toBe('db_namespace');
          expect(values).toContain(live.facts.namespace);
        }
      });
    }
  }
);
