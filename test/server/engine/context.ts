/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Store } from '../store/store.ts';
import type { Counters, FaultController } from '../faults/faults.ts';
import type { JobRegistry } from './jobs.ts';
import type { LuaUdfRuntime } from '../udf/runtime.ts';

/** Everything a command handler needs from the server. */
export interface ServerContext {
  store: Store;
  faults: FaultController;
  counters: Counters;
  jobs: JobRegistry;
  udf: LuaUdfRuntime;
  nodeName: string;
  port: number;
  build: string;
  log(line: string): void;
}
