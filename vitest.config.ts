/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The native client is not safe to load in worker threads; each test file
    // gets its own process (and its own embedded server on an ephemeral port).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
