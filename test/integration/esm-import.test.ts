/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import { isWrapped } from '@opentelemetry/instrumentation';
import { AerospikeInstrumentation } from '../../src';

// Vitest runs this file as an ES module; `aerospike` is loaded only here,
// through a dynamic `import`, after the instrumentation is enabled.
describe('loading aerospike through an ES import', () => {
  it('patches the client and the Query/Scan prototypes', async () => {
    const instrumentation = new AerospikeInstrumentation();
    try {
      const imported = await import(
        process.env.AEROSPIKE_MODULE || 'aerospike'
      );
      const Aerospike = imported.default ?? imported;
      expect(isWrapped(Aerospike.Client.prototype.get)).toBe(true);
      expect(isWrapped(Aerospike.Client.prototype.batchRead)).toBe(true);
      expect(isWrapped(Aerospike.Query.prototype.foreach)).toBe(true);
      expect(isWrapped(Aerospike.Scan.prototype.results)).toBe(true);
    } finally {
      instrumentation.disable();
    }
  });
});
