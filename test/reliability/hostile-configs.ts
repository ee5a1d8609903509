/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { AerospikeInstrumentationConfig } from '../../src';

const boom = () => {
  throw new Error('hook throws');
};

/** Instrumentation configs the bad-input test runs under, by label. */
export const HOSTILE_CONFIGS: Record<string, AerospikeInstrumentationConfig> = {
  'default config': {},
  'hooks that throw': {
    captureKey: true,
    traceInfo: true,
    requestHook: boom,
    responseHook: boom,
    errorHook: boom,
  },
  'invalid config values': {
    captureKey: 'yes',
    traceInfo: 1,
    requireParentSpan: null,
    requestHook: 'not a function',
    responseHook: 42,
    errorHook: {},
  } as unknown as AerospikeInstrumentationConfig,
};
