/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

// Prints the spans of one trace as an indented waterfall:
//
//   GET /users/:id                    2.91 ms  |██████████████████████████|  url.path=/users/alice ...
//   └─ GET test.users                 1.02 ms  |    ████████              |  server.address=127.0.0.1 ...

/** Attributes worth a glance, in this order; the rest is left out. */
const KEY_ATTRIBUTES = [
  'url.path',
  'http.response.status_code',
  'db.system.name',
  'db.operation.batch.size',
  'db.stored_procedure.name',
  'db.response.returned_rows',
  'db.aerospike.generation',
  'error.type',
  'db.response.status_code',
];

const NAME_WIDTH = 36;
const BAR_WIDTH = 28;

const SPAN_KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function ms(t: HrTime): number {
  return t[0] * 1e3 + t[1] / 1e6;
}

function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Key attributes as `k=v` pairs; server address and port as one. */
export function describeAttributes(span: ReadableSpan): string {
  const a = span.attributes;
  const parts: string[] = [];
  for (const name of KEY_ATTRIBUTES) {
    if (a[name] !== undefined) parts.push(`${name}=${String(a[name])}`);
  }
  if (a['db.system.name'] !== undefined && a['server.address'] !== undefined) {
    parts.push(
      `server=${String(a['server.address'])}:${String(a['server.port'])}`
    );
  }
  return parts.join(' ');
}

/** The lines of the waterfall of one trace's spans (any order). */
export function waterfall(spans: readonly ReadableSpan[]): string[] {
  if (spans.length === 0) return [];
  const ids = new Set(spans.map(s => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    // A parent outside this set (not exported, other trace) makes a root.
    const parent = parentId(span);
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    const list = children.get(key) ?? [];
    list.push(span);
    children.set(key, list);
  }
  for (const list of children.values()) {
    list.sort((x, y) => ms(x.startTime) - ms(y.startTime));
  }
  const start = Math.min(...spans.map(s => ms(s.startTime)));
  const end = Math.max(...spans.map(s => ms(s.endTime)));
  const total = Math.max(end - start, 1e-3);

  const lines: string[] = [];
  const visit = (span: ReadableSpan, depth: number) => {
    const prefix = depth === 0 ? '' : `${'   '.repeat(depth - 1)}└─ `;
    const label = `${prefix}${span.name}`;
    const from = Math.floor(((ms(span.startTime) - start) / total) * BAR_WIDTH);
    const to = Math.ceil(((ms(span.endTime) - start) / total) * BAR_WIDTH);
    const width = Math.max(1, Math.min(BAR_WIDTH, to) - from);
    const bar =
      ' '.repeat(from) +
      '█'.repeat(width) +
      ' '.repeat(Math.max(0, BAR_WIDTH - from - width));
    const duration = `${ms(span.duration).toFixed(2)} ms`;
    const kind = SPAN_KINDS[span.kind] ?? String(span.kind);
    const status = span.status.code === 2 ? ' ERROR' : '';
    lines.push(
      `${label.padEnd(NAME_WIDTH)} ${duration.padStart(10)}  |${bar}|  ` +
        `${kind}${status}  ${describeAttributes(span)}`.trimEnd()
    );
    for (const child of children.get(span.spanContext().spanId) ?? []) {
      visit(child, depth + 1);
    }
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0);
  return lines;
}
