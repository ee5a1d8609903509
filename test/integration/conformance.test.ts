/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Attributes } from '@opentelemetry/api';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import { setupTelemetry, useClient } from '../helpers/otel.ts';

// The README's conformance table against what the package emits: a workload
// that exercises every row, then the attributes seen on spans and on each
// metric's points must be exactly those the table lists for them.

const README = readFileSync(
  fileURLToPath(new URL('../../README.md', import.meta.url)),
  'utf8'
);

/** The Markdown tables of the `### Conformance` section, as rows of cells. */
function conformanceTables(): string[][][] {
  const start = README.indexOf('\n### Conformance\n');
  const end = README.indexOf('\n### ', start + 1);
  expect(start).toBeGreaterThan(0);
  const tables: string[][][] = [];
  let table: string[][] | undefined;
  for (const line of README.slice(start, end).split('\n')) {
    if (!line.startsWith('|')) {
      table = undefined;
      continue;
    }
    if (table === undefined) tables.push((table = []));
    table.push(
      line
        .slice(1, -1)
        .split('|')
        .map(cell => cell.trim())
    );
  }
  // Without the header and separator rows.
  return tables.map(t => t.slice(2));
}

const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1];

const SIGNALS = {
  span: 'span',
  duration: 'db.client.operation.duration',
  rows: 'db.client.response.returned_rows',
  connections: 'db.client.connection.count',
} as const;
type Signal = keyof typeof SIGNALS;

/** Attribute names the README lists for each signal. */
function documented(): Record<Signal, Set<string>> {
  const [attributes] = conformanceTables();
  const listed = Object.fromEntries(
    Object.keys(SIGNALS).map(s => [s, new Set<string>()])
  ) as Record<Signal, Set<string>>;
  for (const [name, , , emittedOn] of attributes) {
    const attribute = code(name);
    expect(attribute, `a backquoted attribute name: ${name}`).toBeDefined();
    for (const signal of emittedOn.split(',').map(s => s.trim())) {
      expect(Object.keys(SIGNALS), `signal of ${attribute}`).toContain(signal);
      listed[signal as Signal].add(attribute!);
    }
  }
  return listed;
}

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('conformance');
const db = useClient(telemetry, async client => {
  for (let i = 0; i < 3; i++) await client.put(key(`r${i}`), { i });
});

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

function drain(stream: any): Promise<void> {
  return new Promise(resolve => {
    stream.on('data', () => {});
    stream.on('error', () => resolve());
    stream.on('end', () => resolve());
  });
}

/** Runs operations that, together, set every attribute of the table. */
async function workload() {
  telemetry.instrumentation.setConfig({
    captureKey: true,
    captureReturnedRows: true,
    traceInfo: true,
  });
  const { client } = db;
  await client.get(key('r0')); // generation, ttl, key
  await client.get(key('missing')).catch(() => {}); // status code, peer
  await client.batchGet([key('r0'), key('r1')]); // batch size, rows
  await client
    .apply(key('r0'), { module: 'no_such_module', funcname: 'f' })
    .catch(() => {}); // stored procedure
  await drain(client.scan('test', set).foreach()); // rows
  // A stream that fails: rows delivered so far, with the error.
  await drain(client.query('no_such_namespace', set).foreach());
  if (isIP(db.seedHost) !== 0) {
    await client.info('build', { addr: db.seedHost, port: db.seedPort });
  }
}

function names(attributes: Attributes[]): Set<string> {
  return new Set(attributes.flatMap(a => Object.keys(a)));
}

describe('the README conformance table', () => {
  it('lists exactly the attributes the spans and metric points carry', async () => {
    await workload();
    const observed: Record<Signal, Set<string>> = {
      span: names(telemetry.aerospikeSpans().map(s => s.attributes)),
      duration: new Set(),
      rows: new Set(),
      connections: new Set(),
    };
    for (const signal of ['duration', 'rows', 'connections'] as const) {
      const metric = await telemetry.metric(SIGNALS[signal]);
      expect(metric, SIGNALS[signal]).toBeDefined();
      observed[signal] = names(metric!.dataPoints.map(p => p.attributes));
    }
    const listed = documented();
    for (const signal of Object.keys(SIGNALS) as Signal[]) {
      const seen = [...observed[signal]].sort();
      const table = [...listed[signal]].sort();
      // Every attribute emitted is in the table.
      expect(
        seen.filter(a => !listed[signal].has(a)),
        `${signal}: emitted, not in the README`
      ).toEqual([]);
      // The workload reaches every row (a real server named by a host name
      // has no info peer to show).
      if (onEmbedded) expect(seen, signal).toEqual(table);
    }
  });

  it('lists exactly the metrics the package creates', async () => {
    const [, metrics] = conformanceTables();
    const listed = metrics.map(([name]) => code(name));
    expect(listed.sort()).toEqual(
      [SIGNALS.duration, SIGNALS.rows, SIGNALS.connections].sort()
    );
    for (const name of listed) {
      expect(await telemetry.metric(name!), name).toBeDefined();
    }
  });
});
