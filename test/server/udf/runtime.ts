/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Lua record-UDF runtime of the embedded server (work in progress: stub).

import { createHash } from 'node:crypto';
import type { Bins, Value } from '../codec/values.ts';
import { ResultCode, ServerError } from '../engine/errors.ts';

export interface UdfRecord {
  exists: boolean;
  bins: Bins;
  gen: number;
  /** Seconds remaining, -1 = never expires. */
  ttl: number;
  digest: Buffer;
  setName: string;
  key?: Value;
}

export interface UdfOutcome {
  result: Value;
  write?: { bins: Bins; ttl?: number };
  remove?: boolean;
}

export class LuaUdfRuntime {
  private readonly modules = new Map<string, string>();

  register(filename: string, source: string): void {
    this.modules.set(filename, source);
  }

  remove(filename: string): boolean {
    return this.modules.delete(filename);
  }

  list(): Array<{ filename: string; hash: string }> {
    return [...this.modules].map(([filename, source]) => ({
      filename,
      hash: createHash('sha1').update(source).digest('hex'),
    }));
  }

  has(filename: string): boolean {
    return this.modules.has(filename);
  }

  clear(): void {
    this.modules.clear();
  }

  callRecordUdf(
    module: string,
    fn: string,
    args: Value[],
    record: UdfRecord
  ): UdfOutcome {
    void args;
    void record;
    throw new ServerError(
      ResultCode.UDF_ERROR,
      `function not found: ${module}.${fn}`
    );
  }
}
