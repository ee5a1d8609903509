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
  /** `background-udf` or `background-ops` (query/query.c job types). */
  type: string;
  status: string;
  recordsRead: number;
  recordsSucceeded: number;
  recordsFailed: number;
  startMs: number;
  endMs: number;
}

export class JobRegistry {
  private jobs = new Map<bigint, Job>();
  /** Query threads held by running scans and queries. */
  threadsInUse = 0;

  takeThreads(n: number): void {
    this.threadsInUse += n;
  }

  releaseThreads(n: number): void {
    this.threadsInUse = Math.max(0, this.threadsInUse - n);
  }

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

  all(): Job[] {
    return [...this.jobs.values()];
  }

  clear(): void {
    this.jobs.clear();
  }
}
