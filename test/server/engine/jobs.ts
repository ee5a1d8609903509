/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Background scan/query jobs, reported through `query-show`. They run to
// completion synchronously when received, so they are always done by the
// time the client polls.

export interface Job {
  trid: bigint;
  ns: string;
  set: string;
  module: string;
  status: string;
  recordsRead: number;
  recordsSucceeded: number;
  recordsFailed: number;
  startMs: number;
  endMs: number;
}

export class JobRegistry {
  private jobs = new Map<bigint, Job>();

  add(job: Job): void {
    this.jobs.set(job.trid, job);
    // Keep the registry bounded: a real server also forgets old jobs.
    if (this.jobs.size > 1000) {
      const first = this.jobs.keys().next().value;
      if (first !== undefined) this.jobs.delete(first);
    }
  }

  get(trid: bigint): Job | undefined {
    return this.jobs.get(trid);
  }

  clear(): void {
    this.jobs.clear();
  }
}
