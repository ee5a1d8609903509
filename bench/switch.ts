/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { AsyncResource } from 'node:async_hooks';
import { context } from '@opentelemetry/api';

// The bare context switches a record stream needs, hand-written, to show
// the limit any instrumentation meets: the native client delivers each
// record from its own callback in an empty async context, so making `data`
// handlers see the caller's context costs at least one switch per record.
// Each wraps the stream's `emit` and does nothing else (no span, no count).

export type SwitchKind = 'with' | 'resource';

interface Emitter {
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * `with`: `context.with(callerContext, emit, ...)` per event, the switch the
 * OpenTelemetry API offers. `resource`: an AsyncResource made in the
 * caller's context, entered per event (`runInAsyncScope`), the cheapest
 * switch Node.js offers.
 */
export function switchPerRecord<T extends Emitter>(
  kind: SwitchKind,
  stream: T
): T {
  const emit = stream.emit;
  const caller = context.active();
  if (kind === 'with') {
    stream.emit = function (this: unknown, event, record) {
      return context.with(caller, emit, this, event, record);
    };
  } else {
    const scope = new AsyncResource('bench.switch');
    stream.emit = function (this: unknown, event, record) {
      return scope.runInAsyncScope(emit, this, event, record);
    };
  }
  return stream;
}
