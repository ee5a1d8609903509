/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PACKAGE_NAME } from './version';

/**
 * The register entry's instrumentations: its own Aerospike instance (none
 * when OTEL_NODE_DISABLED_INSTRUMENTATIONS names `aerospike`) and the
 * auto-instrumentations set without the copy of this package that a release
 * of auto-instrumentations-node carrying it would bring. That copy is
 * disabled: constructed instances are already enabled, and two would trace
 * every call twice.
 */
export function withoutOtherCopies(
  own: Instrumentation[],
  auto: Instrumentation[]
): Instrumentation[] {
  const result = [...own];
  for (const inst of auto) {
    if (inst.instrumentationName === PACKAGE_NAME) {
      inst.disable();
    } else {
      result.push(inst);
    }
  }
  return result;
}
