/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Where the suites find an Aerospike server here: the `aerospike` service of
// test/docker-compose.yaml, at the address test/test-services.env gives.
// Without RUN_AEROSPIKE_TESTS the suites that need a server are skipped, as
// the other database packages' are. (In the package's development repository
// this module can also start an embedded server with fault controls; the
// tests that need those controls are not part of this package.)

import { randomBytes } from 'crypto';
import { skipSuite } from './vitest-on-mocha';

export interface Backend {
  /** Client `hosts` string. */
  hosts: string;
  /** Never set here: there is no embedded server in this repository. */
  embedded?: { faults: Record<string, (...args: any[]) => unknown> };
  close(): Promise<void>;
}

/** False here: no embedded server, so no fault controls. */
export const onEmbedded = false;

/** True when the test service listens on this machine's loopback. */
export const onLoopback = ['localhost', '127.0.0.1'].includes(
  process.env.OPENTELEMETRY_AEROSPIKE_HOST || 'localhost'
);

/**
 * A set name no other suite (or run) uses: suites may share one server.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function startBackend(): Promise<Backend> {
  if (!process.env.RUN_AEROSPIKE_TESTS) {
    skipSuite(
      'RUN_AEROSPIKE_TESTS is not set (see test/test-services.env and `npm run test-services:start`)'
    );
  }
  const host = process.env.OPENTELEMETRY_AEROSPIKE_HOST || 'localhost';
  const port = process.env.OPENTELEMETRY_AEROSPIKE_PORT || '3000';
  return { hosts: `${host}:${port}`, close: async () => {} };
}
