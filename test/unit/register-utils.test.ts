/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { describe, expect, it } from 'vitest';
import { AerospikeInstrumentation } from '../../src/instrumentation.ts';
import { withoutOtherCopies } from '../../src/register-utils.ts';

// A release of auto-instrumentations-node that carries this package would
// hand the register entry a second AerospikeInstrumentation: the entry keeps
// its own and disables that one, so every call is traced once.
describe('withoutOtherCopies', () => {
  it('keeps its own instance and disables the auto set copy', () => {
    const own = new AerospikeInstrumentation();
    const copy = new AerospikeInstrumentation();
    const http = new HttpInstrumentation();
    try {
      const result = withoutOtherCopies([own], [http, copy]);
      expect(result).toEqual([own, http]);
      expect(copy.isEnabled()).toBe(false);
      expect(own.isEnabled()).toBe(true);
      expect(http.isEnabled()).toBe(true);
    } finally {
      for (const inst of [own, copy, http]) inst.disable();
    }
  });

  it('with aerospike disabled by env, keeps no copy at all', () => {
    const copy = new AerospikeInstrumentation();
    const http = new HttpInstrumentation();
    try {
      expect(withoutOtherCopies([], [copy, http])).toEqual([http]);
      expect(copy.isEnabled()).toBe(false);
    } finally {
      for (const inst of [copy, http]) inst.disable();
    }
  });
});
