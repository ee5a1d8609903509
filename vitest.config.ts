/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that need a whole server node to themselves (they saturate its
 * query threads or truncate a namespace): they run after all the others,
 * so that suites sharing one real server (AEROSPIKE_HOSTS) never see them.
 */
const EXCLUSIVE = 'test/**/*.exclusive.test.ts';

export default defineConfig({
  test: {
    // The native client is not safe to load in worker threads; each test file
    // gets its own process (and its own embedded server on an ephemeral port).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, EXCLUSIVE],
          // Not 0: with one worker (a 2-core machine) vitest moves files of
          // group 0 into a sequential group run after every other group.
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive',
          include: [EXCLUSIVE],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
