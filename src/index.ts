/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
export { AerospikeInstrumentation } from './instrumentation';
export type {
  AerospikeErrorHook,
  AerospikeErrorHookInfo,
  AerospikeInstrumentationConfig,
  AerospikeRequestHook,
  AerospikeRequestHookInfo,
  AerospikeResponseHook,
  AerospikeResponseHookInfo,
} from './types';
