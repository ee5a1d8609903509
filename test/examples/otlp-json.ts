/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// An OTLP/HTTP receiver for the JSON encoding (the `http/json` protocol),
// decoding ExportTraceServiceRequest and ExportMetricsServiceRequest bodies
// into spans and metric points as the OTLP specification defines them
// (hex ids, enum integers, 64-bit integers as decimal strings, AnyValue
// attributes). A body that does not follow it is recorded as an error, not
// skipped.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  /** StatusCode: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message?: string };
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  events: string[];
  scope: string;
  resource: Record<string, unknown>;
}

export interface DecodedPoint {
  metric: string;
  unit: string;
  kind: 'histogram' | 'sum' | 'gauge';
  /** For sums: monotonic or not. */
  monotonic?: boolean;
  attributes: Record<string, unknown>;
  /** Histograms: count, sum, bounds and per-bucket counts (+Inf last). */
  count?: number;
  sum?: number;
  explicitBounds?: number[];
  bucketCounts?: number[];
  /** Sums and gauges. */
  value?: number;
  scope: string;
  resource: Record<string, unknown>;
}

function fail(what: string, value: unknown): never {
  throw new Error(`OTLP/JSON: ${what}: ${JSON.stringify(value)}`);
}

function hexId(value: unknown, bytes: number, what: string): string {
  if (
    typeof value !== 'string' ||
    !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(value)
  ) {
    fail(`${what} is not ${bytes} bytes of hex`, value);
  }
  return value;
}

/** int64/uint64/fixed64 fields: decimal strings (numbers accepted too). */
function int64(value: unknown, what: string): bigint {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value))
    return BigInt(value);
  return fail(`${what} is not a 64-bit integer`, value);
}

function anyValue(value: any): unknown {
  if (value === null || typeof value !== 'object') fail('AnyValue', value);
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) return Number(int64(value.intValue, 'intValue'));
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value)
    return (value.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributes(value.kvlistValue.values);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue, 'base64');
  return fail('AnyValue of no known type', value);
}

function attributes(list: unknown): Record<string, unknown> {
  if (list === undefined) return {};
  if (!Array.isArray(list)) fail('attributes', list);
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    if (typeof kv?.key !== 'string') fail('attribute key', kv);
    out[kv.key] = anyValue(kv.value);
  }
  return out;
}

function enumValue(value: unknown, max: number, what: string): number {
  const n = value === undefined ? 0 : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    fail(what, value);
  }
  return n;
}

export function decodeTraces(body: any): DecodedSpan[] {
  if (!Array.isArray(body?.resourceSpans)) fail('resourceSpans', body);
  const out: DecodedSpan[] = [];
  for (const rs of body.resourceSpans) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = String(ss.scope?.name ?? '');
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexId(s.traceId, 16, 'traceId'),
          spanId: hexId(s.spanId, 8, 'spanId'),
          parentSpanId: s.parentSpanId
            ? hexId(s.parentSpanId, 8, 'parentSpanId')
            : undefined,
          name: typeof s.name === 'string' ? s.name : fail('name', s.name),
          kind: enumValue(s.kind, 5, 'kind'),
          status: {
            code: enumValue(s.status?.code, 2, 'status.code'),
            message: s.status?.message || undefined,
          },
          startNs: int64(s.startTimeUnixNano, 'startTimeUnixNano'),
          endNs: int64(s.endTimeUnixNano, 'endTimeUnixNano'),
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e: any) => String(e.name)),
          scope,
          resource,
        });
      }
    }
  }
  return out;
}

function numberPoint(p: any): number {
  if ('asDouble' in p) return Number(p.asDouble);
  if ('asInt' in p) return Number(int64(p.asInt, 'asInt'));
  return fail('number data point without a value', p);
}

export function decodeMetrics(body: any): DecodedPoint[] {
  if (!Array.isArray(body?.resourceMetrics)) fail('resourceMetrics', body);
  const out: DecodedPoint[] = [];
  for (const rm of body.resourceMetrics) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      const scope = String(sm.scope?.name ?? '');
      for (const m of sm.metrics ?? []) {
        const base = {
          metric: String(m.name),
          unit: String(m.unit ?? ''),
          scope,
          resource,
        };
        if (m.histogram) {
          for (const p of m.histogram.dataPoints ?? []) {
            const bucketCounts = (p.bucketCounts ?? []).map((c: unknown) =>
              Number(int64(c, 'bucketCounts'))
            );
            const explicitBounds = (p.explicitBounds ?? []).map(Number);
            if (bucketCounts.length !== explicitBounds.length + 1) {
              fail('bucketCounts do not match explicitBounds', p);
            }
            out.push({
              ...base,
              kind: 'histogram',
              attributes: attributes(p.attributes),
              count: Number(int64(p.count, 'count')),
              sum: p.sum === undefined ? undefined : Number(p.sum),
              explicitBounds,
              bucketCounts,
            });
          }
        } else if (m.sum) {
          for (const p of m.sum.dataPoints ?? []) {
            out.push({
              ...base,
              kind: 'sum',
              monotonic: Boolean(m.sum.isMonotonic),
              attributes: attributes(p.attributes),
              value: numberPoint(p),
            });
          }
        } else if (m.gauge) {
          for (const p of m.gauge.dataPoints ?? []) {
            out.push({
              ...base,
              kind: 'gauge',
              attributes: attributes(p.attributes),
              value: numberPoint(p),
            });
          }
        } else {
          fail('a metric of no known type', m);
        }
      }
    }
  }
  return out;
}

export interface OtlpJsonReceiver {
  endpoint: string;
  spans: DecodedSpan[];
  points: DecodedPoint[];
  /** Each request: path, content type, and a decoding error if any. */
  requests: Array<{ path: string; contentType?: string; error?: string }>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 for /v1/traces and /v1/metrics. */
export async function startOtlpJsonReceiver(): Promise<OtlpJsonReceiver> {
  const receiver = {
    spans: [] as DecodedSpan[],
    points: [] as DecodedPoint[],
    requests: [] as OtlpJsonReceiver['requests'],
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const entry: OtlpJsonReceiver['requests'][number] = {
        path: req.url ?? '',
        contentType: req.headers['content-type'],
      };
      receiver.requests.push(entry);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (entry.path === '/v1/traces') {
          receiver.spans.push(...decodeTraces(body));
        } else if (entry.path === '/v1/metrics') {
          receiver.points.push(...decodeMetrics(body));
        }
      } catch (err) {
        entry.error = String(err);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...receiver,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}
