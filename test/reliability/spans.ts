/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Context } from '@opentelemetry/api';
import type {
  ReadableSpan,
  Span,
  SpanProcessor,
} from '@opentelemetry/sdk-trace';

/**
 * Counts started and ended spans, and every call of `end()` on each span
 * (the SDK ignores a second `end()`, so its processors never see one).
 */
export class CountingSpanProcessor implements SpanProcessor {
  started = 0;
  ended = 0;
  /** span id -> number of end() calls */
  readonly endCalls = new Map<string, number>();
  readonly open = new Map<string, Span>();

  onStart(span: Span, _parentContext: Context): void {
    this.started++;
    const id = span.spanContext().spanId;
    this.open.set(id, span);
    this.endCalls.set(id, 0);
    const end = span.end;
    const calls = this.endCalls;
    span.end = function (this: Span, ...args: Parameters<Span['end']>) {
      calls.set(id, (calls.get(id) ?? 0) + 1);
      return end.apply(this, args);
    };
  }

  onEnd(span: ReadableSpan): void {
    this.ended++;
    this.open.delete(span.spanContext().spanId);
  }

  /** Spans whose end() was called more than once. */
  endedTwice(): number {
    let n = 0;
    for (const calls of this.endCalls.values()) if (calls > 1) n++;
    return n;
  }

  reset(): void {
    this.started = 0;
    this.ended = 0;
    this.endCalls.clear();
    this.open.clear();
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Runs `tasks` with at most `limit` in flight. */
export async function runBounded(
  count: number,
  limit: number,
  task: (i: number) => Promise<void>
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** At most `limit` holders at a time; `acquire` resolves with a release. */
export class Semaphore {
  private _free: number;
  private readonly _waiting: Array<() => void> = [];

  constructor(limit: number) {
    this._free = limit;
  }

  async acquire(): Promise<() => void> {
    if (this._free > 0) this._free--;
    else await new Promise<void>(resolve => this._waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this._waiting.shift();
      if (next) next();
      else this._free++;
    };
  }
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
